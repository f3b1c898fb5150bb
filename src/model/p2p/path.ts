// `p2p path a b`: the hops from one device to another, where the path turns, every link on the way,
// the narrowest one and the throughput ceiling it sets. Pure.
import type { Device, DeviceKind, Fabric, LinkState } from '../types.js';
import { effectiveLink, linkCeiling, type LinkCeiling } from '../link-math.js';
import { computeP2pdma, type P2pdmaOptions } from './kernel-rules.js';
import { classifyLegend, numaOf } from './legend.js';
import type { LegendResult, P2pdmaVerdict } from './types.js';
import { acsRedirectState, hostBridgeDevice, hostBridgeOf, upstreamChain, type AcsRedirectState } from './walk.js';
import { shortLabel } from '../aliases.js';

export type HopRole = 'source' | 'up' | 'turn' | 'down' | 'destination' | 'host-bridge' | 'interconnect';

export interface PathLink {
  /** The two ends: the device and the bridge port above it. */
  lower: string;
  upper: string;
  link: LinkState;
  /** Which side's registers the numbers came from. */
  from: string;
}

export interface PathHop {
  role: HopRole;
  /** BDF; null for the host-bridge and interconnect pseudo hops. */
  bdf: string | null;
  label: string;
  kind: DeviceKind | 'host-bridge' | 'interconnect';
  name: string | null;
  iommuGroup: string | null;
  acs: AcsRedirectState | null;
  acsEnabled: string[] | null;
  mps: number | null;
  /** The physical link from this hop up to the next one towards the turn (null: internal or none). */
  uplink: PathLink | null;
  /** Why there is no uplink, when there is none. */
  uplinkNote?: string;
}

export interface PathReport {
  from: string;
  to: string;
  hops: PathHop[];
  turn: { kind: 'self' | 'common-bridge' | 'host-bridge' | 'across-host-bridges'; at: string; description: string };
  legend: LegendResult;
  /** The kernel's verdict for DMA from `from` (client) into `to` (provider) memory. */
  verdict: P2pdmaVerdict;
  links: PathLink[];
  narrowest: PathLink | null;
  /** Effective MPS on the path: the smallest MPS of every function it crosses (null when unknown). */
  mps: number | null;
  ceiling: LinkCeiling | null;
  warnings: string[];
}

const INTERNAL_UPLINK: ReadonlySet<string> = new Set(['downstream', 'root-port', 'rc-integrated', 'rc-event-collector']);

function uplinkOf(fabric: Fabric, d: Device): { link: PathLink | null; note?: string } {
  const parent = d.parent ? fabric.byBdf.get(d.parent) ?? null : null;
  if (!parent) {
    return { link: null, note: d.portType === 'root-port' || d.kind === 'root-port' ? 'root port: joins the host bridge inside the root complex' : 'on the root bus: no link above it' };
  }
  if (d.portType && INTERNAL_UPLINK.has(d.portType)) {
    return { link: null, note: `switch downstream port: internal to the switch, no physical link up to ${parent.bdf}` };
  }
  if (d.kind === 'switch-downstream' && !d.portType) {
    return { link: null, note: `switch downstream port: internal to the switch` };
  }
  const own = d.link && effectiveLink(d.link) ? d.link : null;
  const theirs = parent.link && effectiveLink(parent.link) ? parent.link : null;
  const chosen = own ?? theirs;
  if (!chosen) return { link: null, note: `link state of ${d.bdf} and ${parent.bdf} unknown` };
  return { link: { lower: d.bdf, upper: parent.bdf, link: chosen, from: own ? d.bdf : parent.bdf } };
}

function hop(fabric: Fabric, d: Device, role: HopRole, withUplink: boolean): PathHop {
  const up = withUplink ? uplinkOf(fabric, d) : { link: null, note: undefined };
  return {
    role,
    bdf: d.bdf,
    label: shortLabel(d),
    kind: d.kind,
    name: d.deviceName ?? d.className,
    iommuGroup: d.iommuGroup,
    acs: acsRedirectState(d),
    acsEnabled: d.acs?.enabled ? [...d.acs.enabled] : null,
    mps: d.mps,
    uplink: up.link,
    ...(up.note ? { uplinkNote: up.note } : {}),
  };
}

function linkScore(l: PathLink): number {
  const e = effectiveLink(l.link);
  return e ? linkCeiling(e.speed, e.width, 256).rawBytesPerSecond : Infinity;
}

/** A host bridge as a hop: the function the kernel would match against its allow-list names it. */
function hostBridgeHop(fabric: Fabric, hb: string): PathHop {
  const dev = hostBridgeDevice(fabric, hb).device;
  return {
    role: 'host-bridge', bdf: null, label: hb, kind: 'host-bridge',
    name: dev ? `${dev.bdf} ${dev.vendorId ?? '????'}:${dev.deviceId ?? '????'}${dev.deviceName ? ` ${dev.deviceName}` : ''}` : null,
    iommuGroup: null, acs: null, acsEnabled: null, mps: null, uplink: null,
  };
}

/** Up from `a` to where the path turns, then down to `b`: a common bridge, one host bridge, or across two. */
function pathHops(fabric: Fabric, a: Device, b: Device, warnings: string[]): Pick<PathReport, 'hops' | 'turn'> {
  const chainA = upstreamChain(fabric, a);
  const chainB = upstreamChain(fabric, b);
  let iA = -1;
  let iB = -1;
  for (let i = 0; i < chainA.length; i++) {
    const j = chainB.indexOf(chainA[i]);
    if (j >= 0) { iA = i; iB = j; break; }
  }
  const hops: PathHop[] = [];
  if (a === b) {
    hops.push(hop(fabric, a, 'source', false));
    return { hops, turn: { kind: 'self', at: a.bdf, description: `${a.bdf} to itself: the data never leaves the device` } };
  }
  if (iA >= 0) {
    const common = chainA[iA];
    chainA.slice(0, iA).forEach((d, k) => hops.push(hop(fabric, d, k === 0 ? 'source' : 'up', true)));
    hops.push(hop(fabric, common, 'turn', false));
    chainB.slice(0, iB).reverse().forEach((d, k, arr) => hops.push(hop(fabric, d, k === arr.length - 1 ? 'destination' : 'down', true)));
    return { hops, turn: { kind: 'common-bridge', at: common.bdf, description: `turns at ${common.bdf}, the nearest bridge above both` } };
  }
  let turn: PathReport['turn'];
  const hbA = hostBridgeOf(fabric, a);
  const hbB = hostBridgeOf(fabric, b);
  chainA.forEach((d, k) => hops.push(hop(fabric, d, k === 0 ? 'source' : 'up', true)));
  hops.push(hostBridgeHop(fabric, hbA));
  if (hbA === hbB) {
    turn = { kind: 'host-bridge', at: hbA, description: `no common bridge: turns inside host bridge ${hbA} (root complex)` };
  } else {
    const nA = numaOf(fabric, a);
    const nB = numaOf(fabric, b);
    const cross = nA !== null && nB !== null && nA !== nB;
    hops.push({
      role: 'interconnect', bdf: null, label: cross ? `NUMA ${nA} -> ${nB}` : 'host bridge to host bridge',
      kind: 'interconnect',
      name: cross ? 'CPU socket interconnect (UPI / Infinity Fabric / QPI)' : 'on-die fabric between host bridges',
      iommuGroup: null, acs: null, acsEnabled: null, mps: null, uplink: null,
    });
    hops.push(hostBridgeHop(fabric, hbB));
    turn = { kind: 'across-host-bridges', at: `${hbA} -> ${hbB}`, description: `crosses from host bridge ${hbA} to ${hbB}${cross ? ` and from NUMA node ${nA} to ${nB}` : ''}` };
    warnings.push('the link between host bridges is not PCIe; its bandwidth is not in config space and is not part of the ceiling below');
  }
  chainB.slice().reverse().forEach((d, k, arr) => hops.push(hop(fabric, d, k === arr.length - 1 ? 'destination' : 'down', true)));
  return { hops, turn };
}

/** The path's links, the narrowest of them, the smallest MPS on it and the ceiling those give; warnings for what is unknown or downgraded. */
function pathCeiling(hops: readonly PathHop[], warnings: string[]): Pick<PathReport, 'links' | 'narrowest' | 'mps' | 'ceiling'> {
  const links = hops.map((h) => h.uplink).filter((l): l is PathLink => l !== null);
  const unknownLinks = hops.filter((h) => h.uplink === null && h.uplinkNote && /unknown/.test(h.uplinkNote));
  for (const h of unknownLinks) warnings.push(`${h.bdf}: ${h.uplinkNote}`);
  let narrowest: PathLink | null = null;
  for (const l of links) if (!narrowest || linkScore(l) < linkScore(narrowest)) narrowest = l;

  const devs = hops.filter((h) => h.bdf !== null);
  const mpsKnown = devs.every((h) => h.mps !== null);
  const mps = devs.length && mpsKnown ? Math.min(...devs.map((h) => h.mps as number)) : null;
  let ceiling: LinkCeiling | null = null;
  if (narrowest) {
    const e = effectiveLink(narrowest.link);
    if (e) {
      ceiling = linkCeiling(e.speed, e.width, mps);
      if (e.fromCapability) warnings.push(`current speed/width of ${narrowest.lower} unknown: the ceiling uses its capability`);
    }
  }
  for (const l of links) {
    const x = l.link;
    if (x.speed !== null && x.maxSpeed !== null && x.speed < x.maxSpeed) warnings.push(`${l.lower} <-> ${l.upper} runs at ${x.speed} GT/s of ${x.maxSpeed} (downgraded; idle GPUs drop speed to save power)`);
    if (x.width !== null && x.maxWidth !== null && x.width < x.maxWidth) warnings.push(`${l.lower} <-> ${l.upper} runs x${x.width} of x${x.maxWidth} (narrowed)`);
  }
  return { links, narrowest, mps, ceiling };
}

/** The path from `a` to `b`; the verdict treats `a` as the DMA client and `b` as the provider. */
export function buildPath(fabric: Fabric, a: Device, b: Device, opts: P2pdmaOptions = {}): PathReport {
  const warnings: string[] = [];
  const { hops, turn } = pathHops(fabric, a, b, warnings);
  const { links, narrowest, mps, ceiling } = pathCeiling(hops, warnings);
  return {
    from: a.bdf,
    to: b.bdf,
    hops,
    turn,
    legend: classifyLegend(fabric, a, b),
    verdict: computeP2pdma(fabric, a, b, opts),
    links,
    narrowest,
    mps,
    ceiling,
    warnings,
  };
}
