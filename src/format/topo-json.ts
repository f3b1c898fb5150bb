// The stable JSON shape of `p2p topo --json` (documented in docs/topo-json.md); bump schemaVersion on breaking change.
import type { AcsBitName, Device, Fabric } from '../model/types.js';
import { isDowntrained, isLinkDown } from '../model/link-math.js';
import type { MemMechanism } from '../model/mem-mechanisms.js';

export const TOPO_SCHEMA_VERSION = 1;

export interface TopoDeviceJson {
  bdf: string;
  parent: string | null;
  children: string[];
  hostBridge: string;
  vendorId: string | null;
  deviceId: string | null;
  classCode: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  revision: string | null;
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  kind: string;
  portType: string | null;
  alias: string | null;
  names: string[];
  driver: string | null;
  numaNode: number | null;
  iommuGroup: string | null;
  link: { speed: number | null; width: number | null; maxSpeed: number | null; maxWidth: number | null; downtrained: boolean | null; up: boolean } | null;
  mps: number | null;
  mrrs: number | null;
  acs: { capable: AcsBitName[]; enabled: AcsBitName[] | null } | null;
  capabilities: { offset: number; id: number; name: string; extended: boolean }[];
  capabilitiesComplete: boolean;
  secondaryBus: number | null;
  subordinateBus: number | null;
  p2pmem: { size: number | null; available: number | null; published: boolean | null } | null;
  configBytes: number;
  /** SR-IOV: the PF's BDF when this function is a VF. */
  physfn: string | null;
  /** Device-memory mechanisms behind this function (docs/topo-json.md); absent when it has none. */
  memory?: MemoryJson[];
}

/** One device-memory mechanism: kind (dax, rdma, capture, dvb, hmm, dmabuf, cxl, kfd, vram), node, facts. */
export interface MemoryJson {
  kind: string;
  node: string;
  pci: string | null;
  detail: string[];
  sizeBytes: number | null;
}

function memoryJson(m: MemMechanism): MemoryJson {
  return { kind: m.kind, node: m.node, pci: m.pci, detail: m.detail, sizeBytes: m.sizeBytes ?? null };
}

/** What fabricToJson adds when the source's mechanisms were read: the report decoded from them. */
export interface TopoMemory {
  byPci: ReadonlyMap<string, readonly MemMechanism[]>;
  elsewhere: readonly MemMechanism[];
}

export interface TopoJson {
  schemaVersion: number;
  source: { method: string; location: string };
  host: { cpuVendor: string | null; cpuFamily: number | null; kernelRelease: string | null; numaNodes: number[] | null; iommuEnabled: boolean | null };
  devices: TopoDeviceJson[];
  /** Mechanisms with no PCI function (platform or virtual: vivid, rxe0, /dev/hmm_dmirror0); absent when none. */
  memory?: MemoryJson[];
  warnings: string[];
}

export function deviceToJson(d: Device): TopoDeviceJson {
  return {
    bdf: d.bdf,
    parent: d.parent,
    children: d.children,
    hostBridge: d.hostBridge,
    vendorId: d.vendorId,
    deviceId: d.deviceId,
    classCode: d.classCode,
    subsystemVendorId: d.subsystemVendorId,
    subsystemDeviceId: d.subsystemDeviceId,
    revision: d.revision,
    vendorName: d.vendorName,
    deviceName: d.deviceName,
    className: d.className,
    kind: d.kind,
    portType: d.portType,
    alias: d.alias,
    names: d.names,
    driver: d.driver,
    numaNode: d.numaNode,
    iommuGroup: d.iommuGroup,
    link: d.link ? { ...d.link, downtrained: isDowntrained(d.link), up: !isLinkDown(d.link) } : null,
    mps: d.mps,
    mrrs: d.mrrs,
    acs: d.acs ? { capable: d.acs.capable, enabled: d.acs.enabled } : null,
    capabilities: d.capabilities.caps.map((c) => ({ offset: c.offset, id: c.id, name: c.name, extended: c.extended })),
    capabilitiesComplete: d.capabilities.complete,
    secondaryBus: d.secondaryBus,
    subordinateBus: d.subordinateBus,
    p2pmem: d.p2pmem ?? null,
    configBytes: d.configBytes,
    physfn: d.physfn,
  };
}

export function fabricToJson(f: Fabric, mem?: TopoMemory): TopoJson {
  const json = fabricJson(f);
  if (!mem) return json;
  // Added only where there is something: a fabric without mechanisms prints as before, byte for byte.
  for (const d of json.devices) {
    const ms = mem.byPci.get(d.bdf);
    if (ms?.length) d.memory = ms.map(memoryJson);
  }
  if (!mem.elsewhere.length) return json;
  const { warnings, ...rest } = json;
  return { ...rest, memory: mem.elsewhere.map(memoryJson), warnings };
}

function fabricJson(f: Fabric): TopoJson {
  return {
    schemaVersion: TOPO_SCHEMA_VERSION,
    source: f.source,
    host: {
      cpuVendor: f.host.cpuVendor,
      cpuFamily: f.host.cpuFamily,
      kernelRelease: f.host.kernelRelease,
      numaNodes: f.host.numaNodes,
      iommuEnabled: f.host.iommuEnabled,
    },
    devices: f.devices.map(deviceToJson),
    warnings: f.warnings,
  };
}
