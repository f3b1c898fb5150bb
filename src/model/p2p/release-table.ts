// What changed when in the kernel's P2PDMA code (drivers/pci/p2pdma.c and around it), kept as data,
// and the rules one release applies. Sources and what could not be confirmed: docs/p2p-rules.md.
import { KERNEL_ALLOW_LIST, type AllowList, type AllowListEntry } from './allow-list.js';

/** What a change does to the decision (`interface` rows change what userspace can do, not the verdict). */
export type ChangeEffect =
  | 'p2pdma'                 // P2PDMA exists: BUS_ADDR below a common upstream bridge, anything else refused
  | 'host-route-no-common'   // no common bridge: allowed when both host bridges are allow-listed
  | 'host-route-acs'         // ACS redirect goes through the host-bridge check too; REQ_SAME_HOST_BRIDGE
  | 'cpu-amd-zen'            // AMD family >= 0x17 allows every host-bridge path
  | 'host-bridge-root-port'  // the matched device: first on the root bus at devfn 00.0 or a Root Port (before: 00.0 only)
  | 'allow-list'             // allow-list rows added (or removed: see AllowListEntry.until)
  | 'interface';

export interface ReleaseChange {
  /** First upstream release ("4.20"). */
  release: string;
  /** Upstream commit (12 hex digits), or null when not found. */
  commit: string | null;
  title: string;
  effect: ChangeEffect;
  /** Stable series that carries it too, where the commit was marked for stable. */
  stable?: string;
  /** False where the release or commit is inferred (see docs/p2p-rules.md). */
  confirmed: boolean;
}

const FEATURES: readonly ReleaseChange[] = [
  { release: '4.19', commit: 'aaca43fda742', title: 'pci=disable_acs_redir= kernel parameter', effect: 'interface', confirmed: false },
  { release: '4.20', commit: '52916982af48', title: 'P2PDMA: peer memory between devices below a common upstream bridge; ACS redirect refuses', effect: 'p2pdma', confirmed: false },
  { release: '5.2', commit: '0f97da831026', title: 'host-bridge allow-list for devices with no common bridge (AMD Zen 1022:1450)', effect: 'host-route-no-common', confirmed: false },
  { release: '5.4', commit: null, title: 'allow-list applied to ACS-redirected paths, REQ_SAME_HOST_BRIDGE, THRU_HOST_BRIDGE mapped through the IOMMU', effect: 'host-route-acs', confirmed: false },
  { release: '5.9', commit: 'dea286bb71ba', title: 'cpu_supports_p2pdma(): AMD family >= 0x17 allows host-bridge paths (AMD IDs leave the list)', effect: 'cpu-amd-zen', confirmed: true },
  { release: '5.19', commit: '1af7c26c59eb', title: 'host-bridge device: first function on the root bus, at devfn 00.0 or a Root Port', effect: 'host-bridge-root-port', confirmed: false },
  { release: '6.2', commit: '7e9c7ef83d78', title: 'userspace P2P memory: sysfs p2pmem/allocate (mmap)', effect: 'interface', confirmed: false },
  { release: '6.11', commit: '47c8846a49ba', title: 'pci=config_acs= kernel parameter', effect: 'interface', confirmed: false },
  { release: '6.16', commit: null, title: 'P2PDMA mapping reworked for the new DMA API (provider state per device); verdict logic unchanged', effect: 'interface', confirmed: false },
  { release: '7.1', commit: '1a1f96e3e2a8', title: 'wildcard Device IDs in the allow-list', effect: 'allow-list', confirmed: true },
];

/** One row per (commit, release) of allow-list entries, titled by their labels. */
function allowListChanges(entries: readonly AllowListEntry[]): ReleaseChange[] {
  const rows = new Map<string, ReleaseChange>();
  for (const e of entries) {
    if (e.since === 'queued') continue;
    const key = `${e.since}/${e.commit ?? '?'}`;
    const id = `${e.vendor}:${e.device ?? 'any'} ${e.label}`;
    const row = rows.get(key);
    if (row) row.title += `, ${id}`;
    else rows.set(key, { release: e.since, commit: e.commit, title: `allow-list: ${id}`, effect: 'allow-list', ...(e.stable ? { stable: e.stable } : {}), confirmed: e.confirmed });
  }
  return [...rows.values()];
}

export interface KernelVersion { major: number; minor: number; patch: number | null }

export function parseVersion(text: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? { major: +m[1], minor: +m[2], patch: m[3] === undefined ? null : +m[3] } : null;
}

/** Major/minor order (patch ignored: upstream features land in x.y.0). */
export function compareMinor(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

const atLeast = (v: KernelVersion, release: string): boolean => {
  const r = parseVersion(release);
  return r !== null && compareMinor(v, r) >= 0;
};

/** The release table, oldest first. */
export const RELEASE_TABLE: readonly ReleaseChange[] = [...FEATURES, ...allowListChanges(KERNEL_ALLOW_LIST.entries)]
  .sort((a, b) => compareMinor(parseVersion(a.release)!, parseVersion(b.release)!));

/** The newest release the table knows: what `--kernel latest` means. */
export const LATEST_RELEASE = RELEASE_TABLE[RELEASE_TABLE.length - 1].release;

/** Releases at which some verdict can change, oldest first (interface rows excluded). */
export const VERDICT_BOUNDARIES: readonly string[] = [...new Set(RELEASE_TABLE.filter((r) => r.effect !== 'interface').map((r) => r.release))];

/** The P2PDMA rules of one upstream release. */
export interface KernelRules {
  /** The upstream release the rules are for ("6.8"). */
  release: string;
  version: KernelVersion;
  hasP2pdma: boolean;
  hostRouteNoCommon: boolean;
  hostRouteAcs: boolean;
  cpuAmdRule: boolean;
  /** How the device matched against the allow-list is picked. */
  hostBridgeDevice: 'devfn-00.0' | 'devfn-00.0-or-root-port';
  allowList: AllowList;
  /** Stable backports whose point release is not known here: the verdict on this series may differ. */
  unsureBackports: ReleaseChange[];
}

export function allowListFor(v: KernelVersion): AllowList {
  const entries = KERNEL_ALLOW_LIST.entries.filter((e) =>
    e.since !== 'queued' && atLeast(v, e.since) && !(e.until && atLeast(v, e.until)));
  return { kernel: `Linux ${v.major}.${v.minor}`, source: KERNEL_ALLOW_LIST.source, entries };
}

export function rulesFor(v: KernelVersion): KernelRules {
  const has = (effect: ChangeEffect) => FEATURES.some((f) => f.effect === effect && atLeast(v, f.release));
  return {
    release: `${v.major}.${v.minor}`,
    version: v,
    hasP2pdma: has('p2pdma'),
    hostRouteNoCommon: has('host-route-no-common'),
    hostRouteAcs: has('host-route-acs'),
    cpuAmdRule: has('cpu-amd-zen'),
    hostBridgeDevice: has('host-bridge-root-port') ? 'devfn-00.0-or-root-port' : 'devfn-00.0',
    allowList: allowListFor(v),
    unsureBackports: RELEASE_TABLE.filter((r) => r.stable === `${v.major}.${v.minor}`),
  };
}

export const LATEST_RULES: KernelRules = rulesFor(parseVersion(LATEST_RELEASE)!);

/** The change that a boundary release brings, for "from 7.2 (0ba76b19fd4c)". */
export function changesAt(release: string): ReleaseChange[] {
  return RELEASE_TABLE.filter((r) => r.release === release && r.effect !== 'interface');
}

const BOUNDARY_RULES = new Map<string, KernelRules>();

/** rulesFor() of a boundary release, built once (the table is constant). */
export function rulesAt(release: string): KernelRules {
  let r = BOUNDARY_RULES.get(release);
  if (!r) BOUNDARY_RULES.set(release, (r = rulesFor(parseVersion(release)!)));
  return r;
}
