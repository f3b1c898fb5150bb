// The TUI's read-only view model over a Fabric: the collapsible tree (switches drawn as one unit, as
// `p2p topo` draws them), the visible rows for a filter/search, the endpoints of the pairs matrix and
// lazily computed pair verdicts and paths. Pure: no React, no I/O. The reducer (state.ts) reads it.
import type { Device, DeviceKind, Fabric } from '../model/types.js';
import { buildTree, layoutTree, type TreeNode, type TreeRow } from '../model/tree.js';

export type { NodeKind, TreeNode } from '../model/tree.js';
export { buildTree };
import { compactLink, isDowntrained, isLinkDown } from '../model/link-math.js';
import { BRIDGE_KINDS } from '../model/classify.js';
import { buildPath, type PathReport } from '../model/p2p/path.js';
import { classifyLegend } from '../model/p2p/legend.js';
import { computeP2pdma } from '../model/p2p/kernel-rules.js';
import { labelDevices, selectEndpoints } from '../model/p2p/matrix.js';
import type { Legend, MapType, P2pdmaVerdict } from '../model/p2p/types.js';
import type { DetailLine } from './details.js';
import type { DoctorView } from './doctor.js';
import { buildNcclReport, type NcclReport } from '../model/nccl/decide.js';
import { parseNcclEnv } from '../model/nccl/env.js';
import { defineLazy } from '../lazy-property.js';

/** A tree line as shown: the laid-out row and whether it matched the filter. */
export interface VisibleRow extends TreeRow {
  /** False for ancestors shown only to give a match its context. */
  match: boolean;
}

export const CLASS_FILTERS = ['all', 'gpu', 'nvme', 'nic', 'accelerator', 'storage', 'capture', 'bridge', 'other'] as const;
export type ClassFilter = (typeof CLASS_FILTERS)[number];

export function kindMatches(kind: DeviceKind, filter: ClassFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'bridge') return BRIDGE_KINDS.has(kind);
  if (filter === 'other') return kind === 'endpoint';
  return kind === filter;
}

/** Does the device match a search text (alias, kernel names, full or short BDF, vendor/device/class name)? */
export function deviceMatches(d: Device, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const hay = [d.alias ?? '', ...d.names, d.bdf, d.deviceName ?? '', d.vendorName ?? '', d.className ?? '', d.driver ?? '', d.kind];
  return hay.some((h) => h.toLowerCase().includes(q));
}

export interface PairCell {
  legend: Legend | null;
  mapType: MapType | null;
  verdict: string;
  /** First reason, for a one-line explanation. */
  reason: string | null;
}

export interface UiModel {
  fabric: Fabric;
  nodes: Map<string, TreeNode>;
  roots: string[];
  /** Tree node id of each device's line. */
  nodeOfDevice: Map<string, string>;
  /** Node ids in tree order (depth first), for search "next match". */
  order: string[];
  endpoints: Device[];
  endpointIndex: Map<string, number>;
  labels: Map<string, string>;
  /** Visible rows for the collapse set and filter (memoised on the last inputs). */
  visibleRows(collapsed: Readonly<Record<string, true>>, filter: ClassFilter, query: string): VisibleRow[];
  pair(client: number, provider: number): PairCell;
  path(a: string, b: string): PathReport;
  details(bdf: string): DetailLine[];
  /** Doctor findings, computed on first use (the checks can take a while on a big fabric). */
  doctor(): DoctorView;
  /** What NCCL would decide (src/model/nccl), computed on first use. */
  nccl(): NcclReport;
  /** Bench: whether it can run on this source, and why not. */
  benchSources: Device[];
  benchDestinations: (Device | 'host')[];
}

export interface ModelOptions {
  details?: (d: Device) => DetailLine[];
  doctor?: () => DoctorView;
  /** The environment NCCL_* variables come from (the process's, when run for real). */
  ncclEnv?: Record<string, string | undefined>;
}

function byBdf(a: Device, b: Device): number {
  return a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0;
}

export function buildModel(fabric: Fabric, opts: ModelOptions = {}): UiModel {
  const { nodes, roots, nodeOfDevice } = buildTree(fabric);
  const order: string[] = [];
  const walk = (id: string) => {
    order.push(id);
    for (const c of nodes.get(id)!.children) walk(c);
  };
  roots.forEach(walk);

  // Which nodes match a filter: computed over the tree, ancestors of matches shown for context.
  let lastKey: { collapsed: Readonly<Record<string, true>>; filter: ClassFilter; query: string } | null = null;
  let lastRows: VisibleRow[] = [];
  const visibleRows = (collapsed: Readonly<Record<string, true>>, filter: ClassFilter, query: string): VisibleRow[] => {
    if (lastKey && lastKey.collapsed === collapsed && lastKey.filter === filter && lastKey.query === query) return lastRows;
    const filtering = filter !== 'all' || query.trim() !== '';
    const matches = new Set<string>();
    const keep = new Set<string>();
    if (filtering) {
      for (const id of order) {
        const n = nodes.get(id)!;
        if (!n.bdf) continue;
        const d = fabric.byBdf.get(n.bdf)!;
        const portDev = n.port ? fabric.byBdf.get(n.port) : undefined;
        const textOk = deviceMatches(d, query) || (portDev !== undefined && query.trim() !== '' && deviceMatches(portDev, query));
        if (kindMatches(d.kind, filter) && textOk) {
          matches.add(id);
          for (let p: string | null = id; p; p = nodes.get(p)!.parent) keep.add(p);
        }
      }
    }
    const laid = layoutTree({ nodes, roots }, filtering ? { keep } : { collapsed });
    const rows: VisibleRow[] = laid.map((r) => ({ ...r, match: !filtering || matches.has(r.id) }));
    lastKey = { collapsed, filter, query };
    lastRows = rows;
    return rows;
  };

  const pairCache = new Map<string, PairCell>();
  const pair = (i: number, j: number): PairCell => {
    const key = `${i},${j}`;
    let c = pairCache.get(key);
    if (!c) {
      const a = model.endpoints[i];
      const b = model.endpoints[j];
      const lg = classifyLegend(fabric, a, b);
      const v: P2pdmaVerdict = computeP2pdma(fabric, a, b);
      c = { legend: lg.legend, mapType: v.mapType, verdict: v.verdict, reason: v.reasons[0]?.message ?? null };
      pairCache.set(key, c);
    }
    return c;
  };
  const pathCache = new Map<string, PathReport>();
  const path = (a: string, b: string): PathReport => {
    const key = `${a}>${b}`;
    let p = pathCache.get(key);
    if (!p) {
      p = buildPath(fabric, fabric.byBdf.get(a)!, fabric.byBdf.get(b)!);
      pathCache.set(key, p);
    }
    return p;
  };
  const detailCache = new Map<string, DetailLine[]>();
  const details = (bdf: string): DetailLine[] => {
    let d = detailCache.get(bdf);
    if (!d) {
      const dev = fabric.byBdf.get(bdf);
      d = dev && opts.details ? opts.details(dev) : [];
      detailCache.set(bdf, d);
    }
    return d;
  };

  let doctorView: DoctorView | undefined;
  let ncclReport: NcclReport | undefined;
  const model = {
    fabric, nodes, roots, nodeOfDevice, order, visibleRows, pair, path, details,
    doctor: () => (doctorView ??= opts.doctor ? opts.doctor() : { available: false, note: 'doctor checks are not available', findings: [] }),
    nccl: () => (ncclReport ??= buildNcclReport(fabric, parseNcclEnv(opts.ncclEnv ?? {}, {}))),
  } as UiModel;
  // The pairs matrix's rows and labels and the bench lists: on first use (the first frame is the tree).
  defineLazy(model, 'endpoints', () => selectEndpoints(fabric));
  defineLazy(model, 'endpointIndex', () => new Map(model.endpoints.map((d, i) => [d.bdf, i])));
  defineLazy(model, 'labels', () => labelDevices(fabric.devices));
  defineLazy(model, 'benchSources', () => fabric.devices.filter((d) => d.kind === 'nvme').sort(byBdf));
  defineLazy(model, 'benchDestinations', (): (Device | 'host')[] => ['host', ...model.endpoints.filter((d) => d.kind === 'gpu' || d.kind === 'accelerator' || (d.p2pmem && (d.p2pmem.size ?? 0) > 0))]);
  return model;
}

/** Link text for a tree line: "16GT/s x16", downtrained links flagged. */
export function linkSummary(d: Device): { text: string; downtrained: boolean } | null {
  const l = d.link;
  if (!l || (l.speed === null && l.width === null)) return null;
  if (isLinkDown(l)) return { text: 'link down', downtrained: false };
  const cur = compactLink(l.speed, l.width);
  if (isDowntrained(l)) return { text: `${cur}↓ of ${compactLink(l.maxSpeed, l.maxWidth)}`, downtrained: true };
  return { text: cur, downtrained: false };
}

