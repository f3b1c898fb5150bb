// Decodes the raw mechanism facts (src/access/mem-mechanisms.ts) into what a report shows: each
// device-memory mechanism's node, the PCI device behind it (or none: platform/virtual), and its
// numbers. Pure: no fs, no process.
import { bdfsInPath } from './bdf.js';
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

export interface RawMemMechanisms {
  dax: RawDaxDev[];
  rdma: RawRdmaDev[];
  video: RawVideoDev[];
  dvb: RawClassDev[];
  /** device nodes under /dev named hmm_dmirror* (the kernel's HMM test driver). */
  hmmNodes: string[];
  /** module names from /proc/modules; null when it cannot be read. */
  modules: string[] | null;
}

export type MechanismKind = 'dax' | 'rdma' | 'capture' | 'dvb' | 'hmm';

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

function pciOf(devicePath: string | null): string | null {
  return devicePath ? bdfsInPath(devicePath).at(-1) ?? null : null;
}

function bytes(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
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

export function decodeMemMechanisms(raw: RawMemMechanisms): MemMechanismReport {
  const rdma = raw.rdma.map((r) => ({
    kind: 'rdma' as const, node: r.name, pci: pciOf(r.devicePath),
    detail: r.netdevs.length ? [`netdev ${r.netdevs.join(', ')}`] : [],
  }));
  const hmm = raw.hmmNodes.map((n) => ({ kind: 'hmm' as const, node: n, pci: null, detail: ['device-private (HMM test driver)'] }));
  const mods = raw.modules === null ? null : new Set(raw.modules);
  return {
    mechanisms: [...daxMechanisms(raw), ...rdma, ...captureMechanisms(raw), ...hmm],
    vendorModules: mods && {
      nvidiaPeermem: mods.has('nvidia_peermem'), nvidiaFs: mods.has('nvidia_fs'), amdgpu: mods.has('amdgpu'),
    },
  };
}
