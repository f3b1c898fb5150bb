// Reads an NCCL topology XML (what NCCL_TOPO_DUMP_FILE writes and NCCL_TOPO_FILE reads: <system>, <cpu>,
// nested <pci>, <gpu>, <nic>/<net>, virtual switch bus IDs such as ffff:ff:01.0) into a RawFabric. Such a
// file holds the tree, IDs, link speed/width and NUMA placement only: config space, ACS, drivers and
// IOMMU stay unknown (empty config space, null facts), never guessed.
import * as fs from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { UserError } from '../errors.js';
import { ConfigSpace } from '../model/config-space.js';
import { KERNEL_BDF } from '../model/bdf.js';
import { emptyHostInfo, type RawDevice, type RawFabric, type RawNcclFacts } from './types.js';

type XmlNode = Record<string, unknown>;

const ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', arm64: 'arm64', ppc64: 'ppc64', ppc64le: 'ppc64' };

const list = (v: unknown): XmlNode[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as XmlNode[];
const attr = (n: XmlNode, k: string): string | null => (typeof n[`@_${k}`] === 'string' ? (n[`@_${k}`] as string).trim() : null);

function hex(n: XmlNode, k: string, width: number): string | null {
  const v = attr(n, k);
  if (!v) return null;
  const m = /^(?:0x)?([0-9a-f]+)$/i.exec(v);
  if (!m) return null;
  // NCCL writes class as 0x030200, sometimes shortened (0x03): padded on the right to base/sub/prog-if.
  return k === 'class' ? m[1].toLowerCase().padEnd(width, '0').slice(0, width) : m[1].toLowerCase().padStart(width, '0').slice(-width);
}

function int(n: XmlNode, k: string): number | null {
  const v = attr(n, k);
  if (v === null || !/^-?\d+$/.test(v)) return null;
  return parseInt(v, 10);
}

function bool(n: XmlNode, k: string): boolean | null {
  const v = int(n, k);
  return v === null ? null : v !== 0;
}

interface Walk { devices: RawDevice[]; warnings: string[]; file: string; sawGpuVendorless: boolean }

function busId(w: Walk, n: XmlNode): string {
  const raw = (attr(n, 'busid') ?? '').toLowerCase();
  // NCCL also accepts the short form without a domain (07:00.0).
  const bdf = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(raw) ? `0000:${raw}` : raw;
  if (!KERNEL_BDF.test(bdf)) throw new UserError(`--root ${w.file}: <pci busid="${attr(n, 'busid') ?? ''}"> is not a PCI bus ID`);
  return bdf;
}

function gpuFacts(n: XmlNode): RawNcclFacts['gpu'] | undefined {
  const g = list(n.gpu)[0];
  if (!g) return undefined;
  return {
    dev: int(g, 'dev'), sm: int(g, 'sm'), gdr: bool(g, 'gdr'),
    nvlinks: list(g.nvlink).map((l) => ({ target: (attr(l, 'target') ?? '').toLowerCase(), count: int(l, 'count') ?? 1, tclass: hex(l, 'tclass', 6) })),
  };
}

function netFacts(n: XmlNode): RawNcclFacts['nets'] | undefined {
  const nets = list(n.nic).flatMap((nic) => list(nic.net));
  if (!nets.length) return undefined;
  return nets.map((x) => ({ name: attr(x, 'name') ?? '?', dev: int(x, 'dev'), speed: int(x, 'speed'), gdr: bool(x, 'gdr') }));
}

function readPci(w: Walk, n: XmlNode, parent: string | null, numaId: string | null): void {
  const bdf = busId(w, n);
  const gpu = gpuFacts(n);
  const nets = netFacts(n);
  let classCode = hex(n, 'class', 6);
  let vendorId = hex(n, 'vendor', 4);
  if (vendorId === '0000') vendorId = null; // Azure's virtual switches write zero IDs
  if (gpu && !classCode) classCode = '030200';
  if ((gpu || classCode?.startsWith('03')) && vendorId === null) {
    // NCCL's topology only ever holds NVIDIA GPUs: a display-class function with no vendor is one.
    vendorId = '10de';
    w.sawGpuVendorless = true;
  }
  const numa = numaId !== null && /^\d+$/.test(numaId) ? parseInt(numaId, 10) : numaId === '-1' ? -1 : null;
  const names = (nets ?? []).map((x) => x.name);
  const dev: RawDevice = {
    bdf, config: ConfigSpace.empty(), parentBdf: parent, hostBridge: `numa${numaId ?? '?'}`,
    vendorId, deviceId: hex(n, 'device', 4), classCode,
    subsystemVendorId: hex(n, 'subsystem_vendor', 4), subsystemDeviceId: hex(n, 'subsystem_device', 4),
    numaNode: numa,
    currentLinkSpeed: attr(n, 'link_speed'), currentLinkWidth: int(n, 'link_width'),
    classNames: names.length ? { infiniband: names } : undefined,
    nccl: { numaId, gpu, nets },
    origin: `${w.file}: <pci busid="${bdf}">`,
  };
  if (w.devices.some((d) => d.bdf === bdf)) throw new UserError(`--root ${w.file}: bus ID ${bdf} appears twice`);
  w.devices.push(dev);
  for (const c of list(n.pci)) readPci(w, c, bdf, numaId);
}

export function readNcclXmlFile(file: string): RawFabric {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--root ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (text.length > 16 * 1024 * 1024) throw new UserError(`--root ${file}: over 16 MiB, too big for an NCCL topology XML`);
  return parseNcclXml(text, file);
}

/** The fabric an NCCL topology XML describes. */
export function parseNcclXml(text: string, file: string): RawFabric {
  let doc: XmlNode;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseAttributeValue: false }).parse(text, true) as XmlNode;
  } catch (e) {
    throw new UserError(`--root ${file}: not well-formed XML (${(e as Error).message.split('\n')[0]})`);
  }
  const system = list(doc.system)[0];
  if (!system) throw new UserError(`--root ${file}: no <system> element: not an NCCL topology XML`);
  const w: Walk = { devices: [], warnings: [], file, sawGpuVendorless: false };
  const host = emptyHostInfo();
  const numas: number[] = [];
  for (const cpu of list(system.cpu)) {
    const numaId = attr(cpu, 'numaid');
    if (numaId !== null && /^\d+$/.test(numaId)) numas.push(parseInt(numaId, 10));
    host.cpuVendor ??= attr(cpu, 'vendor');
    host.cpuFamily ??= int(cpu, 'familyid');
    const arch = attr(cpu, 'arch');
    if (arch) host.arch ??= ARCH[arch] ?? arch;
    for (const p of list(cpu.pci)) readPci(w, p, null, numaId);
    if (list(cpu.nic).length) w.warnings.push(`${file}: a <nic> directly under <cpu numaid="${numaId}"> has no PCI bus ID: left out`);
  }
  host.numaNodes = numas.length ? [...new Set(numas)].sort((a, b) => a - b) : null;
  if (w.sawGpuVendorless) w.warnings.push(`${file}: display-class functions without a vendor ID taken as NVIDIA GPUs (NCCL's topology holds no others)`);
  w.warnings.push(`${file}: an NCCL topology XML records no config space, ACS, drivers or IOMMU: those stay unknown`);
  return { source: { method: 'nccl-xml', location: file, live: false }, devices: w.devices, host, warnings: w.warnings };
}
