// The pair matrix behind `p2p matrix`: which endpoints, and for every ordered pair the legend and
// the kernel's P2PDMA verdict. Pure data; formatting lives in src/format/matrix-text.ts.
import type { Device, DeviceKind, Fabric } from '../types.js';
import { KERNEL_ALLOW_LIST } from './allow-list.js';
import { chosenRelease, computeP2pdma, type P2pdmaOptions } from './kernel-rules.js';
import { rulesFor } from './release-table.js';
import { classifyLegend, numaOf } from './legend.js';
import type { Legend, MapType, P2pFix, P2pReason, P2pdmaVerdict } from './types.js';
import { friendlyName } from '../aliases.js';
import { bindCell, matrixCells, type PairCell } from './classes.js';

/** Kinds shown by default: what does DMA to peers. Any p2pmem provider is shown too. */
export const DEFAULT_MATRIX_KINDS: readonly DeviceKind[] = ['gpu', 'accelerator', 'nvme', 'nic', 'capture'];
export const ENDPOINT_KINDS: readonly DeviceKind[] = ['gpu', 'accelerator', 'nvme', 'storage', 'nic', 'capture', 'endpoint'];
/** Names accepted by --class (a kind, or an alias for one). */
export const CLASS_ALIASES: Record<string, DeviceKind> = {
  gpu: 'gpu', gpus: 'gpu',
  nvme: 'nvme', ssd: 'nvme',
  nic: 'nic', nics: 'nic', net: 'nic', rdma: 'nic',
  accelerator: 'accelerator', accel: 'accelerator',
  storage: 'storage',
  capture: 'capture', video: 'capture', v4l2: 'capture', dvb: 'capture',
  endpoint: 'endpoint', other: 'endpoint',
};

export interface EndpointSelection {
  classes?: readonly DeviceKind[];
  all?: boolean;
}

export function isEndpoint(d: Device): boolean {
  return ENDPOINT_KINDS.includes(d.kind);
}

export function hasP2pmem(d: Device): boolean {
  return !!d.p2pmem && (d.p2pmem.size ?? 0) > 0;
}

/** Endpoints in display order: by kind group (as in DEFAULT_MATRIX_KINDS), then BDF. */
export function selectEndpoints(fabric: Fabric, sel: EndpointSelection = {}): Device[] {
  const kinds = sel.classes && sel.classes.length ? sel.classes : null;
  const picked = fabric.devices.filter((d) => {
    if (!isEndpoint(d)) return false;
    if (kinds) return kinds.includes(d.kind);
    if (sel.all) return true;
    return DEFAULT_MATRIX_KINDS.includes(d.kind) || hasP2pmem(d);
  });
  const rank = (d: Device) => {
    const i = ENDPOINT_KINDS.indexOf(d.kind);
    return i < 0 ? ENDPOINT_KINDS.length : i;
  };
  return picked.sort((a, b) => rank(a) - rank(b) || (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
}

export interface MatrixDevice {
  bdf: string;
  label: string;
  kind: DeviceKind;
  name: string | null;
  names: string[];
  hostBridge: string;
  numaNode: number | null;
  cpuAffinity: string | null;
  iommuGroup: string | null;
  p2pmem: { size: number | null; published: boolean | null } | null;
  /** SR-IOV VFs folded into this PF (their verdicts are the PF's, except among functions of one device). */
  vfs: { count: number; bdfs: string[] } | null;
}

export interface MatrixPair {
  client: string;
  provider: string;
  legend: Legend | null;
  legendWhy: string;
  p2pdma: {
    mapType: MapType | null;
    verdict: string;
    possible: MapType[];
    distance: number | null;
    hops: number;
    commonUpstream: string | null;
    /** One sentence per reason (the same messages as `causes`). */
    reasons: string[];
    /** The reasons with their code and the device that caused each. */
    causes: P2pReason[];
    fixes: P2pFix[];
    notes: string[];
    /** The release decided for, the answer by release range when unknown, and a newer release that differs. */
    kernel: P2pdmaVerdict['kernel'];
    byRelease: P2pdmaVerdict['byRelease'];
    newer: P2pdmaVerdict['newer'];
  };
}

export interface MatrixReport {
  allowList: { kernel: string; source: string };
  /** The release every verdict was computed for (nulls: unknown, each pair gives its byRelease). */
  kernel: { release: string | null; rules: string | null };
  host: { cpuVendor: string | null; cpuFamily: number | null; iommuEnabled: boolean | null; numaNodes: number[] | null };
  /** Whether VFs are folded into their PF (the default) or expanded (--vfs). */
  vfsFolded: boolean;
  devices: MatrixDevice[];
  pairs: MatrixPair[];
}

/** Everything of the report but the pairs, which are produced one at a time by matrixPairs(). */
export type MatrixHead = Omit<MatrixReport, 'pairs'>;

/** The endpoints a folded matrix shows, and the VFs folded under each PF that is shown. */
export interface FoldedEndpoints {
  shown: Device[];
  vfsOf: Map<string, Device[]>;
}

/** VFs whose PF is itself shown fold into it; a VF whose PF is filtered out stays a row of its own. */
export function foldVfs(devs: readonly Device[]): FoldedEndpoints {
  const present = new Set(devs.map((d) => d.bdf));
  const vfsOf = new Map<string, Device[]>();
  const shown: Device[] = [];
  for (const d of devs) {
    if (d.physfn && present.has(d.physfn)) {
      let list = vfsOf.get(d.physfn);
      if (!list) vfsOf.set(d.physfn, (list = []));
      list.push(d);
    } else shown.push(d);
  }
  return { shown, vfsOf };
}

/** Short column label: alias, else first kernel name, else kind + index (GPU0, NVME1...). */
export function labelDevices(devs: readonly Device[]): Map<string, string> {
  const out = new Map<string, string>();
  const counters = new Map<string, number>();
  const used = new Set<string>();
  for (const d of devs) {
    let label = friendlyName(d);
    if (!label || used.has(label)) {
      const prefix = d.kind === 'endpoint' ? 'DEV' : d.kind === 'accelerator' ? 'ACC' : d.kind === 'capture' ? 'CAP' : d.kind.toUpperCase();
      let n = counters.get(prefix) ?? 0;
      while (used.has(`${prefix}${n}`)) n++;
      label = `${prefix}${n}`;
      counters.set(prefix, n + 1);
    }
    used.add(label);
    out.set(d.bdf, label);
  }
  return out;
}

function matrixDevice(fabric: Fabric, d: Device, label: string, vfs: readonly Device[] | undefined): MatrixDevice {
  return {
    bdf: d.bdf,
    label,
    kind: d.kind,
    name: d.deviceName ?? d.className,
    names: d.names,
    hostBridge: d.hostBridge,
    numaNode: numaOf(fabric, d),
    cpuAffinity: d.localCpuList,
    iommuGroup: d.iommuGroup,
    p2pmem: d.p2pmem ? { size: d.p2pmem.size, published: d.p2pmem.published } : null,
    vfs: vfs && vfs.length ? { count: vfs.length, bdfs: vfs.map((v) => v.bdf) } : null,
  };
}

/** The report without its pairs: devices (with folded VFs named), host and allow-list. */
export function matrixHead(fabric: Fabric, devs: readonly Device[], vfsOf: ReadonlyMap<string, readonly Device[]> | null, opts: P2pdmaOptions = {}): MatrixHead {
  const labels = labelDevices(devs);
  const rel = chosenRelease(fabric, opts);
  const list = opts.allowList ?? (rel ? rulesFor(rel.version).allowList : null);
  return {
    // With no release no one list applies: each pair's byRelease says which list decided it.
    allowList: list ? { kernel: list.kernel, source: list.source } : { kernel: 'the list of each release range (the release is unknown)', source: KERNEL_ALLOW_LIST.source },
    kernel: { release: rel ? rel.raw : null, rules: rel ? `${rel.version.major}.${rel.version.minor}` : null },
    host: {
      cpuVendor: fabric.host.cpuVendor, cpuFamily: fabric.host.cpuFamily,
      iommuEnabled: fabric.host.iommuEnabled, numaNodes: fabric.host.numaNodes,
    },
    vfsFolded: vfsOf !== null,
    devices: devs.map((d) => matrixDevice(fabric, d, labels.get(d.bdf) ?? d.bdf, vfsOf?.get(d.bdf))),
  };
}

/** One ordered pair through the per-pair rules (the single source of truth). */
export function matrixPair(fabric: Fabric, client: Device, provider: Device, opts: P2pdmaOptions = {}): MatrixPair {
  const lg = classifyLegend(fabric, client, provider);
  const v = computeP2pdma(fabric, client, provider, opts);
  return {
    client: client.bdf,
    provider: provider.bdf,
    legend: lg.legend,
    legendWhy: lg.why,
    p2pdma: {
      mapType: v.mapType, verdict: v.verdict, possible: v.possible, distance: v.distance, hops: v.hops,
      commonUpstream: v.commonUpstream, reasons: v.reasons.map((r) => r.message), causes: v.reasons,
      fixes: v.fixes, notes: v.notes, kernel: v.kernel, byRelease: v.byRelease, newer: v.newer,
    },
  };
}

/**
 * Every ordered pair of `devs`, client-major, as cells: computed once per pair of endpoint classes
 * (classes.ts) and re-labelled; the JSON writer turns each template into text once.
 */
export function matrixPairCells(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions = {}): Generator<PairCell<MatrixPair>> {
  return matrixCells(fabric, devs, (client, provider) => matrixPair(fabric, client, provider, opts));
}

/** Every ordered pair of `devs`, client-major, one at a time (a caller may stream them); equal to matrixPair() of each. */
export function* matrixPairs(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions = {}): Generator<MatrixPair> {
  for (const cell of matrixPairCells(fabric, devs, opts)) yield bindCell(cell);
}

/** The whole report in memory (small fabrics, tests, diff); `p2p matrix` streams instead. */
export function buildMatrix(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions = {}, vfsOf: ReadonlyMap<string, readonly Device[]> | null = null): MatrixReport {
  return { ...matrixHead(fabric, devs, vfsOf, opts), pairs: [...matrixPairs(fabric, devs, opts)] };
}
