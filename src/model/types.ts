// The topology model's data types: one Device per PCI function, linked into a Fabric. Pure data.
import type { ConfigSpace } from './config-space.js';
import type { FabricSource, HostInfo, RawDevice } from './raw.js';

export type DeviceKind =
  | 'gpu' | 'nvme' | 'nic' | 'accelerator' | 'storage' | 'capture'
  | 'root-port' | 'switch-upstream' | 'switch-downstream' | 'bridge' | 'host-bridge'
  | 'endpoint';

/** A PCIe link as one side sees it. Speeds in GT/s; null where unknown. */
export interface LinkState {
  speed: number | null;
  width: number | null;
  maxSpeed: number | null;
  maxWidth: number | null;
}

export interface CapabilityEntry {
  offset: number;
  id: number;
  name: string;
  extended: boolean;
  version?: number;
}

export interface CapabilityWalk {
  caps: CapabilityEntry[];
  /** False when the list ran into bytes that could not be read (non-root): the list may be longer. */
  complete: boolean;
  /** Corruption found while walking (loops, pointers out of range): walking stopped there. */
  errors: string[];
}

/** lspci's names for ACS capability/control bits, in bit order. */
export const ACS_BIT_NAMES = ['SrcValid', 'TransBlk', 'ReqRedir', 'CmpltRedir', 'UpstreamFwd', 'EgressCtrl', 'DirectTrans'] as const;
export type AcsBitName = (typeof ACS_BIT_NAMES)[number];

export interface AcsState {
  offset: number;
  capRaw: number;
  /** Null when the control register could not be read. */
  ctlRaw: number | null;
  capable: AcsBitName[];
  enabled: AcsBitName[] | null;
}

export type PortType =
  | 'endpoint' | 'legacy-endpoint' | 'root-port' | 'upstream' | 'downstream'
  | 'pcie-to-pci' | 'pci-to-pcie' | 'rc-integrated' | 'rc-event-collector' | 'unknown';

export interface Bar {
  index: number; // 0-5 BARs, 6 expansion ROM
  start: bigint;
  size: bigint;
  kind: 'mem' | 'io' | 'rom';
  is64: boolean;
  prefetchable: boolean;
}

export interface Device {
  bdf: string;
  domain: number;
  bus: number;
  slot: number;
  func: number;
  parent: string | null;
  children: string[];
  /** Host bridge this function hangs under ("pci0000:00"), or the root bus as "dddd:bb". */
  hostBridge: string;
  vendorId: string | null;
  deviceId: string | null;
  classCode: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  revision: string | null;
  headerType: number | null;
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  kind: DeviceKind;
  alias: string | null;
  /** Every kernel name bound to this function (nvme0, eth0, mlx5_0...). */
  names: string[];
  driver: string | null;
  numaNode: number | null;
  iommuGroup: string | null;
  localCpuList: string | null;
  portType: PortType | null;
  /** Bus numbers for bridges (header type 1). */
  secondaryBus: number | null;
  subordinateBus: number | null;
  link: LinkState | null;
  mps: number | null;
  mpsSupported: number | null;
  mrrs: number | null;
  relaxedOrdering: boolean | null;
  acs: AcsState | null;
  capabilities: CapabilityWalk;
  bars: Bar[];
  p2pmem: RawDevice['p2pmem'];
  physfn: string | null;
  config: ConfigSpace;
  configBytes: number;
  raw: RawDevice;
}

export interface Fabric {
  devices: Device[];
  byBdf: Map<string, Device>;
  /** Devices on root buses (parent null), in BDF order. */
  roots: Device[];
  host: HostInfo;
  source: FabricSource;
  /** FILL_* bits (src/model/raw.ts) the source filled: bars, local CPUs, kernel config, IOMMU types (absent: a fixture built whole). */
  filled?: number;
  warnings: string[];
}
