// Builds Fabric objects directly (every Device field filled) for the P2P rule tests, plus the lab's
// QEMU q35 shapes. Independent of the sysfs/dump loaders on purpose: the rules get tested on exactly
// the facts they are given.
import { emptyHostInfo, type HostInfo } from '../../src/access/types.js';
import { ConfigSpace } from '../../src/model/config-space.js';
import {
  ACS_BIT_NAMES, type AcsBitName, type AcsState, type Device, type DeviceKind, type Fabric, type LinkState, type PortType,
} from '../../src/model/types.js';

export interface DevSpec {
  bdf: string;
  /** Upstream bridge BDF; omit or null for a function on a root bus. */
  parent?: string | null;
  kind?: DeviceKind;
  portType?: PortType | null;
  vendorId?: string | null;
  deviceId?: string | null;
  deviceName?: string | null;
  /** Default: "pciDDDD:BB" of the root bus this function's tree hangs from. */
  hostBridge?: string;
  numaNode?: number | null;
  localCpuList?: string | null;
  /** Bits set in ACS control; 'unreadable' = cap present, control unread; undefined/null = no ACS cap. */
  acs?: AcsBitName[] | 'unreadable' | null;
  /** 4096 (default), 256 or 64; 64 makes the capability walk incomplete. */
  configBytes?: number;
  link?: Partial<LinkState> | null;
  mps?: number | null;
  p2pmem?: { size: number | null; available?: number | null; published: boolean | null } | null;
  names?: string[];
  alias?: string | null;
  iommuGroup?: string | null;
  physfn?: string | null;
}

const BDF = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

function acsState(spec: DevSpec['acs']): AcsState | null {
  if (spec === undefined || spec === null) return null;
  const capRaw = 0x7f;
  if (spec === 'unreadable') return { offset: 0x148, capRaw, ctlRaw: null, capable: [...ACS_BIT_NAMES], enabled: null };
  const ctlRaw = spec.reduce((m, b) => m | (1 << ACS_BIT_NAMES.indexOf(b)), 0);
  return { offset: 0x148, capRaw, ctlRaw, capable: [...ACS_BIT_NAMES], enabled: ACS_BIT_NAMES.filter((b) => spec.includes(b)) };
}

const BRIDGE_KINDS: ReadonlySet<DeviceKind> = new Set(['root-port', 'switch-upstream', 'switch-downstream', 'bridge', 'host-bridge']);

export function makeDevice(spec: DevSpec): Device {
  const m = BDF.exec(spec.bdf);
  if (!m) throw new Error(`bad BDF ${spec.bdf}`);
  const kind = spec.kind ?? 'endpoint';
  const configBytes = spec.configBytes ?? 4096;
  const config = new ConfigSpace(new Uint8Array(configBytes));
  const portType: PortType | null = spec.portType !== undefined ? spec.portType
    : kind === 'root-port' ? 'root-port'
    : kind === 'switch-upstream' ? 'upstream'
    : kind === 'switch-downstream' ? 'downstream'
    : kind === 'host-bridge' || kind === 'bridge' ? null
    : 'endpoint';
  const link: LinkState | null = spec.link === null ? null : spec.link
    ? { speed: spec.link.speed ?? null, width: spec.link.width ?? null, maxSpeed: spec.link.maxSpeed ?? null, maxWidth: spec.link.maxWidth ?? null }
    : null;
  return {
    bdf: spec.bdf,
    domain: parseInt(m[1], 16),
    bus: parseInt(m[2], 16),
    slot: parseInt(m[3], 16),
    func: parseInt(m[4], 16),
    parent: spec.parent ?? null,
    children: [],
    hostBridge: spec.hostBridge ?? '',
    vendorId: spec.vendorId ?? null,
    deviceId: spec.deviceId ?? null,
    classCode: null,
    subsystemVendorId: null,
    subsystemDeviceId: null,
    revision: null,
    headerType: BRIDGE_KINDS.has(kind) && kind !== 'host-bridge' ? 1 : 0,
    vendorName: null,
    deviceName: spec.deviceName ?? null,
    className: null,
    kind,
    alias: spec.alias ?? null,
    names: spec.names ?? [],
    driver: null,
    numaNode: spec.numaNode ?? null,
    iommuGroup: spec.iommuGroup ?? null,
    localCpuList: spec.localCpuList ?? null,
    portType: configBytes < 256 ? null : portType,
    secondaryBus: null,
    subordinateBus: null,
    link,
    mps: spec.mps ?? null,
    mpsSupported: null,
    mrrs: null,
    relaxedOrdering: null,
    acs: configBytes >= 4096 ? acsState(spec.acs) : null,
    capabilities: { caps: [], complete: configBytes >= 4096 || (configBytes >= 256 && kind === 'host-bridge'), errors: [] },
    bars: [],
    p2pmem: spec.p2pmem ? { size: spec.p2pmem.size, available: spec.p2pmem.available ?? null, published: spec.p2pmem.published } : null,
    physfn: spec.physfn ?? null,
    config,
    configBytes,
    raw: { bdf: spec.bdf, config },
  };
}

/** Hand-built hosts run the newest rules unless a test names a release (release-table tests do). */
export function makeHost(over: Partial<HostInfo> = {}): HostInfo {
  return { ...emptyHostInfo(), kernelRelease: 'latest', ...over };
}

export const INTEL_HOST: Partial<HostInfo> = { cpuVendor: 'GenuineIntel', cpuFamily: 6, numaNodes: [0], iommuEnabled: false, isRoot: true };
export const AMD_ZEN1_HOST: Partial<HostInfo> = { cpuVendor: 'AuthenticAMD', cpuFamily: 0x17, numaNodes: [0], iommuEnabled: false, isRoot: true };

/** Links children, fills host bridges and roots. Devices keep the order given, sorted by BDF. */
export function makeFabric(specs: DevSpec[], host: Partial<HostInfo> = INTEL_HOST): Fabric {
  const devices = specs.map(makeDevice).sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
  const byBdf = new Map(devices.map((d) => [d.bdf, d]));
  if (byBdf.size !== devices.length) throw new Error('duplicate BDF in fixture');
  for (const d of devices) {
    if (d.parent) {
      const p = byBdf.get(d.parent);
      if (!p) throw new Error(`${d.bdf}: parent ${d.parent} not in fixture`);
      p.children.push(d.bdf);
    }
  }
  for (const d of devices) {
    if (d.hostBridge) continue;
    let top = d;
    while (top.parent) top = byBdf.get(top.parent)!;
    d.hostBridge = `pci${top.bdf.slice(0, top.bdf.indexOf(':'))}:${top.bdf.slice(top.bdf.indexOf(':') + 1, top.bdf.lastIndexOf(':'))}`;
  }
  return {
    devices,
    byBdf,
    roots: devices.filter((d) => d.parent === null),
    host: makeHost(host),
    source: { method: 'snapshot', location: 'test fixture', live: false },
    warnings: [],
  };
}

// ---------------------------------------------------------------------------------------------
// The lab's QEMU q35 fabric (see docs/lab.md): host bridge 8086:29c0 at 00:00.0,
// pcie-root-port 1b36:000c (ACS capability), x3130 switch 104c:8232/8233 (no ACS), QEMU NVMe
// 1b36:0010 with a CMB published as p2pmem on the provider.

export interface LabOptions {
  host?: Partial<HostInfo>;
  /** ACS bits the kernel turned on at the root ports (with intel_iommu=on: SrcValid ReqRedir CmpltRedir UpstreamFwd). */
  rootPortAcs?: AcsBitName[];
  configBytes?: number;
}

export const IOMMU_ACS: AcsBitName[] = ['SrcValid', 'ReqRedir', 'CmpltRedir', 'UpstreamFwd'];

/**
 * 00:00.0 host bridge; 00:01.0 root port -> 01:00.0 switch up -> 02:00.0 / 02:01.0 down ->
 * 03:00.0 nvme (provider, CMB) and 04:00.0 nvme; 00:02.0 root port -> 05:00.0 nvme;
 * 00:03.0 root port -> 06:00.0 / 06:00.1 two functions of one NVMe card.
 */
export function labFabric(opts: LabOptions = {}): Fabric {
  const rpAcs = opts.rootPortAcs ?? [];
  const cb = opts.configBytes;
  const host = opts.host ? { kernelRelease: '6.12.117', ...opts.host } : { ...INTEL_HOST, kernelRelease: '6.12.117' };
  const gen3x4 = { speed: 8, width: 4, maxSpeed: 8, maxWidth: 4 };
  const nvme = (bdf: string, parent: string, extra: Partial<DevSpec> = {}): DevSpec => ({
    bdf, parent, kind: 'nvme', vendorId: '1b36', deviceId: '0010', link: gen3x4, mps: 128, configBytes: cb, ...extra,
  });
  return makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0', deviceName: '82G33/G31/P35/P31 Express DRAM Controller', configBytes: cb === 64 ? 64 : 256 },
    { bdf: '0000:00:01.0', kind: 'root-port', vendorId: '1b36', deviceId: '000c', acs: rpAcs, link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '1' },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', vendorId: '104c', deviceId: '8232', link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '1' },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '104c', deviceId: '8233', link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '1' },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '104c', deviceId: '8233', link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '1' },
    nvme('0000:03:00.0', '0000:02:00.0', { names: ['nvme0'], p2pmem: { size: 67108864, published: true }, iommuGroup: '1' }),
    nvme('0000:04:00.0', '0000:02:01.0', { names: ['nvme1'], iommuGroup: '1' }),
    { bdf: '0000:00:02.0', kind: 'root-port', vendorId: '1b36', deviceId: '000c', acs: rpAcs, link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '2' },
    nvme('0000:05:00.0', '0000:00:02.0', { names: ['nvme2'], iommuGroup: '2' }),
    { bdf: '0000:00:03.0', kind: 'root-port', vendorId: '1b36', deviceId: '000c', acs: rpAcs, link: gen3x4, mps: 128, configBytes: cb, iommuGroup: '3' },
    nvme('0000:06:00.0', '0000:00:03.0', { names: ['nvme3'], iommuGroup: '3' }),
    nvme('0000:06:00.1', '0000:00:03.0', { names: ['nvme4'], iommuGroup: '3' }),
  ], host);
}
