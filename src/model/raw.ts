// What every access method (live sysfs, lspci dump, snapshot) hands to the model: raw facts, no decoding.
// The model owns these types (the source layer depends on the model, not the other way round).
import type { ConfigSpace } from './config-space.js';

/** One sysfs `resource` line: BAR start/end/flags (end is inclusive; size 0 when unused). */
export interface RawResource {
  index: number;
  start: bigint;
  end: bigint;
  flags: number;
}

/** p2pmem attributes the kernel publishes for a provider (`/sys/bus/pci/devices/BDF/p2pmem/`). */
export interface RawP2pmem {
  size: number | null;
  available: number | null;
  published: boolean | null;
}

/** Facts about one PCI function as the source saw them. Missing facts are null, never guessed. */
export interface RawDevice {
  bdf: string; // full form: dddd:bb:dd.f
  config: ConfigSpace;
  /** BDF of the upstream bridge when the source knows it (sysfs path); undefined means "rebuild from bus numbers". */
  parentBdf?: string | null;
  /** Host bridge name as sysfs shows it (`pci0000:00`), when known. */
  hostBridge?: string | null;
  /** Sysfs-provided IDs (these survive a 0-byte config read). Hex strings without 0x. */
  vendorId?: string | null;
  deviceId?: string | null;
  classCode?: string | null;
  subsystemVendorId?: string | null;
  subsystemDeviceId?: string | null;
  revision?: string | null;
  driver?: string | null;
  numaNode?: number | null;
  iommuGroup?: string | null;
  localCpuList?: string | null;
  currentLinkSpeed?: string | null; // as sysfs writes it: "8.0 GT/s PCIe"
  currentLinkWidth?: number | null;
  maxLinkSpeed?: string | null;
  maxLinkWidth?: number | null;
  resources?: RawResource[];
  p2pmem?: RawP2pmem | null;
  /** Names the kernel gave things bound to this function: nvme0, eth0/ens1f0, mlx5_0, card0... */
  classNames?: { nvme?: string[]; block?: string[]; net?: string[]; infiniband?: string[]; drm?: string[]; video4linux?: string[]; dvb?: string[] };
  physfn?: string | null; // SR-IOV: BDF of the PF for a VF
  /** What an NCCL topology XML says of this function beyond PCI (GPU/NIC attributes, NVLinks). */
  nccl?: RawNcclFacts;
  /** Where in the source this came from (sysfs dir or dump line), for error messages. */
  origin?: string;
}

/** Machine-wide facts the P2P rules and doctor need. Anything unknown is null. */
export interface HostInfo {
  cpuVendor: string | null; // "GenuineIntel", "AuthenticAMD", ...
  cpuFamily: number | null;
  /** CPU architecture as Node names it (x64, arm64, ppc64...), from /proc/cpuinfo's shape under a root. */
  arch: string | null;
  cmdline: string | null;
  kernelRelease: string | null;
  kernelConfig: Map<string, string> | null;
  numaNodes: number[] | null;
  iommuEnabled: boolean | null;
  /** IOMMU group number -> default domain type ("identity", "DMA", "DMA-FQ"). */
  iommuGroupTypes: Map<string, string> | null;
  isRoot: boolean | null;
}

/** An NCCL topology XML's <gpu>, <nic>/<net> and <nvlink> facts (absent attributes stay null). */
export interface RawNcclFacts {
  /** The <cpu numaid> this function sits under. */
  numaId: string | null;
  gpu?: { dev: number | null; sm: number | null; gdr: boolean | null; nvlinks: { target: string; count: number; tclass: string | null }[] };
  nets?: { name: string; dev: number | null; speed: number | null; gdr: boolean | null }[];
}

export type SourceMethod = 'sysfs' | 'dump' | 'snapshot' | 'nccl-xml';

/** Where a fabric came from, as the source object (src/access/source.ts) describes itself. */
export interface FabricSource {
  method: SourceMethod;
  /** '/' for this machine, else the --root or --dump argument. */
  location: string;
  /** The machine p2p runs on (sysfs under '/'): decided once, by the source. */
  live: boolean;
}

/**
 * Facts a source reads only when a view asks (pciutils' PCI_FILL_* bits): `topo` needs none of them,
 * `show` and `doctor` all. The model never reads anything itself; a field not filled stays empty.
 */
export const FILL_RESOURCES = 1; // RawDevice.resources -> Device.bars
export const FILL_LOCAL_CPUS = 2; // RawDevice.localCpuList
export const FILL_KERNEL_CONFIG = 4; // HostInfo.kernelConfig
export const FILL_IOMMU_TYPES = 8; // HostInfo.iommuGroupTypes
/** Every function's whole config space; without it a live source reads only what the fabric's decoders need. */
export const FILL_CONFIG_FULL = 16;
/** With on-demand config, also the registers doctor's checks decode (AER, a GPU's Resizable BAR: caps/fabric-needs.ts). */
export const FILL_CONFIG_CHECKS = 32;
export const FILL_NONE = 0;
export const FILL_ALL = FILL_RESOURCES | FILL_LOCAL_CPUS | FILL_KERNEL_CONFIG | FILL_IOMMU_TYPES | FILL_CONFIG_FULL | FILL_CONFIG_CHECKS;

export interface RawFabric {
  source: FabricSource;
  /** FILL_* bits the source has filled (pciutils' known_fields); absent: all it has is given (a built fixture). */
  filled?: number;
  devices: RawDevice[];
  host: HostInfo;
  /** Non-fatal problems found while reading (dangling links, devices missing from bus/pci/devices...). */
  warnings: string[];
}

export function emptyHostInfo(): HostInfo {
  return {
    cpuVendor: null, cpuFamily: null, arch: null, cmdline: null, kernelRelease: null, kernelConfig: null,
    numaNodes: null, iommuEnabled: null, iommuGroupTypes: null, isRoot: null,
  };
}
