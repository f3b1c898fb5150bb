// `p2p diff`: what changed between two fabrics (two snapshots, or a snapshot and the live machine).
// Pure: takes two Fabrics plus optional sysfs AER counters and pair verdicts, returns the drift.
import { AER_EXT_CAP_ID, decodeAer } from './caps/aer.js';
import { decodeDsn, DSN_EXT_CAP_ID } from './caps/dsn.js';
import { findCapability } from './caps/walk.js';
import type { HostInfo } from './raw.js';
import type { Device, Fabric, LinkState } from './types.js';
import { friendlyName, labelWithBdf } from './aliases.js';
import { compactLink } from './link-math.js';

export const DRIFT_KINDS = [
  'host', 'kernel-config', 'device-added', 'device-missing', 'device-moved', 'device-replaced',
  'topology', 'link', 'acs', 'iommu', 'driver', 'numa', 'payload', 'p2pmem', 'aer', 'pair',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface Drift {
  kind: DriftKind;
  /** The device (its current BDF for moved devices; the baseline BDF for missing ones); null for host-wide changes. */
  bdf: string | null;
  /** Baseline BDF when it differs from `bdf` (moved devices). */
  baselineBdf?: string;
  /** Alias or kernel name (nvme0, gpu1...) when known. */
  label: string | null;
  /** What changed: "link", "acs.enabled", "kernelRelease", "CONFIG_PCI_P2PDMA", "0000:03:00.0>0000:04:00.0"... */
  field: string;
  baseline: unknown;
  current: unknown;
  /** One line for people. */
  message: string;
}

/** Differences that are not drift: facts one side could not see, counters that were reset, renamed kernel devices. */
export interface DiffNote {
  bdf: string | null;
  message: string;
}

/** The part of a pair verdict `p2p diff` compares (from src/model/p2p buildMatrix). */
export interface PairVerdict {
  client: string;
  provider: string;
  legend: string | null;
  verdict: string;
  mapType: string | null;
}

export interface DiffSide {
  fabric: Fabric;
  /** Per-BDF sysfs AER counters ("aer_dev_correctable.BadTLP" -> n); undefined when the source has none. */
  aerCounters?: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Pair verdicts; undefined or null when they could not be computed. */
  pairs?: readonly PairVerdict[] | null;
}

export interface DiffOptions {
  /** Kinds left out of the result (they do not count as drift). */
  ignore?: readonly DriftKind[];
}

export interface FabricDiff {
  identical: boolean;
  changes: Drift[];
  notes: DiffNote[];
  compared: { devices: number; pairs: number | null };
}

/** Kernel config options that bear on P2P DMA, IOMMU and the devices p2p looks at. */
export const RELEVANT_CONFIG = /^CONFIG_(PCI|PCIE|PCIEAER|IOMMU|INTEL_IOMMU|AMD_IOMMU|ARM_SMMU|VFIO|DMA_|DMABUF|ZONE_DEVICE|MEMORY_HOTPLUG|NVME|BLK_DEV_NVME|INFINIBAND|IO_URING|HSA_AMD|DRM_AMDGPU|HMM)/;

function fmtLink(l: LinkState): string {
  return compactLink(l.speed, l.width);
}

function fmtList(xs: readonly string[] | null): string {
  return xs === null ? 'unknown' : xs.length ? xs.join(' ') : '(none)';
}

function identityOf(d: Device): string {
  return `${d.vendorId ?? '?'}:${d.deviceId ?? '?'} subsystem ${d.subsystemVendorId ?? '?'}:${d.subsystemDeviceId ?? '?'} class ${d.classCode ?? '?'}`;
}

/** The Device Serial Number, or null when absent, unreadable or zeroed by --redact. */
export function serialOf(d: Device): string | null {
  const cap = findCapability(d.capabilities, DSN_EXT_CAP_ID, true);
  if (!cap) return null;
  const s = decodeDsn(d.config, cap.offset).serial;
  return s && !/^(00-){7}00$/.test(s) && !/^(ff-){7}ff$/.test(s) ? s : null;
}

/** AER error status registers from config space; null when the capability is absent or unreadable. */
function aerStatus(d: Device): { uncorrectable: number; correctable: number; names: Map<string, boolean> } | null {
  const cap = findCapability(d.capabilities, AER_EXT_CAP_ID, true);
  if (!cap) return null;
  const aer = decodeAer(d.config, cap.offset, false);
  const u = aer.uncorrectableStatus;
  const c = aer.correctableStatus;
  if (u.raw === null || c.raw === null) return null;
  const names = new Map<string, boolean>();
  for (const [k, v] of Object.entries(u.bits ?? {})) names.set(`uncorrectable.${k}`, v);
  for (const [k, v] of Object.entries(c.bits ?? {})) names.set(`correctable.${k}`, v);
  return { uncorrectable: u.raw, correctable: c.raw, names };
}

class Collector {
  readonly changes: Drift[] = [];
  readonly notes: DiffNote[] = [];
  add(kind: DriftKind, d: Device | null, field: string, baseline: unknown, current: unknown, message: string, baselineBdf?: string): void {
    const change: Drift = { kind, bdf: d?.bdf ?? null, label: d ? friendlyName(d) : null, field, baseline, current, message };
    if (baselineBdf && baselineBdf !== d?.bdf) change.baselineBdf = baselineBdf;
    this.changes.push(change);
  }
  note(bdf: string | null, message: string): void {
    this.notes.push({ bdf, message });
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffHost(a: HostInfo, b: HostInfo, out: Collector): void {
  const fields: [keyof HostInfo, string][] = [
    ['kernelRelease', 'kernel release'], ['cmdline', 'kernel command line'], ['iommuEnabled', 'IOMMU enabled'],
    ['cpuVendor', 'CPU vendor'], ['cpuFamily', 'CPU family'], ['numaNodes', 'NUMA nodes'],
  ];
  for (const [k, what] of fields) {
    const x = a[k];
    const y = b[k];
    if (x === null || y === null || x === undefined || y === undefined) {
      if ((x === null) !== (y === null) && k !== 'cmdline') out.note(null, `${what}: known on one side only (${JSON.stringify(x)} vs ${JSON.stringify(y)})`);
      continue;
    }
    if (!sameJson(x, y)) {
      if (k === 'cmdline') {
        const xa = String(x).split(/\s+/).filter(Boolean);
        const ya = String(y).split(/\s+/).filter(Boolean);
        const removed = xa.filter((p) => !ya.includes(p));
        const added = ya.filter((p) => !xa.includes(p));
        const parts = [...removed.map((p) => `-${p}`), ...added.map((p) => `+${p}`)];
        out.add('host', null, k, x, y, `${what}: ${parts.length ? parts.join(' ') : 'parameters reordered'}`);
      } else {
        out.add('host', null, k, x, y, `${what}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
      }
    }
  }
  if (a.kernelConfig && b.kernelConfig) {
    const keys = new Set([...a.kernelConfig.keys(), ...b.kernelConfig.keys()]);
    for (const k of [...keys].filter((k) => RELEVANT_CONFIG.test(k)).sort()) {
      const x = a.kernelConfig.get(k) ?? null;
      const y = b.kernelConfig.get(k) ?? null;
      // "is not set" and absent mean the same to the kernel.
      if ((x ?? 'n') !== (y ?? 'n')) out.add('kernel-config', null, k, x, y, `${k}: ${x ?? 'absent'} → ${y ?? 'absent'}`);
    }
  } else if (Boolean(a.kernelConfig) !== Boolean(b.kernelConfig)) {
    out.note(null, `kernel config: available on one side only; not compared`);
  }
}

function groupType(host: HostInfo, group: string | null): string | null {
  return group === null ? null : host.iommuGroupTypes?.get(group) ?? null;
}

/** One device seen on both sides (same BDF, or moved), as the device rules read it. */
interface DevicePair {
  a: Device;
  b: Device;
  sideA: DiffSide;
  sideB: DiffSide;
  moved: boolean;
}

/** What a device rule found: a change (drift of `kind`), or a note (a difference that is not drift). */
type Finding =
  | { kind: DriftKind; field: string; baseline: unknown; current: unknown; message: string }
  | { note: string };

const change = (kind: DriftKind, field: string, baseline: unknown, current: unknown, message: string): Finding =>
  ({ kind, field, baseline, current, message });
const note = (message: string): Finding => ({ note: message });

/**
 * One comparison of a device seen on both sides, like a doctor check (doctor/types.ts CheckDef):
 * its id, the drift kind it reports (null: notes only), what it compares, and `compare`, which
 * says each change in one line. Facts only one side knows become notes, never drift.
 */
export interface DeviceRule {
  id: string;
  kind: DriftKind | null;
  compares: string;
  compare(p: DevicePair): Finding[];
}

const parentRule: DeviceRule = {
  id: 'topology.parent',
  kind: 'topology',
  compares: 'the upstream bridge (not for moved devices, whose parent moved with them)',
  compare: ({ a, b, moved }) =>
    !moved && a.parent !== b.parent
      ? [change('topology', 'parent', a.parent, b.parent, `upstream bridge ${a.parent ?? '(root bus)'} → ${b.parent ?? '(root bus)'}`)]
      : [],
};

const configSizeRule: DeviceRule = {
  id: 'config.size',
  kind: null,
  compares: 'how much config space each side could read',
  compare: ({ a, b }) =>
    a.configBytes !== b.configBytes
      ? [note(`config space read: ${a.configBytes} bytes in baseline, ${b.configBytes} in current; registers only one side could read are not compared`)]
      : [],
};

const linkRule: DeviceRule = {
  id: 'link',
  kind: 'link',
  compares: 'link speed and width, current and capability, where both sides know them',
  compare({ a, b }) {
    if (a.link && b.link) {
      const keys: (keyof LinkState)[] = ['speed', 'width', 'maxSpeed', 'maxWidth'];
      const changed = keys.filter((k) => a.link![k] !== null && b.link![k] !== null && a.link![k] !== b.link![k]);
      if (!changed.length) return [];
      const cap = changed.some((k) => k === 'maxSpeed' || k === 'maxWidth');
      const msg = `link ${fmtLink(a.link)} → ${fmtLink(b.link)}` +
        (cap ? ` (capability ${fmtLink({ ...a.link, speed: a.link.maxSpeed, width: a.link.maxWidth })} → ${fmtLink({ ...b.link, speed: b.link.maxSpeed, width: b.link.maxWidth })})` : '');
      return [change('link', 'link', a.link, b.link, msg)];
    }
    return Boolean(a.link) !== Boolean(b.link) ? [note(`link state known on one side only`)] : [];
  },
};

const acsRule: DeviceRule = {
  id: 'acs',
  kind: 'acs',
  compares: 'the ACS controls enabled, and whether the capability is there at all',
  compare({ a, b }) {
    if (a.acs && b.acs) {
      if (a.acs.enabled && b.acs.enabled && !sameJson(a.acs.enabled, b.acs.enabled)) {
        return [change('acs', 'acs.enabled', a.acs.enabled, b.acs.enabled, `ACS enabled: ${fmtList(a.acs.enabled)} → ${fmtList(b.acs.enabled)}`)];
      }
      return (a.acs.enabled === null) !== (b.acs.enabled === null) ? [note(`ACS control readable on one side only (needs root); not compared`)] : [];
    }
    // A capability list read only in part cannot say the capability is gone.
    if (Boolean(a.acs) !== Boolean(b.acs) && a.capabilities.complete && b.capabilities.complete) {
      return [change('acs', 'acs', a.acs ? 'present' : 'absent', b.acs ? 'present' : 'absent', `ACS capability ${a.acs ? 'disappeared' : 'appeared'}`)];
    }
    return [];
  },
};

const iommuGroupRule: DeviceRule = {
  id: 'iommu.group',
  kind: 'iommu',
  compares: 'the IOMMU group',
  compare: ({ a, b }) =>
    a.iommuGroup !== b.iommuGroup
      ? [change('iommu', 'iommuGroup', a.iommuGroup, b.iommuGroup, `IOMMU group ${a.iommuGroup ?? 'none'} → ${b.iommuGroup ?? 'none'}`)]
      : [],
};

const iommuTypeRule: DeviceRule = {
  id: 'iommu.type',
  kind: 'iommu',
  compares: "the IOMMU group's default domain type, where both sides know it",
  compare({ a, b, sideA, sideB }) {
    const ta = groupType(sideA.fabric.host, a.iommuGroup);
    const tb = groupType(sideB.fabric.host, b.iommuGroup);
    return ta !== null && tb !== null && ta !== tb ? [change('iommu', 'iommuGroupType', ta, tb, `IOMMU domain type ${ta} → ${tb}`)] : [];
  },
};

const driverRule: DeviceRule = {
  id: 'driver',
  kind: 'driver',
  compares: 'the bound driver',
  compare: ({ a, b }) =>
    a.driver !== b.driver ? [change('driver', 'driver', a.driver, b.driver, `driver ${a.driver ?? '(none)'} → ${b.driver ?? '(none)'}`)] : [],
};

const numaRule: DeviceRule = {
  id: 'numa',
  kind: 'numa',
  compares: 'the NUMA node, where both sides know it',
  compare: ({ a, b }) =>
    a.numaNode !== b.numaNode && a.numaNode !== null && b.numaNode !== null
      ? [change('numa', 'numaNode', a.numaNode, b.numaNode, `NUMA node ${a.numaNode} → ${b.numaNode}`)]
      : [],
};

const payloadRule: DeviceRule = {
  id: 'payload',
  kind: 'payload',
  compares: 'MaxPayload and MaxReadReq, where both sides know them',
  compare: ({ a, b }) =>
    ([['mps', 'MaxPayload'], ['mrrs', 'MaxReadReq']] as const)
      .filter(([k]) => a[k] !== null && b[k] !== null && a[k] !== b[k])
      .map(([k, what]) => change('payload', k, a[k], b[k], `${what} ${a[k]} → ${b[k]} bytes`)),
};

const p2pmemRule: DeviceRule = {
  id: 'p2pmem',
  kind: 'p2pmem',
  compares: 'the p2pmem pool: its size and whether it is published',
  compare({ a, b }) {
    const pa = a.p2pmem ? { size: a.p2pmem.size, published: a.p2pmem.published } : null;
    const pb = b.p2pmem ? { size: b.p2pmem.size, published: b.p2pmem.published } : null;
    if (sameJson(pa, pb)) return [];
    const f = (p: typeof pa) => (p ? `${p.size ?? '?'} bytes${p.published ? ', published' : p.published === false ? ', not published' : ''}` : 'none');
    return [change('p2pmem', 'p2pmem', pa, pb, `p2pmem ${f(pa)} → ${f(pb)}`)];
  },
};

const namesRule: DeviceRule = {
  id: 'names',
  kind: null,
  compares: 'kernel names (nvme0, eth1...): renamed devices are a note, not drift',
  compare: ({ a, b }) => (!sameJson(a.names, b.names) ? [note(`kernel names ${fmtList(a.names)} → ${fmtList(b.names)}`)] : []),
};

const aerStatusRule: DeviceRule = {
  id: 'aer.status',
  kind: 'aer',
  compares: 'AER error status bits in config space: bits newly set',
  compare({ a, b }) {
    const sa = aerStatus(a);
    const sb = aerStatus(b);
    if (!sa || !sb) return [];
    const newly = [...sb.names].filter(([k, v]) => v && !sa.names.get(k)).map(([k]) => k);
    return newly.length
      ? [change('aer', 'aer.status', { uncorrectable: sa.uncorrectable, correctable: sa.correctable },
        { uncorrectable: sb.uncorrectable, correctable: sb.correctable }, `AER status newly set: ${newly.join(' ')}`)]
      : [];
  },
};

const aerCountersRule: DeviceRule = {
  id: 'aer.counters',
  kind: 'aer',
  compares: "the kernel's sysfs AER counters: counters that grew (lower ones are a reset, a note)",
  compare({ a, b, sideA, sideB }) {
    const ca = sideA.aerCounters?.get(a.bdf);
    const cb = sideB.aerCounters?.get(b.bdf);
    if (!ca || !cb) return [];
    const grown: Record<string, [number, number]> = {};
    let reset = false;
    for (const [k, v] of Object.entries(cb)) {
      const old = ca[k];
      if (old === undefined) continue;
      if (v > old) grown[k] = [old, v];
      if (v < old) reset = true;
    }
    const keys = Object.keys(grown);
    if (keys.length) {
      // The per-type counters say more than the totals; totals only when nothing else grew.
      const shown = keys.filter((k) => !/TOTAL_ERR|aer_rootport_total/.test(k));
      const list = (shown.length ? shown : keys).map((k) => `${k.replace(/^aer_dev_/, '')} ${grown[k][0]} → ${grown[k][1]}`);
      return [change('aer', 'aer.counters', Object.fromEntries(keys.map((k) => [k, grown[k][0]])), Object.fromEntries(keys.map((k) => [k, grown[k][1]])),
        `AER counters grew: ${list.join(', ')}`)];
    }
    return reset ? [note('AER counters are lower than in the baseline (reset by a reboot or driver reload); not drift')] : [];
  },
};

/** The device rules in the order their changes and notes are listed. */
export const DEVICE_RULES: readonly DeviceRule[] = [
  parentRule, configSizeRule, linkRule, acsRule, iommuGroupRule, iommuTypeRule, driverRule, numaRule,
  payloadRule, p2pmemRule, namesRule, aerStatusRule, aerCountersRule,
];

/** Runs every device rule on one device present on both sides (same BDF, or moved). */
function diffDevice(
  a: Device, b: Device, sideA: DiffSide, sideB: DiffSide, out: Collector, moved: boolean,
): void {
  const base = moved ? a.bdf : undefined;
  for (const rule of DEVICE_RULES) {
    for (const f of rule.compare({ a, b, sideA, sideB, moved })) {
      if ('note' in f) out.note(b.bdf, f.note);
      else out.add(f.kind, b, f.field, f.baseline, f.current, f.message, base);
    }
  }
}

/** Pairs BDFs that disappeared with BDFs that appeared when the device identity (plus serial) is unique on both sides. */
function matchMoved(missing: Device[], added: Device[]): Map<string, string> {
  const key = (d: Device) => `${identityOf(d)}|${serialOf(d) ?? ''}`;
  const count = (ds: Device[]) => {
    const m = new Map<string, Device[]>();
    for (const d of ds) m.set(key(d), [...(m.get(key(d)) ?? []), d]);
    return m;
  };
  const ma = count(missing);
  const mb = count(added);
  const out = new Map<string, string>();
  for (const [k, olds] of ma) {
    const news = mb.get(k);
    if (olds.length === 1 && news?.length === 1 && (olds[0].vendorId !== null || serialOf(olds[0]) !== null)) out.set(olds[0].bdf, news[0].bdf);
  }
  return out;
}

/**
 * Every device's changes in BDF order (current BDF; baseline BDF for missing devices): same slot
 * (replaced, or compared rule by rule), moved, missing, added. Returns how many were compared and
 * the moved devices (baseline BDF -> current BDF).
 */
function diffDevices(baseline: DiffSide, current: DiffSide, out: Collector): { compared: number; moved: Map<string, string> } {
  const A = baseline.fabric;
  const B = current.fabric;
  const missing = A.devices.filter((d) => !B.byBdf.has(d.bdf));
  const added = B.devices.filter((d) => !A.byBdf.has(d.bdf));
  const moved = matchMoved(missing, added);
  const movedTo = new Set(moved.values());
  type Item = { bdf: string; run: () => void };
  const items: Item[] = [];
  let compared = 0;
  for (const a of A.devices) {
    const b = B.byBdf.get(a.bdf);
    if (b) {
      compared++;
      items.push({
        bdf: a.bdf,
        run: () => {
          if (identityOf(a) !== identityOf(b) || (serialOf(a) && serialOf(b) && serialOf(a) !== serialOf(b))) {
            out.add('device-replaced', b, 'identity', identityOf(a), identityOf(b), `different device in this slot: ${identityOf(a)} → ${identityOf(b)}`);
          } else {
            diffDevice(a, b, baseline, current, out, false);
          }
        },
      });
    }
  }
  for (const a of missing) {
    const to = moved.get(a.bdf);
    if (to) {
      const b = B.byBdf.get(to)!;
      compared++;
      items.push({
        bdf: to,
        run: () => {
          out.add('device-moved', b, 'bdf', a.bdf, b.bdf, `${a.bdf} is now at ${b.bdf} (same ${identityOf(a)}${serialOf(a) ? `, serial ${serialOf(a)}` : ''})`, a.bdf);
          diffDevice(a, b, baseline, current, out, true);
        },
      });
    } else {
      items.push({ bdf: a.bdf, run: () => out.add('device-missing', a, 'device', identityOf(a), null, `missing: ${a.kind} ${identityOf(a)}${a.driver ? ` [${a.driver}]` : ''}`) });
    }
  }
  for (const b of added) {
    if (movedTo.has(b.bdf)) continue;
    items.push({ bdf: b.bdf, run: () => out.add('device-added', b, 'device', null, identityOf(b), `added: ${b.kind} ${identityOf(b)}${b.driver ? ` [${b.driver}]` : ''}`) });
  }
  items.sort((x, y) => (x.bdf < y.bdf ? -1 : x.bdf > y.bdf ? 1 : 0));
  for (const it of items) it.run();
  return { compared, moved };
}

/**
 * Pair verdicts for pairs present on both sides (moved devices are followed to their new BDF);
 * returns how many were compared, null when a side has none.
 */
function diffPairs(baseline: DiffSide, current: DiffSide, moved: Map<string, string>, out: Collector): number | null {
  if (!baseline.pairs || !current.pairs) {
    if (baseline.pairs || current.pairs) out.note(null, 'pair verdicts available on one side only; not compared');
    return null;
  }
  const B = current.fabric;
  let pairsCompared = 0;
  let undecided = 0;
  const cur = new Map(current.pairs.map((p) => [`${p.client}>${p.provider}`, p]));
  const byBdf = (bdf: string) => moved.get(bdf) ?? bdf;
  for (const p of baseline.pairs) {
    if (p.client === p.provider) continue;
    const q = cur.get(`${byBdf(p.client)}>${byBdf(p.provider)}`);
    if (!q) continue;
    pairsCompared++;
    const dev = B.byBdf.get(q.client) ?? null;
    const other = B.byBdf.get(q.provider);
    const name = (bdf: string, d: Device | null | undefined) => (d ? labelWithBdf(d) : bdf);
    const pairName = `${name(q.client, dev)} → ${name(q.provider, other)}`;
    if (p.verdict !== q.verdict && (p.mapType === null || q.mapType === null)) {
      undecided++;
    } else if (p.verdict !== q.verdict) {
      out.add('pair', dev, `${q.client}>${q.provider}`, { verdict: p.verdict, legend: p.legend }, { verdict: q.verdict, legend: q.legend },
        `P2PDMA ${pairName}: ${p.verdict} → ${q.verdict}`);
    } else if (p.legend !== q.legend) {
      out.add('pair', dev, `${q.client}>${q.provider}`, { verdict: p.verdict, legend: p.legend }, { verdict: q.verdict, legend: q.legend },
        `path ${pairName}: ${p.legend ?? 'unknown'} → ${q.legend ?? 'unknown'}`);
    }
  }
  if (undecided) out.note(null, `${undecided} pair verdict${undecided === 1 ? '' : 's'} undecided on one side (e.g. config space read without root); not compared`);
  return pairsCompared;
}

/** The drift between two fabrics in steps: host facts, devices (moved ones matched first), pair verdicts. */
export function diffFabrics(baseline: DiffSide, current: DiffSide, opts: DiffOptions = {}): FabricDiff {
  const out = new Collector();
  diffHost(baseline.fabric.host, current.fabric.host, out);
  const { compared, moved } = diffDevices(baseline, current, out);
  const pairsCompared = diffPairs(baseline, current, moved, out);

  const ignore = new Set(opts.ignore ?? []);
  const changes = out.changes.filter((c) => !ignore.has(c.kind));
  return { identical: changes.length === 0, changes, notes: out.notes, compared: { devices: compared, pairs: pairsCompared } };
}

/** Where one side of a diff came from (shown in text and JSON). */
export interface DiffSideInfo {
  method: string;
  location: string;
  /** Read from the machine p2p runs on (the source's own answer). */
  live: boolean;
  hostname: string | null;
  createdAt: string | null;
  /** uid of the capture (0: root, config space complete); null when unknown. */
  uid: number | null;
  devices: number;
}

/** The stable JSON of `p2p diff --json` (docs/snapshots.md); bump schemaVersion on breaking change. */
export interface DiffReport {
  schemaVersion: 1;
  identical: boolean;
  baseline: DiffSideInfo;
  current: DiffSideInfo;
  compared: FabricDiff['compared'];
  /** Number of changes of each kind (kinds without changes are left out). */
  counts: Partial<Record<DriftKind, number>>;
  changes: Drift[];
  notes: DiffNote[];
}

export function diffReport(d: FabricDiff, baseline: DiffSideInfo, current: DiffSideInfo): DiffReport {
  const counts: Partial<Record<DriftKind, number>> = {};
  for (const c of d.changes) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  return { schemaVersion: 1, identical: d.identical, baseline, current, compared: d.compared, counts, changes: d.changes, notes: d.notes };
}
