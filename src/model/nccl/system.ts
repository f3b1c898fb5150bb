// The machine as NCCL's topology sees it: one CPU per NUMA node, a PCI node for every bridge two sysfs
// levels above a GPU or NIC (xml.cc skips the level between), NIC functions merged per device, Broadcom
// gen4 sub-switches flattened, NVLinks where the source knows them. Built from any Fabric; an NCCL XML
// source is already in this shape and is taken as it is.
import type { Device, Fabric } from '../types.js';
import { BCM_FLATTEN, NVSWITCH_TCLASS } from './rules.js';

export type NcclNodeKind = 'cpu' | 'pci' | 'gpu' | 'nic';

export interface NcclNode {
  /** "cpu:0" for CPUs, the BDF for the rest (a NIC's with function 0, as NCCL merges ports). */
  id: string;
  kind: NcclNodeKind;
  parent: string | null;
  /** The NUMA node id NCCL's CPU carries ("-1" when the kernel says none; null unknown). */
  numa: string | null;
  /** The functions behind this node (several for a multi-function NIC). */
  devices: Device[];
}

export interface NcclSystem {
  nodes: Map<string, NcclNode>;
  gpus: NcclNode[];
  nics: NcclNode[];
  /** GPU id -> GPU ids it has an NVLink to (directly or through NVSwitch); null when the source cannot know. */
  nvlinks: Map<string, Set<string>> | null;
  /** How the tree was made, in a line. */
  shape: string;
  notes: string[];
}

const NIC_ID = (bdf: string) => bdf.replace(/\.[0-7]$/, '.0');

function cpuId(fabric: Fabric, d: Device): { id: string; numa: string | null } {
  const fromXml = d.raw.nccl?.numaId;
  if (fromXml !== undefined && fromXml !== null) return { id: `cpu:${fromXml}`, numa: fromXml };
  const self = d.physfn ? fabric.byBdf.get(d.physfn) ?? d : d;
  if (self.numaNode !== null) return { id: `cpu:${self.numaNode}`, numa: String(self.numaNode) };
  const nodes = fabric.host.numaNodes;
  if (nodes && nodes.length === 1) return { id: `cpu:${nodes[0]}`, numa: String(nodes[0]) };
  return { id: 'cpu:?', numa: null };
}

/** xml.cc's walk: from a function, two levels up the sysfs path; a non-BDF component (pci0000:00) means the CPU. */
function sysfsParent(fabric: Fabric, d: Device): Device | null {
  const p1 = d.parent ? fabric.byBdf.get(d.parent) ?? null : null;
  if (!p1) return null;
  const p2 = p1.parent ? fabric.byBdf.get(p1.parent) ?? null : null;
  return p2;
}

function xmlParent(fabric: Fabric, d: Device): Device | null {
  return d.parent ? fabric.byBdf.get(d.parent) ?? null : null;
}

function isBcmGen4(d: Device): boolean {
  return BCM_FLATTEN.some((b) => d.vendorId === b.vendor && d.deviceId === b.device && d.subsystemVendorId === b.subsystemVendor
    && d.subsystemDeviceId !== null && (parseInt(d.subsystemDeviceId, 16) & 0xf000).toString(16).padStart(4, '0') === b.subsystemDeviceMasked);
}

function sameBcm(a: Device, b: Device): boolean {
  return isBcmGen4(a) && a.vendorId === b.vendorId && a.deviceId === b.deviceId && a.subsystemVendorId === b.subsystemVendorId && a.subsystemDeviceId === b.subsystemDeviceId;
}

/** Adds d's chain of PCI nodes up to its CPU; returns the id d hangs under. */
function placeAbove(fabric: Fabric, sys: Map<string, NcclNode>, d: Device, up: (f: Fabric, x: Device) => Device | null): string {
  let parent = up(fabric, d);
  // A Broadcom gen4 sub-switch under the same switch model is fused into it.
  while (parent) {
    const grand = up(fabric, parent);
    if (grand && sameBcm(parent, grand)) parent = grand;
    else break;
  }
  if (!parent) {
    const c = cpuId(fabric, d);
    if (!sys.has(c.id)) sys.set(c.id, { id: c.id, kind: 'cpu', parent: null, numa: c.numa, devices: [] });
    return c.id;
  }
  if (!sys.has(parent.bdf)) {
    const node: NcclNode = { id: parent.bdf, kind: 'pci', parent: null, numa: null, devices: [parent] };
    sys.set(parent.bdf, node);
    node.parent = placeAbove(fabric, sys, parent, up);
  }
  return parent.bdf;
}

/** NVLinks from the XML's <gpu><nvlink> elements; null (unknown) unless every GPU has a <gpu> element. */
function nvlinkMap(fabric: Fabric, gpus: NcclNode[]): Map<string, Set<string>> | null {
  // Provider files list GPUs as bare <pci> functions: NCCL adds their NVLinks from NVML at run time.
  if (fabric.source.method !== 'nccl-xml' || gpus.some((g) => !g.devices[0].raw.nccl?.gpu)) return null;
  const ids = new Set(gpus.map((g) => g.id));
  const out = new Map<string, Set<string>>(gpus.map((g) => [g.id, new Set<string>()]));
  const onSwitch: string[] = [];
  for (const g of gpus) {
    for (const l of g.devices[0].raw.nccl?.gpu?.nvlinks ?? []) {
      if (l.tclass === NVSWITCH_TCLASS) onSwitch.push(g.id);
      else if (ids.has(l.target)) { out.get(g.id)!.add(l.target); out.get(l.target)!.add(g.id); }
    }
  }
  for (const a of onSwitch) for (const b of onSwitch) if (a !== b) out.get(a)!.add(b);
  return out;
}

export function buildNcclSystem(fabric: Fabric): NcclSystem {
  const asXml = fabric.source.method === 'nccl-xml';
  const up = asXml ? xmlParent : sysfsParent;
  const nodes = new Map<string, NcclNode>();
  const gpus: NcclNode[] = [];
  const nics: NcclNode[] = [];
  for (const d of fabric.devices) {
    if (d.kind !== 'gpu' && d.kind !== 'nic') continue;
    const id = d.kind === 'nic' ? NIC_ID(d.bdf) : d.bdf;
    const existing = nodes.get(id);
    if (existing && existing.kind === d.kind) { existing.devices.push(d); continue; }
    const node: NcclNode = { id, kind: d.kind, parent: null, numa: null, devices: [d] };
    nodes.set(id, node);
    node.parent = placeAbove(fabric, nodes, d, up);
    (d.kind === 'gpu' ? gpus : nics).push(node);
  }
  const notes: string[] = [];
  const nvlinks = nvlinkMap(fabric, gpus);
  if (!nvlinks) {
    const why = asXml ? 'the XML has no <gpu> elements (NCCL adds NVLinks from NVML at run time)' : 'the PCIe tree does not show it';
    notes.push(`NVLink unknown here: ${why}; nvidia-smi nvlink -s or nvidia-smi topo -m on the machine shows it; an NVLink pair is NVL to NCCL whatever its PCIe path`);
  }
  if ([...nodes.values()].some((n) => n.id === 'cpu:?')) notes.push('NUMA node unknown for some devices: NCCL would read numa_node from sysfs');
  return {
    nodes, gpus, nics,
    nvlinks,
    shape: asXml ? 'taken as written in the NCCL topology XML' : 'derived from the PCIe tree the way NCCL reads sysfs (two levels up per node; one CPU per NUMA node)',
    notes,
  };
}

/** Ids from a node up to and including its CPU. */
export function ancestry(sys: NcclSystem, id: string): NcclNode[] {
  const out: NcclNode[] = [];
  const seen = new Set<string>();
  let cur = sys.nodes.get(id);
  while (cur && !seen.has(cur.id)) {
    out.push(cur);
    seen.add(cur.id);
    cur = cur.parent ? sys.nodes.get(cur.parent) : undefined;
  }
  return out;
}
