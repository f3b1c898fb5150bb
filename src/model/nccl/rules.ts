// NCCL's topology rules as data: its path types in order, the levels its P2P and GPUDirect RDMA checks
// compare against, and the environment variables that move them. Read from NVIDIA/nccl master at
// commit 04cdb808 (2026; src/graph/topo.h, topo.cc, paths.cc, xml.cc), the 2.28/2.29 line.

export const NCCL_RELEASE = 'NVIDIA/nccl master 04cdb808 (2.28/2.29 line): src/graph/topo.h, topo.cc, paths.cc, xml.cc';

/** topoPathTypeStr: lower is closer. NCCL compares levels by this order (path.type <= level). */
export const PATH_TYPES = ['LOC', 'NVL', 'NVB', 'C2C', 'PIX', 'PXB', 'P2C', 'PXN', 'PHB', 'SYS', 'NET', 'DIS'] as const;
export type NcclPathType = (typeof PATH_TYPES)[number];

export function rank(t: NcclPathType): number {
  return PATH_TYPES.indexOf(t);
}

/** What each type means, for the text view and docs. */
export const PATH_MEANING: Record<NcclPathType, string> = {
  LOC: 'the same device',
  NVL: 'NVLink (directly or through NVSwitch)',
  NVB: 'NVLink through one intermediate GPU',
  C2C: 'chip-to-chip link to the CPU (Grace)',
  PIX: 'at most one PCI switch (NCCL node) between',
  PXB: 'several PCI switches, no CPU',
  P2C: 'GPU to NIC through C2C and the CPU',
  PXN: 'to the NIC through an NVLink peer GPU that is close to it',
  PHB: 'through a CPU (NCCL gives each NUMA node one CPU, whatever its root complexes)',
  SYS: 'across CPUs (NUMA nodes)',
  NET: 'over the network',
  DIS: 'disconnected',
};

/** ncclGetLevel: names are matched exactly up to SYS; digits use the old numbering. */
export const LEVEL_NAMES: readonly NcclPathType[] = PATH_TYPES.slice(0, rank('SYS') + 1);
export const OLD_LEVELS: readonly NcclPathType[] = ['LOC', 'PIX', 'PXB', 'PHB', 'SYS', 'SYS'];

/** ncclTopoCheckP2p: by default no P2P across a CPU (host bridge) or further. */
export const P2P_DEFAULT_LEVEL: NcclPathType = 'PXB';
/** ...except x86 AMD machines with at most this many GPUs (DEV nodes): P2P up to SYS. */
export const P2P_AMD_MAX_GPUS = 2;
export const P2P_AMD_LEVEL: NcclPathType = 'SYS';

/** ncclTopoCheckGdr: GDR when the GPU-NIC distance is at most this; P2C when NCCL_NET_GDR_C2C (default 1), else PXB. */
export const GDR_DEFAULT_LEVEL_C2C: NcclPathType = 'P2C';
export const GDR_DEFAULT_LEVEL: NcclPathType = 'PXB';
/** GDR reads (sends) pre-Ampere only with an NVLink peer, unless NCCL_NET_GDR_READ says otherwise. */
export const GDR_READ_MIN_SM = 80;
/** PXN: the peer GPU must be at most this close to the NIC (PXB, or P2C with NCCL_PXN_C2C=1). */
export const PXN_PEER_MAX: NcclPathType = 'PXB';

/** ncclTopoFlattenBcmSwitches: Broadcom PEX gen4 switches in base mode, matched on vendor:device:subvendor:subdevice & ~0xfff. */
export const BCM_FLATTEN = [{ vendor: '1000', device: 'c010', subsystemVendor: '1000', subsystemDeviceMasked: 'a000' }] as const;

/** NVLink target class NCCL treats as an NVSwitch (tclass 0x068000). */
export const NVSWITCH_TCLASS = '068000';

export interface EnvVarInfo {
  name: string;
  default: string;
  effect: string;
}

/** The variables `p2p nccl` reads (and says how they change its answers). */
export const NCCL_ENV_VARS: readonly EnvVarInfo[] = [
  { name: 'NCCL_P2P_DISABLE', default: '0', effect: '1: no P2P between any two GPUs (level LOC)' },
  { name: 'NCCL_P2P_LEVEL', default: 'PXB (SYS on AMD with <=2 GPUs)', effect: 'P2P when the GPU pair path is at most this type (LOC..SYS, or 0-5 old numbering)' },
  { name: 'NCCL_IGNORE_DISABLED_P2P', default: '0', effect: '1: NVML refusing P2P falls back quietly; 2: NVML is not asked at all' },
  { name: 'NCCL_SHM_DISABLE', default: '0', effect: '1: no host-memory (SHM) transport; pairs without P2P go over the network' },
  { name: 'NCCL_NET_GDR_LEVEL', default: 'PXB (P2C when NCCL_NET_GDR_C2C=1)', effect: 'GPUDirect RDMA when the GPU-NIC path is at most this type' },
  { name: 'NCCL_NET_GDR_READ', default: '-2 (on from sm_80; before only with NVLink)', effect: '0: no GPUDirect reads (sends); 1: always allowed by distance' },
  { name: 'NCCL_NET_GDR_C2C', default: '1', effect: '0: GDR level default back to PXB' },
  { name: 'NCCL_PXN_C2C', default: '1', effect: '0: a PXN peer must be PXB-close to the NIC, not P2C' },
  { name: 'NCCL_PXN_DISABLE', default: '0', effect: '1: no PXN (GPU reaching a NIC through an NVLink peer)' },
  { name: 'NCCL_NVB_DISABLE', default: '0', effect: '1: no NVB (NVLink through an intermediate GPU)' },
  { name: 'NCCL_TOPO_FILE', default: '(unset)', effect: 'an NCCL topology XML read instead of detecting the machine' },
];
