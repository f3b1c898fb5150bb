// Result types of the P2P rules: the kernel's P2PDMA verdict, the nvidia-smi style legend, paths.
import type { AllowListEntry } from './allow-list.js';
import type { AcsRedirectState } from './walk.js';

/** The kernel's enum pci_p2pdma_map_type values that calc_map_type_and_dist() can return. */
export type MapType = 'BUS_ADDR' | 'THRU_HOST_BRIDGE' | 'NOT_SUPPORTED';
export const MAP_TYPES: readonly MapType[] = ['BUS_ADDR', 'THRU_HOST_BRIDGE', 'NOT_SUPPORTED'];

export type ReasonCode =
  | 'same-function'
  | 'common-bridge'
  | 'acs-redirect'
  | 'acs-unknown'
  | 'no-common-bridge'
  | 'cpu-amd-zen'
  | 'cpu-not-amd-zen'
  | 'cpu-unknown'
  | 'allow-listed'
  | 'not-allow-listed'
  | 'allow-list-same-host-bridge-only'
  | 'no-host-bridge-device'
  | 'host-bridge-ids-unknown'
  | 'no-p2pdma'
  | 'no-host-route'
  | 'kernel-backports'
  | 'kernel-newer-differs'
  | 'kernel-release-unknown';

/** One range of kernel releases and the answer its rules give ("from 5.9 to before 7.2"). */
export interface ReleaseRange {
  from: string;
  /** First release that answers differently, or null for "and later". */
  until: string | null;
  possible: MapType[];
  mapType: MapType | null;
}

export interface P2pReason {
  code: ReasonCode;
  /** The device or bridge that caused it (BDF), when one did. */
  device: string | null;
  message: string;
}

export type FixKind = 'kernel-parameter' | 'bios' | 'iommu' | 'move-card' | 'kernel-patch' | 'kernel-upgrade' | 'run-as-root';

export interface P2pFix {
  kind: FixKind;
  text: string;
  /** The exact kernel command-line parameter, for kernel-parameter fixes. */
  parameter?: string;
  /** What the fix costs (isolation, IOMMU groups, slots...). */
  tradeoff: string;
}

export interface AcsOnPath {
  bdf: string;
  /** Which walk examined it: the provider's side (up to and including the common bridge) or the client's. */
  side: 'provider' | 'client';
  isCommon: boolean;
  acs: AcsRedirectState;
}

export interface HostBridgeCheck {
  hostBridge: string;
  /** BDF of the function the kernel matched (first on the root bus), or null when there is none. */
  device: string | null;
  /** "8086:29c0", or null when unknown. */
  ids: string | null;
  entry: AllowListEntry | null;
  /** true allowed, false refused, null unknown. */
  allowed: boolean | null;
  note: string;
}

export interface P2pdmaVerdict {
  client: string;
  provider: string;
  /** The kernel's answer, or null when the data cannot decide it (see `verdict` and `possible`). */
  mapType: MapType | null;
  /** mapType, or "unknown: needs root" / "unknown: <why>". */
  verdict: string;
  /** The answers still possible (one element when decided). */
  possible: MapType[];
  /** calc_map_type_and_dist()'s *dist: hops to the common upstream bridge and back (set even when not supported). */
  hops: number;
  /** pci_p2pdma_distance(): hops, or -1 when NOT_SUPPORTED, null when unknown. */
  distance: number | null;
  /** BDF of the nearest common upstream bridge (or the device itself when client == provider). */
  commonUpstream: string | null;
  /** Every function whose ACS control register the kernel reads for this pair. */
  acsPath: AcsOnPath[];
  /** The host-bridge allow-list check (empty when the kernel does not reach it). */
  hostBridges: HostBridgeCheck[];
  cpu: { vendor: string | null; family: number | null; allows: boolean | null };
  /** The release the verdict was computed for; nulls when unknown (then see byRelease). */
  kernel: {
    /** As read from the source or given with --kernel ("6.8.0-45-generic", "latest"). */
    release: string | null;
    /** Upstream base whose rules were applied ("6.8"). */
    rules: string | null;
    distro: string | null;
    /** The distribution backports P2PDMA changes, or a stable backport's point release is unknown. */
    mayDiffer: boolean;
  };
  /** Release unknown: the answer of each release range (empty when the release is known). */
  byRelease: ReleaseRange[];
  /** The first newer release that answers differently, with the commits it brings; null if none. */
  newer: (ReleaseRange & { commits: string[] }) | null;
  reasons: P2pReason[];
  fixes: P2pFix[];
  /** Facts that do not change the verdict but matter in practice (IOMMU, p2pmem). */
  notes: string[];
}

export type Legend = 'X' | 'PIX' | 'PXB' | 'PHB' | 'NODE' | 'SYS';

export interface LegendResult {
  /** null when NUMA placement is unknown and the pair crosses host bridges. */
  legend: Legend | null;
  why: string;
  /** Bridges strictly between each device and the common bridge. */
  bridgesA: number;
  bridgesB: number;
  commonBridge: string | null;
}
