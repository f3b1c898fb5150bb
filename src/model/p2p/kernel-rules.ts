// The kernel's P2PDMA decision, re-implemented from reading drivers/pci/p2pdma.c
// (calc_map_type_and_dist, pci_p2pdma_distance, host-bridge allow-list, AMD CPU rule).
// Unknown facts (unread config space, unknown CPU) give an "unknown" verdict, never a guess.
import type { HostInfo } from '../raw.js';
import type { Device, Fabric } from '../types.js';
import { AMD_MIN_FAMILY, AMD_VENDOR, KERNEL_ALLOW_LIST, findAllowListEntry, type AllowList } from './allow-list.js';
import { fixesFor } from './fixes.js';
import { parseKernelRelease, type KernelRelease } from './kernel-release.js';
import { LATEST_RULES, VERDICT_BOUNDARIES, changesAt, compareMinor, rulesAt, type KernelRules } from './release-table.js';
import type { AcsOnPath, HostBridgeCheck, MapType, P2pReason, P2pdmaVerdict, ReleaseRange } from './types.js';
import {
  acsRedirectState, formatRedirectBits, hostBridgeDevice, hostBridgeOf, idPair, upstreamChain,
} from './walk.js';

const UNKNOWN_WHAT: Partial<Record<string, string>> = {
  'acs-unknown': 'ACS state unreadable',
  'cpu-unknown': 'CPU vendor/family unknown',
  'host-bridge-ids-unknown': 'host bridge IDs unknown',
  'kernel-release-unknown': 'kernel release unknown',
};

export interface P2pdmaOptions {
  /** Replaces the allow-list of the chosen release (tests, what-if). */
  allowList?: AllowList;
  /**
   * The kernel release to decide for: a release string ("6.8.0-45-generic"), "latest", or null for
   * unknown (then the answer of each release range is given). Default: the fabric's own release.
   */
  kernel?: string | null;
}

/** The release the options and fabric name, parsed; null when unknown. */
export function chosenRelease(fabric: Fabric, opts: P2pdmaOptions): KernelRelease | null {
  const raw = opts.kernel === undefined ? fabric.host.kernelRelease : opts.kernel;
  return raw ? parseKernelRelease(raw) : null;
}

/** cpu_supports_p2pdma(): true for AMD family >= 0x17; null when the CPU is unknown. */
export function cpuSupportsP2pdma(host: HostInfo): boolean | null {
  // The AMD rule lives in x86 code: on any other architecture only the allow-list can help.
  if (host.arch !== null && host.arch !== 'x64' && host.arch !== 'ia32') return false;
  if (host.cpuVendor === null) return null;
  if (host.cpuVendor !== AMD_VENDOR) return false;
  if (host.cpuFamily === null) return null;
  return host.cpuFamily >= AMD_MIN_FAMILY;
}

type HostBridgePicker = typeof hostBridgeDevice;

/** hostBridgeDevice() remembered for one verdict: every release asks for the same one or two root buses. */
function memoPicker(): HostBridgePicker {
  const seen = new Map<string, ReturnType<HostBridgePicker>>();
  return (fabric, hb, mode) => {
    const key = `${hb}|${mode}`;
    let r = seen.get(key);
    if (!r) seen.set(key, (r = hostBridgeDevice(fabric, hb, mode)));
    return r;
  };
}

/** __host_bridge_whitelist() for one host bridge. */
export function checkHostBridge(
  fabric: Fabric, hostBridge: string, sameHostBridge: boolean, list: AllowList = KERNEL_ALLOW_LIST,
  mode: KernelRules['hostBridgeDevice'] = 'devfn-00.0-or-root-port',
  pick: HostBridgePicker = hostBridgeDevice,
): HostBridgeCheck {
  const hb = pick(fabric, hostBridge, mode);
  if (!hb.device) {
    return { hostBridge, device: null, ids: null, entry: null, allowed: false, note: hb.note };
  }
  const d = hb.device;
  if (!d.vendorId || !d.deviceId) {
    return {
      hostBridge, device: d.bdf, ids: null, entry: null, allowed: null,
      note: `the vendor/device IDs of ${d.bdf} are unknown, so the allow-list cannot be checked`,
    };
  }
  const ids = idPair(d);
  const entry = findAllowListEntry(list, d.vendorId, d.deviceId);
  if (!entry) {
    return { hostBridge, device: d.bdf, ids, entry: null, allowed: false, note: `${d.bdf} [${ids}] is not in the allow-list` };
  }
  if (entry.sameHostBridgeOnly && !sameHostBridge) {
    return {
      hostBridge, device: d.bdf, ids, entry, allowed: false,
      note: `${d.bdf} [${ids}] (${entry.label}) is allow-listed only for peers under the same host bridge`,
    };
  }
  return { hostBridge, device: d.bdf, ids, entry, allowed: true, note: `${d.bdf} [${ids}] (${entry.label}) is allow-listed` };
}

function sameDevice(a: Device, b: Device): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot;
}

/** The facts of a pair that no kernel release changes: chains, common bridge, ACS on the walk. */
interface PairWalk {
  common: Device | null;
  provChain: Device[];
  cliChain: Device[];
  distA: number;
  distB: number;
  acsPath: AcsOnPath[];
  redirecting: AcsOnPath[];
  unknownAcs: AcsOnPath[];
  hbP: string;
  hbC: string;
  pick: HostBridgePicker;
}

/**
 * The upstream bridge walk of calc_map_type_and_dist(): up from the provider (a) and, for each of its
 * ancestors, up the client's chain (bb) looking for it; the first match is the common bridge and the
 * hop counts are dist_a and dist_b. With none, the distance is both whole chains.
 */
function upstreamWalk(provChain: Device[], cliChain: Device[]): Pick<PairWalk, 'common' | 'distA' | 'distB'> {
  for (let i = 0; i < provChain.length; i++) {
    const j = cliChain.indexOf(provChain[i]);
    if (j >= 0) return { common: provChain[i], distA: i, distB: j };
  }
  return { common: null, distA: provChain.length, distB: cliChain.length };
}

/**
 * The ACS check of calc_map_type_and_dist(): pci_bridge_has_acs_redir() (walk.ts acsRedirectState)
 * on every function of the provider's side up to and including the common bridge, then on the
 * client's side below it (its check_b_path_acs loop). With no common bridge the kernel's result
 * does not depend on ACS, so nothing is listed.
 */
function acsOnPath(provChain: Device[], cliChain: Device[], common: Device | null, distA: number, distB: number): AcsOnPath[] {
  const acsPath: AcsOnPath[] = [];
  if (!common) return acsPath;
  for (const d of provChain.slice(0, distA + 1)) {
    acsPath.push({ bdf: d.bdf, side: 'provider', isCommon: d === common, acs: acsRedirectState(d) });
  }
  for (const d of cliChain.slice(0, distB)) {
    acsPath.push({ bdf: d.bdf, side: 'client', isCommon: false, acs: acsRedirectState(d) });
  }
  return acsPath;
}

/** The release-independent half of calc_map_type_and_dist(provider, client): the walk and the ACS on it. */
function walkPair(fabric: Fabric, client: Device, provider: Device): PairWalk {
  const provChain = upstreamChain(fabric, provider);
  const cliChain = upstreamChain(fabric, client);
  const { common, distA, distB } = upstreamWalk(provChain, cliChain);
  const acsPath = acsOnPath(provChain, cliChain, common, distA, distB);
  return {
    common, provChain, cliChain, distA, distB, acsPath,
    redirecting: acsPath.filter((p) => p.acs.state === 'redirect'),
    unknownAcs: acsPath.filter((p) => p.acs.state === 'unknown'),
    hbP: hostBridgeOf(fabric, provider),
    hbC: hostBridgeOf(fabric, client),
    pick: memoPicker(),
  };
}

/** What one release's rules make of a walked pair. */
interface Decision {
  possible: MapType[];
  hostBridges: HostBridgeCheck[];
  cpuAllows: boolean | null;
  /** Whether the host-bridge check was reached at all. */
  hostChecked: boolean;
  /** Why this release refuses before any host-bridge check (no P2PDMA, no host route yet). */
  refusedBy: 'no-p2pdma' | 'no-host-route' | null;
}

/**
 * host_bridge_whitelist(): one host bridge checked with its same-host-bridge rows allowed, or two,
 * each without them, both needing to pass. Null when a check cannot be made (IDs unknown).
 */
function hostBridgeWhitelist(fabric: Fabric, w: PairWalk, rules: KernelRules, list: AllowList): { hostBridges: HostBridgeCheck[]; listAllows: boolean | null } {
  if (w.hbP === w.hbC) {
    const c = checkHostBridge(fabric, w.hbP, true, list, rules.hostBridgeDevice, w.pick);
    return { hostBridges: [c], listAllows: c.allowed };
  }
  const a = checkHostBridge(fabric, w.hbP, false, list, rules.hostBridgeDevice, w.pick);
  const b = checkHostBridge(fabric, w.hbC, false, list, rules.hostBridgeDevice, w.pick);
  const listAllows = a.allowed === false || b.allowed === false ? false : a.allowed === null || b.allowed === null ? null : true;
  return { hostBridges: [a, b], listAllows };
}

/**
 * The release-dependent half of calc_map_type_and_dist(): BUS_ADDR when the walk met a common bridge
 * with no ACS redirect on the path, else its map_through_host_bridge step (cpu_supports_p2pdma() or
 * host_bridge_whitelist()), under one release's rules; each unknown fact widens the possible answers.
 */
function decide(fabric: Fabric, w: PairWalk, rules: KernelRules, list: AllowList): Decision {
  const cpuAllows = rules.cpuAmdRule ? cpuSupportsP2pdma(fabric.host) : false;
  const none = { hostBridges: [], cpuAllows, hostChecked: false };
  if (!rules.hasP2pdma) return { ...none, possible: ['NOT_SUPPORTED'], refusedBy: 'no-p2pdma' };
  const needHostRoute = !w.common || w.redirecting.length > 0;
  const mayNeedHostRoute = needHostRoute || w.unknownAcs.length > 0;
  if (!mayNeedHostRoute) return { ...none, possible: ['BUS_ADDR'], refusedBy: null };
  // Before 5.2 no path leaves the common bridge; before 5.4 an ACS redirect refuses outright.
  const hostRouteExists = w.common ? rules.hostRouteAcs : rules.hostRouteNoCommon;
  if (!hostRouteExists) {
    const possible: MapType[] = needHostRoute ? ['NOT_SUPPORTED'] : ['BUS_ADDR', 'NOT_SUPPORTED'];
    return { ...none, possible, refusedBy: 'no-host-route' };
  }
  const { hostBridges, listAllows } = hostBridgeWhitelist(fabric, w, rules, list);
  const hostRoute = cpuAllows === true || listAllows === true ? true : cpuAllows === false && listAllows === false ? false : null;
  const viaHost: MapType[] = hostRoute === true ? ['THRU_HOST_BRIDGE'] : hostRoute === false ? ['NOT_SUPPORTED'] : ['THRU_HOST_BRIDGE', 'NOT_SUPPORTED'];
  const possible: MapType[] = needHostRoute ? viaHost : ['BUS_ADDR', ...viaHost];
  return { possible, hostBridges, cpuAllows, hostChecked: true, refusedBy: null };
}

const answer = (possible: readonly MapType[]): string => (possible.length === 1 ? possible[0] : `one of ${possible.join('/')}`);
const sameAnswer = (a: readonly MapType[], b: readonly MapType[]) => a.length === b.length && a.every((x) => b.includes(x));
const cite = (release: string) => {
  const commits = changesAt(release).map((c) => c.commit).filter((c): c is string => !!c);
  return commits.length ? ` (${[...new Set(commits)].join(', ')})` : '';
};

/** The answer of each release range from P2PDMA's first release on, merged where equal. */
function rangesFor(fabric: Fabric, w: PairWalk, opts: P2pdmaOptions): ReleaseRange[] {
  const out: ReleaseRange[] = [];
  for (const rel of VERDICT_BOUNDARIES) {
    const rules = rulesAt(rel);
    const possible = decide(fabric, w, rules, opts.allowList ?? rules.allowList).possible;
    const last = out[out.length - 1];
    if (last && sameAnswer(last.possible, possible)) continue;
    if (last) last.until = rel;
    out.push({ from: rel, until: null, possible, mapType: possible.length === 1 ? possible[0] : null });
  }
  return out;
}

/** The first newer release whose rules answer differently, or null. */
function firstNewerDifferent(fabric: Fabric, w: PairWalk, rules: KernelRules, now: readonly MapType[], opts: P2pdmaOptions): ReleaseRange | null {
  for (const rel of VERDICT_BOUNDARIES) {
    const r = rulesAt(rel);
    if (compareMinor(r.version, rules.version) <= 0) continue;
    const possible = decide(fabric, w, r, opts.allowList ?? r.allowList).possible;
    if (!sameAnswer(possible, now)) return { from: rel, until: null, possible, mapType: possible.length === 1 ? possible[0] : null };
  }
  return null;
}

function pushHostReasons(fabric: Fabric, d: Decision, rules: KernelRules, list: AllowList, reasons: P2pReason[]): void {
  const cpuName = `${fabric.host.cpuVendor ?? 'unknown vendor'}${fabric.host.cpuFamily !== null ? ` family 0x${fabric.host.cpuFamily.toString(16)}` : ''}`;
  if (d.cpuAllows === true) {
    reasons.push({ code: 'cpu-amd-zen', device: null, message: `CPU ${cpuName} is AMD Zen or newer (family >= 0x17): the kernel allows peer traffic through the host bridge` });
    return;
  }
  if (!rules.cpuAmdRule) {
    reasons.push({ code: 'cpu-not-amd-zen', device: null, message: `Linux ${rules.release} has no CPU rule (AMD Zen hosts are allowed from 5.9), so only the host-bridge allow-list can permit this path` });
  } else if (d.cpuAllows === false) {
    reasons.push({ code: 'cpu-not-amd-zen', device: null, message: `CPU ${cpuName} is not AMD family >= 0x17, so only the host-bridge allow-list can permit this path` });
  } else {
    reasons.push({ code: 'cpu-unknown', device: null, message: `CPU vendor/family unknown (${cpuName}); the kernel's AMD rule cannot be evaluated` });
  }
  for (const c of d.hostBridges) {
    if (c.allowed === true) reasons.push({ code: 'allow-listed', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note} (${list.source})` });
    else if (c.allowed === null) reasons.push({ code: 'host-bridge-ids-unknown', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note}` });
    else if (c.device === null) reasons.push({ code: 'no-host-bridge-device', device: null, message: `host bridge ${c.hostBridge}: ${c.note}` });
    else if (c.entry) reasons.push({ code: 'allow-list-same-host-bridge-only', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note}` });
    else reasons.push({ code: 'not-allow-listed', device: c.device, message: `host bridge ${c.hostBridge}: ${c.note} (${list.kernel})` });
  }
}

function pushWalkReasons(client: Device, provider: Device, w: PairWalk, reasons: P2pReason[]): void {
  const { common, distA, distB } = w;
  if (!common) {
    const topP = w.provChain[w.provChain.length - 1];
    const topC = w.cliChain[w.cliChain.length - 1];
    const where = w.hbP === w.hbC
      ? `they meet only at host bridge ${w.hbP} (under ${topP.bdf} and ${topC.bdf})`
      : `they are under different host bridges (${w.hbP} and ${w.hbC})`;
    reasons.push({ code: 'no-common-bridge', device: null, message: `${client.bdf} and ${provider.bdf} do not share an upstream bridge: ${where}` });
    return;
  }
  if (client === provider) {
    reasons.push({ code: 'same-function', device: provider.bdf, message: `client and provider are the same function (${provider.bdf}): distance 0` });
  } else {
    reasons.push({ code: 'common-bridge', device: common.bdf, message: `common upstream bridge ${common.bdf}: ${distA} hop(s) up from the provider, ${distB} from the client` });
  }
  for (const r of w.redirecting) {
    if (r.acs.state !== 'redirect') continue;
    const what = r.isCommon ? 'the common bridge' : r.bdf === provider.bdf ? 'the provider itself' : r.bdf === client.bdf ? 'the client itself' : `the ${r.side}'s path`;
    reasons.push({ code: 'acs-redirect', device: r.bdf, message: `ACS ${formatRedirectBits(r.acs.bits)} on ${r.bdf} (${what}) redirects peer requests up to the root complex` });
  }
  for (const u of w.unknownAcs) {
    if (u.acs.state !== 'unknown') continue;
    reasons.push({ code: 'acs-unknown', device: u.bdf, message: `ACS state unknown: ${u.acs.why}` });
  }
}

/** Reasons that come from the release itself: no P2PDMA yet, no host route yet, backports, newer kernels. */
function pushReleaseReasons(rel: KernelRelease | null, rules: KernelRules, d: Decision, newer: ReleaseRange | null, ranges: ReleaseRange[], reasons: P2pReason[]): void {
  if (!rel) {
    const text = ranges.map((r) => `${answer(r.possible)} ${r.until ? `from ${r.from} to before ${r.until}` : `from ${r.from}`}${cite(r.from)}`).join('; ');
    reasons.push({ code: 'kernel-release-unknown', device: null, message: `kernel release unknown; by release: ${text}; kernels before 4.20 have no P2PDMA` });
    return;
  }
  if (d.refusedBy === 'no-p2pdma') {
    reasons.push({ code: 'no-p2pdma', device: null, message: `Linux ${rules.release} has no P2PDMA: it arrived in 4.20${cite('4.20')}` });
  } else if (d.refusedBy === 'no-host-route') {
    reasons.push({ code: 'no-host-route', device: null, message: `Linux ${rules.release} refuses every path that leaves the common upstream bridge (the host-bridge check came for no common bridge in 5.2, for ACS redirect in 5.4)` });
  }
  if (rel.backportNote) reasons.push({ code: 'kernel-backports', device: null, message: rel.backportNote });
  for (const b of rules.unsureBackports) {
    reasons.push({ code: 'kernel-backports', device: null, message: `${b.release}'s ${b.title}${b.commit ? ` (${b.commit})` : ''} was backported to ${b.stable}-stable from a point release not confirmed here: on ${rel.raw} the verdict may already be the ${b.release} one` });
  }
  if (newer) {
    reasons.push({ code: 'kernel-newer-differs', device: null, message: `${answer(d.possible)} on ${rules.release}; ${answer(newer.possible)} from ${newer.from}${cite(newer.from)}` });
  }
}

function pushNotes(fabric: Fabric, client: Device, provider: Device, w: PairWalk, mapType: MapType | null, notes: string[]): void {
  if (mapType === 'BUS_ADDR' && fabric.host.iommuEnabled === true && client !== provider) {
    notes.push('the IOMMU is on: the kernel maps this pair with bus addresses, which real switches route directly; an emulated IOMMU (QEMU intel-iommu) may still translate and fault, so verify the bytes moved');
  }
  if (mapType === 'THRU_HOST_BRIDGE' && w.common) {
    notes.push('P2P works, but through the root complex (the IOMMU maps it); clearing the ACS redirect bits would make it direct (BUS_ADDR), saving root-complex bandwidth and latency');
  }
  if (provider.p2pmem === null || provider.p2pmem === undefined) {
    notes.push(`${provider.bdf} publishes no p2pmem; the verdict applies once a driver registers its memory as a P2PDMA provider`);
  }
  if (client !== provider && sameDevice(client, provider) && w.common && w.distA === 1 && w.distB === 1) {
    notes.push('two functions of one device: the kernel counts one hop up to the bridge and one back down');
  }
}

/** The verdict's one word: the map type when decided, else what made it unknown. */
function verdictText(fabric: Fabric, w: PairWalk, mapType: MapType | null, rel: KernelRelease | null, ranges: ReleaseRange[], reasons: P2pReason[]): string {
  if (mapType) return mapType;
  const shortConfig = w.unknownAcs.some((u) => u.acs.state === 'unknown' && /bytes of/.test(u.acs.why));
  const what = [...new Set(reasons.map((r) => UNKNOWN_WHAT[r.code]).filter((x): x is string => !!x))];
  if (!rel && ranges.length > 1) what.unshift('depends on the kernel release');
  return shortConfig && fabric.host.isRoot !== true ? 'unknown: needs root' : `unknown: ${what.join(', ') || 'incomplete data'}`;
}

/**
 * pci_p2pdma_distance_many() for one client: the hops, or -1 when the map type is NOT_SUPPORTED;
 * null when unknown and NOT_SUPPORTED is among the possible answers (the hops otherwise, as every
 * possible answer has them).
 */
function distanceOf(mapType: MapType | null, possible: readonly MapType[], hops: number): number | null {
  if (mapType === null) return possible.includes('NOT_SUPPORTED') ? null : hops;
  return mapType === 'NOT_SUPPORTED' ? -1 : hops;
}

/**
 * The kernel's verdict for DMA from `client` into memory exposed by `provider`
 * (calc_map_type_and_dist(provider, client) and pci_p2pdma_distance()), under the rules of the
 * release the options or the fabric name (see release-table.ts). In steps: the walk and its ACS
 * (walkPair), the map type under the release's rules (decide; by release range when the release is
 * unknown), the reasons, then the verdict and distance as pci_p2pdma_distance() would return it.
 */
export function computeP2pdma(fabric: Fabric, client: Device, provider: Device, opts: P2pdmaOptions = {}): P2pdmaVerdict {
  const rel = chosenRelease(fabric, opts);
  const rules = rel ? rulesAt(`${rel.version.major}.${rel.version.minor}`) : LATEST_RULES;
  const list = opts.allowList ?? rules.allowList;
  const w = walkPair(fabric, client, provider);
  const hops = w.distA + w.distB;
  const d = decide(fabric, w, rules, list);

  // Unknown release: each range's answer; decided only when every P2PDMA release agrees.
  const ranges = rel ? [] : rangesFor(fabric, w, opts);
  const possible: MapType[] = rel ? d.possible : [...new Set(ranges.flatMap((r) => r.possible))];
  const newer = rel ? firstNewerDifferent(fabric, w, rules, d.possible, opts) : null;

  const reasons: P2pReason[] = [];
  const notes: string[] = [];
  pushWalkReasons(client, provider, w, reasons);
  if (d.hostChecked) pushHostReasons(fabric, d, rules, list, reasons);
  pushReleaseReasons(rel, rules, d, newer, ranges, reasons);

  const mapType = possible.length === 1 ? possible[0] : null;
  const verdict = verdictText(fabric, w, mapType, rel, ranges, reasons);
  const distance = distanceOf(mapType, possible, hops);
  pushNotes(fabric, client, provider, w, mapType, notes);

  const v: P2pdmaVerdict = {
    client: client.bdf,
    provider: provider.bdf,
    mapType,
    verdict,
    possible,
    hops,
    distance,
    commonUpstream: w.common ? w.common.bdf : null,
    acsPath: w.acsPath,
    hostBridges: d.hostBridges,
    cpu: { vendor: fabric.host.cpuVendor, family: fabric.host.cpuFamily, allows: d.cpuAllows },
    kernel: {
      release: rel ? rel.raw : null,
      rules: rel ? rules.release : null,
      distro: rel ? rel.distro : null,
      mayDiffer: !!rel && (rel.backportNote !== null || rules.unsureBackports.length > 0),
    },
    byRelease: ranges,
    newer: newer ? { ...newer, commits: changesAt(newer.from).map((c) => c.commit).filter((c): c is string => !!c) } : null,
    reasons,
    fixes: [],
    notes,
  };
  v.fixes = fixesFor(fabric, v);
  return v;
}

/** pci_p2pdma_distance() for one client: hops, or -1 when the kernel refuses the pair; null when unknown. */
export function p2pdmaDistance(fabric: Fabric, provider: Device, client: Device, opts: P2pdmaOptions = {}): number | null {
  return computeP2pdma(fabric, client, provider, opts).distance;
}
