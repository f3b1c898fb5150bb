// Decodes the raw mechanism facts (src/access/mem-mechanisms.ts) into what a report shows: each
// device-memory mechanism's node, the PCI device behind it (or none: platform/virtual), and its
// numbers; dma-buf's bufinfo, /proc/iomem and KFD's properties are parsed here. Pure: no fs, no process.
import { bdfsInPath, KERNEL_BDF } from './bdf.js';
import { formatBytes } from './units.js';

/** Raw facts as src/access/mem-mechanisms.ts reads them (paths root-relative, text untouched). */
/** One class/bus-device entry: its name and where it really lives in sysfs. */
export interface RawClassDev {
  name: string;
  /** its real path, e.g. "/sys/devices/pci0000:00/0000:00:02.0/0000:01:00.0/infiniband/mlx5_0"; null if unresolvable. */
  devicePath: string | null;
}

export interface RawDaxDev extends RawClassDev {
  size: string | null;
  align: string | null;
  targetNode: string | null;
}

export interface RawRdmaDev extends RawClassDev {
  /** netdev names from ports/N/gid_attrs/ndevs/0 (rxe/siw/RoCE); empty for native IB. */
  netdevs: string[];
}

export interface RawVideoDev extends RawClassDev {
  /** the driver-given `name` attribute ("vivid-000-vid-cap"). */
  label: string | null;
}

/** A whole file as read, or why it was not: absent (not mounted / not built / not captured) or denied (needs root). */
export interface RawText {
  text: string | null;
  error: 'absent' | 'denied' | null;
}

export interface RawDmabuf {
  /** debugfs dma_buf/bufinfo. */
  bufinfo: RawText;
  /** /dev/udmabuf exists (CONFIG_UDMABUF: memfd pages as a dma-buf). */
  udmabuf: boolean;
  /** names under /dev/dma_heap (system, linux,cma...). */
  heaps: string[];
}

export interface RawCxlDev extends RawClassDev {
  /** the attributes read that exist (ram/size, pmem/size, size, mode, target_type, devtype ...). */
  attrs: Record<string, string>;
}

export interface RawKfdNode {
  name: string;
  /** the node's `properties` text ("key value" lines); null when unreadable. */
  properties: string | null;
  /** each io_links/N/properties and p2p_links/N/properties text. */
  ioLinks: string[];
  p2pLinks: string[];
}

export interface RawAmdgpuVram {
  bdf: string;
  vramTotal: string | null;
  visVramTotal: string | null;
}

export interface RawMemMechanisms {
  dax: RawDaxDev[];
  rdma: RawRdmaDev[];
  video: RawVideoDev[];
  dvb: RawClassDev[];
  /** device nodes under /dev named hmm_dmirror* (the kernel's HMM test driver). */
  hmmNodes: string[];
  /** module names from /proc/modules; null when it cannot be read. */
  modules: string[] | null;
  /** of the P2P importer modules, those /sys/module has (loaded or built in). Absent in older captures. */
  sysModules?: string[];
  dmabuf?: RawDmabuf;
  /** /sys/bus/cxl/devices entries; null when the bus does not exist. */
  cxl?: RawCxlDev[] | null;
  iomem?: RawText;
  /** KFD topology nodes; null when /sys/class/kfd does not exist. */
  kfd?: RawKfdNode[] | null;
  /** functions bound to amdgpu with their VRAM sizes. */
  amdgpuVram?: RawAmdgpuVram[];
  /** /proc/driver/nvidia-fs/version (nvidia-fs loaded). */
  nvidiaFs?: RawText;
}

export type MechanismKind = 'dax' | 'rdma' | 'capture' | 'dvb' | 'hmm' | 'dmabuf' | 'cxl' | 'kfd' | 'vram';

export interface MemMechanism {
  kind: MechanismKind;
  /** what names it for the user: "/dev/dax0.0", "/dev/video1", "rxe0", "/dev/hmm_dmirror0". */
  node: string;
  /** the PCI function behind it (innermost BDF of its device path); null for platform/virtual ones. */
  pci: string | null;
  /** short facts: size/align/target node, netdevs, the driver's name for a V4L2 node. */
  detail: string[];
  sizeBytes?: number;
}

export interface MemMechanismReport {
  mechanisms: MemMechanism[];
  /** modules that P2P importers care about, present or not; null when /proc/modules was unreadable. */
  vendorModules: { nvidiaPeermem: boolean; nvidiaFs: boolean; amdgpu: boolean } | null;
}

/** The mechanisms behind each PCI function of the fabric (BDF -> list), and the rest (platform, virtual, or a BDF the fabric lacks), for topo and show. */
export function placeMechanisms(report: MemMechanismReport, bdfs: ReadonlySet<string>): { byPci: Map<string, MemMechanism[]>; elsewhere: MemMechanism[] } {
  const byPci = new Map<string, MemMechanism[]>();
  const elsewhere: MemMechanism[] = [];
  for (const m of report.mechanisms) {
    if (!m.pci || !bdfs.has(m.pci)) {
      elsewhere.push(m);
      continue;
    }
    const list = byPci.get(m.pci) ?? [];
    list.push(m);
    byPci.set(m.pci, list);
  }
  return { byPci, elsewhere };
}

// ---- dma-buf: debugfs bufinfo ----

export interface DmabufBuffer {
  size: number;
  exporter: string;
  inode: string;
  name: string | null;
  /** dev_name() of each attachment: a BDF for a PCI importer, else a platform/virtual device name. */
  attached: string[];
}

/**
 * Parses dma_buf/bufinfo: after the "Dma-buf Objects:" heading, one tab-separated line per buffer
 * (size, flags, mode, count, exp_name, ino, name), fence lines, then "Attached Devices:" and one
 * device name per tab-indented line until "Total N devices attached".
 */
export function parseBufinfo(text: string): DmabufBuffer[] {
  const out: DmabufBuffer[] = [];
  let cur: DmabufBuffer | null = null;
  let inAttach = false;
  for (const line of text.split('\n')) {
    const cols = line.split('\t');
    if (/^\d+$/.test(cols[0] ?? '') && cols.length >= 6) {
      cur = { size: Number(cols[0]), exporter: cols[4], inode: cols[5].replace(/^0+(?=\d)/, ''), name: cols[6] && cols[6] !== '<none>' ? cols[6] : null, attached: [] };
      out.push(cur);
      inAttach = false;
    } else if (cur && /^\s*Attached Devices:/.test(line)) {
      inAttach = true;
    } else if (/^Total \d+ devices attached/.test(line)) {
      inAttach = false;
      cur = null;
    } else if (cur && inAttach && line.startsWith('\t') && line.trim()) {
      cur.attached.push(line.trim());
    }
  }
  return out;
}

// ---- /proc/iomem ----

export interface IomemRange {
  start: string;
  end: string;
  name: string;
  depth: number;
}

/** Ranges that are device memory or carve it out: what a CXL, DAX or HMM report points to. */
const DEVICE_MEMORY_RANGE = /CXL|hmm_dmirror|Soft Reserved|Persistent Memory|dax|kmem|device-private|Reserved for ZONE_DEVICE/i;

export function parseIomem(text: string): IomemRange[] {
  const out: IomemRange[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/.exec(line);
    if (m) out.push({ depth: m[1].length / 2, start: m[2], end: m[3], name: m[4].trim() });
  }
  return out;
}

export interface IomemReport {
  ranges: IomemRange[];
  /** Every address reads 0 (the kernel hides them from non-root): the ranges are named, not placed. */
  addressesHidden: boolean;
}

export function deviceMemoryRanges(text: string): IomemReport {
  const all = parseIomem(text);
  return {
    ranges: all.filter((r) => DEVICE_MEMORY_RANGE.test(r.name)),
    addressesHidden: all.length > 0 && all.every((r) => /^0+$/.test(r.start) && /^0+$/.test(r.end)),
  };
}

/** "0x1000-0x1fff" with the size, or the name alone when the kernel hid the addresses. */
export function describeRange(r: IomemRange, hidden: boolean): string {
  if (hidden) return `${r.name} (address hidden: /proc/iomem shows zeros unless read as root)`;
  const size = BigInt('0x' + r.end) - BigInt('0x' + r.start) + 1n;
  return `${r.name} at 0x${r.start}-0x${r.end} (${formatBytes(size)})`;
}

// ---- KFD (amdgpu compute) topology ----

export function parseProperties(text: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\S+)\s+(\S+)/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** A KFD node's PCI function from its domain and location_id (bus << 8 | devfn); null for CPU nodes. */
export function kfdNodeBdf(props: Map<string, string>): string | null {
  const loc = Number(props.get('location_id') ?? 'NaN');
  if (!Number.isInteger(loc) || loc === 0 || props.get('gpu_id') === '0') return null;
  const dom = Number(props.get('domain') ?? '0');
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(dom, 4)}:${h(loc >> 8, 2)}:${h((loc >> 3) & 0x1f, 2)}.${loc & 7}`;
}

/** KFD io_link types (kfd_crat.h): what carries the traffic between two nodes. */
const KFD_LINK_TYPES: Record<string, string> = { '2': 'PCIe', '11': 'XGMI', '0': 'undefined' };

function kfdLinkText(props: Map<string, string>): string {
  const type = props.get('type') ?? '?';
  return `node ${props.get('node_to') ?? '?'} over ${KFD_LINK_TYPES[type] ?? `type ${type}`}${props.get('weight') ? ` (weight ${props.get('weight')})` : ''}`;
}

function pciOf(devicePath: string | null): string | null {
  return devicePath ? bdfsInPath(devicePath).at(-1) ?? null : null;
}

/** A size attribute: decimal (dax size) or 0x hex (CXL's ram/size, pmem/size). */
export function bytes(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || !/^(\d+|0x[0-9a-f]+)$/i.test(text)) return undefined;
  return Number(text);
}

function daxMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  return raw.dax.map((d) => {
    const detail: string[] = [];
    const size = bytes(d.size);
    if (size !== undefined) detail.push(`size ${formatBytes(size)}`);
    const align = bytes(d.align);
    if (align !== undefined) detail.push(`align ${formatBytes(align)}`);
    if (d.targetNode !== null) detail.push(`target node ${d.targetNode}`);
    return { kind: 'dax' as const, node: `/dev/${d.name}`, pci: pciOf(d.devicePath), detail, sizeBytes: size };
  });
}

/** V4L2 nodes and DVB adapters: capture sources whose PCI parent (if any) can be a matrix endpoint. */
function captureMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  const video = raw.video.map((v) => ({
    kind: 'capture' as const, node: `/dev/${v.name}`, pci: pciOf(v.devicePath), detail: v.label ? [v.label] : [],
  }));
  const dvb = raw.dvb.map((d) => ({
    kind: 'dvb' as const, node: `/dev/dvb/${d.name.replace(/^dvb(\d+)\./, 'adapter$1/')}`,
    pci: pciOf(d.devicePath), detail: [],
  }));
  return [...video, ...dvb];
}

/** Each PCI importer in bufinfo (an attachment named by a BDF) is one mechanism on that function. */
function dmabufMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  const text = raw.dmabuf?.bufinfo.text;
  if (!text) return [];
  return parseBufinfo(text).flatMap((b) => b.attached.filter((a) => KERNEL_BDF.test(a)).map((bdf) => ({
    kind: 'dmabuf' as const, node: `dma-buf ino ${b.inode}`, pci: bdf,
    detail: [`imports ${b.exporter}'s ${formatBytes(b.size)} buffer`], sizeBytes: b.size,
  })));
}

/** CXL memory devices (memN) carry a PCI function; regions and decoders are the host's. */
function cxlMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  return (raw.cxl ?? []).filter((d) => /^mem\d+$/.test(d.name)).map((d) => {
    const detail: string[] = [];
    for (const k of ['ram/size', 'pmem/size'] as const) {
      const b = bytes(d.attrs[k] ?? null);
      if (b !== undefined) detail.push(`${k.split('/')[0]} ${formatBytes(b)}`);
    }
    if (d.attrs.serial) detail.push(`serial ${d.attrs.serial}`);
    return { kind: 'cxl' as const, node: d.name, pci: pciOf(d.devicePath), detail };
  });
}

function kfdMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  return (raw.kfd ?? []).flatMap((n) => {
    const props = parseProperties(n.properties);
    const bdf = kfdNodeBdf(props);
    if (!bdf) return [];
    const io = n.ioLinks.map((l) => kfdLinkText(parseProperties(l)));
    const p2p = n.p2pLinks.map((l) => kfdLinkText(parseProperties(l)));
    const detail = [`io_links: ${io.length ? io.join(', ') : 'none'}`, `p2p_links: ${p2p.length ? p2p.join(', ') : 'none (no peer GPU reachable over PCIe P2P)'}`];
    return [{ kind: 'kfd' as const, node: `kfd node ${n.name}`, pci: bdf, detail }];
  });
}

/** amdgpu's visible VRAM against its VRAM: equal means a large (resizable) BAR, so peers can reach all of it. */
function vramMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  return (raw.amdgpuVram ?? []).map((v) => {
    const total = bytes(v.vramTotal);
    const vis = bytes(v.visVramTotal);
    const large = total !== undefined && vis !== undefined ? vis >= total : null;
    const what = large === null ? 'VRAM sizes unreadable' : large ? `large BAR: all ${formatBytes(total!)} of VRAM visible` : `small BAR: ${formatBytes(vis!)} of ${formatBytes(total!)} VRAM visible`;
    return { kind: 'vram' as const, node: `amdgpu ${v.bdf}`, pci: v.bdf, detail: [what], sizeBytes: vis };
  });
}

export function decodeMemMechanisms(raw: RawMemMechanisms): MemMechanismReport {
  const rdma = raw.rdma.map((r) => ({
    kind: 'rdma' as const, node: r.name, pci: pciOf(r.devicePath),
    detail: r.netdevs.length ? [`netdev ${r.netdevs.join(', ')}`] : [],
  }));
  const hmm = raw.hmmNodes.map((n) => ({ kind: 'hmm' as const, node: n, pci: null, detail: ['device-private (HMM test driver)'] }));
  const mods = raw.modules === null ? null : new Set([...raw.modules, ...(raw.sysModules ?? [])]);
  return {
    mechanisms: [...daxMechanisms(raw), ...rdma, ...captureMechanisms(raw), ...hmm, ...dmabufMechanisms(raw), ...cxlMechanisms(raw), ...kfdMechanisms(raw), ...vramMechanisms(raw)],
    vendorModules: mods && {
      nvidiaPeermem: mods.has('nvidia_peermem'), nvidiaFs: mods.has('nvidia_fs'), amdgpu: mods.has('amdgpu'),
    },
  };
}
