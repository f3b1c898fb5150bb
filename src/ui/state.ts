// All TUI state and its one pure reducer. Components render a state; keys arrive as commands from the
// keymap; bench progress arrives as events. Nothing here renders, reads files or starts timers.
import { keyToCommand, keyToSearchCommand, type Command, type KeyInfo, type SearchCommand } from './keymap.js';
import { CLASS_FILTERS, type ClassFilter, type UiModel, type VisibleRow } from './model.js';
import { orderedFindings } from './doctor.js';
import { shortLabelOf } from '../model/aliases.js';

export const VIEWS = ['tree', 'details', 'pairs', 'doctor', 'bench', 'nccl'] as const;
export type ViewId = (typeof VIEWS)[number];
export const VIEW_TITLES: Record<ViewId, string> = { tree: 'Fabric', details: 'Device', pairs: 'Pairs', doctor: 'Doctor', bench: 'Bench', nccl: 'NCCL' };

export type Tone = 'ok' | 'warn' | 'bad' | 'info';

export interface BenchProgress {
  path: 'direct' | 'bounce';
  round: number;
  rounds: number;
  bytes: number;
  elapsedSec: number;
  /** Throughput of this run so far, GB/s (1e9). */
  gbPerSec: number;
  /** 0..1 of this run's budget, when known. */
  fraction: number | null;
}

export interface BenchRunView {
  path: 'direct' | 'bounce';
  gbPerSec: number;
  p99us: number | null;
  cpuSecPerGB: number | null;
  failed: string | null;
}

export interface BenchResultView {
  runs: BenchRunView[];
  /** direct / bounce throughput. */
  throughputRatio: number | null;
  cpuShareSaved: number | null;
  directSkipped: string | null;
  ok: boolean;
}

export type BenchEvent =
  | { kind: 'progress'; progress: BenchProgress }
  | { kind: 'note'; text: string }
  | { kind: 'done'; result: BenchResultView; cancelled?: boolean }
  | { kind: 'failed'; message: string };

export type BenchPhase = 'idle' | 'starting' | 'running' | 'cancelling' | 'done' | 'failed';

export interface BenchState {
  field: 'source' | 'dest';
  source: number;
  dest: number;
  phase: BenchPhase;
  /** Set when the run is requested; the App starts the driver for a new id. */
  request: { id: number; source: string; dest: string } | null;
  progress: BenchProgress | null;
  /** Recent throughput samples of the current run (GB/s), for the live graph. */
  samples: number[];
  notes: string[];
  result: BenchResultView | null;
  error: string | null;
  /** Why benchmarks cannot run on this source (offline dump/snapshot, no addon...), null when they can. */
  refusal: string | null;
}

export interface UiState {
  view: ViewId;
  /** Selected tree line (node id), null when the fabric is empty. */
  selected: string | null;
  /** Device the Device and Pairs panes are about (the last device selected). */
  device: string | null;
  collapsed: Readonly<Record<string, true>>;
  classFilter: ClassFilter;
  query: string;
  search: { editing: boolean; before: string } | null;
  /** First visible tree row. */
  treeTop: number;
  marks: string[];
  details: { top: number };
  pairs: { row: number; col: number; rowTop: number; colLeft: number; path: { a: string; b: string } | null; pathTop: number };
  doctor: { cursor: number; top: number };
  nccl: { cursor: number };
  bench: BenchState;
  help: boolean;
  size: { columns: number; rows: number };
  message: { text: string; tone: Tone } | null;
  /** Counts `R` presses: the App writes a report (p2p report) each time it grows. */
  reportRequest: number;
  quit: boolean;
}

export type Action =
  | { type: 'key'; input: string; key: KeyInfo }
  | { type: 'command'; command: Command }
  | { type: 'search'; command: SearchCommand }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'select-device'; bdf: string }
  | { type: 'bench'; id: number; event: BenchEvent }
  | { type: 'report-written'; text: string; ok: boolean };

export interface InitOptions {
  columns: number;
  rows: number;
  benchRefusal?: string | null;
  /** Open on this device (alias/BDF resolved by the caller). */
  device?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Geometry: the App lays the screen out the same way (tab bar, body, status line).
// ---------------------------------------------------------------------------------------------

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;

/** Lines for a pane's body: the screen minus the tab bar, the pane's title line and the status line. */
export function bodyHeight(s: Pick<UiState, 'size'>): number {
  return Math.max(1, s.size.rows - 3);
}

/** The pairs pane: matrix lines (header excluded) and path lines when a path is open. */
export function pairsLayout(s: Pick<UiState, 'size'>, endpoints: number, pathOpen: boolean): { matrixRows: number; pathRows: number } {
  const body = bodyHeight(s);
  if (!pathOpen) return { matrixRows: Math.max(1, body - 2), pathRows: 0 };
  // The path gets at least 60% of the space; the matrix shows enough rows to keep the cursor in context.
  const matrixRows = Math.max(1, Math.min(endpoints, Math.floor((body - 3) * 0.4)));
  return { matrixRows, pathRows: Math.max(1, body - matrixRows - 3) };
}

export const MATRIX_LABEL_WIDTH = 12;
export const MATRIX_CELL_WIDTH = 7;

export function matrixColumns(s: Pick<UiState, 'size'>): number {
  return Math.max(1, Math.floor((s.size.columns - MATRIX_LABEL_WIDTH - 1) / MATRIX_CELL_WIDTH));
}

// ---------------------------------------------------------------------------------------------
// Initial state
// ---------------------------------------------------------------------------------------------

export function initialState(model: UiModel, opts: InitOptions): UiState {
  const firstDevice = model.order.map((id) => model.nodes.get(id)!).find((n) => n.bdf !== null) ?? null;
  let s: UiState = {
    view: 'tree',
    selected: model.order[0] ?? null,
    device: firstDevice?.bdf ?? null,
    collapsed: {},
    classFilter: 'all',
    query: '',
    search: null,
    treeTop: 0,
    marks: [],
    details: { top: 0 },
    pairs: { row: 0, col: 0, rowTop: 0, colLeft: 0, path: null, pathTop: 0 },
    doctor: { cursor: 0, top: 0 },
    nccl: { cursor: 0 },
    bench: {
      field: 'source', source: 0, dest: 0, phase: 'idle', request: null, progress: null, samples: [], notes: [],
      result: null, error: null, refusal: opts.benchRefusal ?? null,
    },
    help: false,
    size: { columns: opts.columns, rows: opts.rows },
    message: null,
    reportRequest: 0,
    quit: false,
  };
  if (opts.device) s = selectDevice(model, s, opts.device);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

/** Keep `cursor` inside [top, top + height). */
function follow(top: number, cursor: number, height: number, count: number): number {
  let t = top;
  if (cursor < t) t = cursor;
  if (cursor >= t + height) t = cursor - height + 1;
  return clamp(t, 0, Math.max(0, count - height));
}

export function treeRows(model: UiModel, s: UiState): VisibleRow[] {
  return model.visibleRows(s.collapsed, s.classFilter, s.query);
}

export function treeCursor(model: UiModel, s: UiState): number {
  const rows = treeRows(model, s);
  const i = rows.findIndex((r) => r.id === s.selected);
  return i < 0 ? 0 : i;
}

function treeViewport(s: UiState): number {
  return Math.max(1, bodyHeight(s) - 1); // one line shows the filter/search
}

function selectRow(model: UiModel, s: UiState, index: number): UiState {
  const rows = treeRows(model, s);
  if (!rows.length) return { ...s, selected: null, treeTop: 0 };
  const i = clamp(index, 0, rows.length - 1);
  const id = rows[i].id;
  const node = model.nodes.get(id)!;
  return {
    ...s,
    selected: id,
    device: node.bdf ?? s.device,
    treeTop: follow(s.treeTop, i, treeViewport(s), rows.length),
  };
}

/** After the rows changed (filter, collapse): keep the selection if visible, else the first match. */
function reselect(model: UiModel, s: UiState): UiState {
  const rows = treeRows(model, s);
  const i = rows.findIndex((r) => r.id === s.selected);
  if (i >= 0 && rows[i].match) return selectRow(model, s, i);
  // The selection is hidden or only shown as context for a match: go to the first match.
  const m = rows.findIndex((r) => r.match && model.nodes.get(r.id)!.bdf !== null);
  if (m >= 0) return selectRow(model, { ...s, treeTop: 0 }, m);
  return selectRow(model, { ...s, treeTop: 0 }, i >= 0 ? i : 0);
}

/** Select a device's line: expand its ancestors and, if a filter hides it, clear the filter. */
export function selectDevice(model: UiModel, s: UiState, bdf: string): UiState {
  const id = model.nodeOfDevice.get(bdf);
  if (!id || !model.fabric.byBdf.has(bdf)) return { ...s, message: { text: `no device ${bdf} in this fabric`, tone: 'warn' } };
  const collapsed = { ...s.collapsed };
  for (let p = model.nodes.get(id)!.parent; p; p = model.nodes.get(p)!.parent) delete collapsed[p];
  let next: UiState = { ...s, collapsed, selected: id };
  if (!treeRows(model, next).some((r) => r.id === id)) next = { ...next, classFilter: 'all', query: '' };
  const rows = treeRows(model, next);
  const i = rows.findIndex((r) => r.id === id);
  const h = treeViewport(next);
  // Centre the line when it is off screen.
  const top = i >= next.treeTop && i < next.treeTop + h ? next.treeTop : clamp(i - Math.floor(h / 2), 0, Math.max(0, rows.length - h));
  return { ...next, device: bdf, treeTop: top, details: { top: 0 } };
}

function say(s: UiState, text: string, tone: Tone = 'info'): UiState {
  return { ...s, message: { text, tone } };
}

function label(model: UiModel, bdf: string): string {
  return shortLabelOf(model.fabric.byBdf, bdf);
}

function toggleMark(model: UiModel, s: UiState, bdf: string | null): UiState {
  if (!bdf) return say(s, 'select a device to mark', 'warn');
  if (s.marks.includes(bdf)) return say({ ...s, marks: s.marks.filter((m) => m !== bdf) }, `unmarked ${label(model, bdf)}`);
  const marks = [...s.marks, bdf].slice(-2);
  if (marks.length === 2) {
    const next = { ...s, marks };
    const text = `marked ${label(model, marks[0])} and ${label(model, marks[1])}: path in the Pairs pane (p)`;
    return say(s.view === 'pairs' ? openPath(model, next, marks[0], marks[1]) : next, text, 'ok');
  }
  return say({ ...s, marks }, `marked ${label(model, bdf)}: mark one more device to see the path between them`);
}

function openPath(model: UiModel, s: UiState, a: string, b: string): UiState {
  const ia = model.endpointIndex.get(a);
  const ib = model.endpointIndex.get(b);
  let pairs: UiState['pairs'] = { ...s.pairs, path: { a, b }, pathTop: 0 };
  if (ia !== undefined && ib !== undefined) pairs = keepPairsCursor(s, { ...pairs, row: ia, col: ib }, model.endpoints.length);
  return { ...s, pairs };
}

function keepPairsCursor(s: UiState, p: UiState['pairs'], n: number): UiState['pairs'] {
  const { matrixRows } = pairsLayout(s, n, p.path !== null);
  const cols = matrixColumns(s);
  return { ...p, rowTop: follow(p.rowTop, p.row, matrixRows, n), colLeft: follow(p.colLeft, p.col, cols, n) };
}

function enterView(model: UiModel, s: UiState, view: ViewId): UiState {
  let next: UiState = { ...s, view };
  if (view === 'pairs') {
    if (s.marks.length === 2) next = openPath(model, next, s.marks[0], s.marks[1]);
    else if (s.device && model.endpointIndex.has(s.device)) {
      const row = model.endpointIndex.get(s.device)!;
      next = { ...next, pairs: keepPairsCursor(next, { ...next.pairs, row }, model.endpoints.length) };
    }
  }
  if (view === 'details' && s.view !== 'details') next = { ...next, details: { top: 0 } };
  return next;
}

// ---------------------------------------------------------------------------------------------
// Per view
// ---------------------------------------------------------------------------------------------

function treeCommand(model: UiModel, s: UiState, c: Command): UiState {
  const rows = treeRows(model, s);
  const i = treeCursor(model, s);
  const row = rows[i];
  const node = row ? model.nodes.get(row.id)! : null;
  const page = treeViewport(s);
  switch (c) {
    case 'up': return selectRow(model, s, i - 1);
    case 'down': return selectRow(model, s, i + 1);
    case 'page-up': return selectRow(model, s, i - page);
    case 'page-down': return selectRow(model, s, i + page);
    case 'home': return selectRow(model, s, 0);
    case 'end': return selectRow(model, s, rows.length - 1);
    case 'left': {
      if (!row || !node) return s;
      if (row.hasChildren && !row.collapsed && !(s.classFilter !== 'all' || s.query)) return reselect(model, { ...s, collapsed: { ...s.collapsed, [row.id]: true } });
      const pi = node.parent ? rows.findIndex((r) => r.id === node.parent) : -1;
      return pi >= 0 ? selectRow(model, s, pi) : s;
    }
    case 'right': {
      if (!row) return s;
      if (row.collapsed) {
        const collapsed = { ...s.collapsed };
        delete collapsed[row.id];
        return reselect(model, { ...s, collapsed });
      }
      return row.hasChildren ? selectRow(model, s, i + 1) : s;
    }
    case 'toggle': {
      if (!row || !row.hasChildren) return s;
      if (s.classFilter !== 'all' || s.query) return say(s, 'clear the filter (C) to fold branches', 'warn');
      const collapsed = { ...s.collapsed };
      if (collapsed[row.id]) delete collapsed[row.id];
      else collapsed[row.id] = true;
      return reselect(model, { ...s, collapsed });
    }
    case 'open': {
      if (!node) return s;
      if (node.bdf) return enterView(model, { ...s, device: node.bdf }, 'details');
      return treeCommand(model, s, 'toggle');
    }
    case 'expand-all': return reselect(model, { ...s, collapsed: {} });
    case 'collapse-all': {
      const collapsed: Record<string, true> = {};
      for (const [id, n] of model.nodes) if (n.children.length) collapsed[id] = true;
      // Keep the selection on its top-level line.
      let top = s.selected;
      while (top && model.nodes.get(top)!.parent) top = model.nodes.get(top)!.parent;
      return reselect(model, { ...s, collapsed, selected: top });
    }
    case 'back':
      if (s.query || s.classFilter !== 'all') return reselect(model, say({ ...s, query: '', classFilter: 'all' }, 'filter cleared'));
      return s;
    default: return s;
  }
}

function detailsCommand(model: UiModel, s: UiState, c: Command): UiState {
  if (!s.device) return c === 'back' ? { ...s, view: 'tree' } : s;
  const lines = model.details(s.device);
  const h = bodyHeight(s);
  const max = Math.max(0, lines.length - h);
  const top = s.details.top;
  const headings = lines.map((l, i) => (l.heading ? i : -1)).filter((i) => i >= 0);
  switch (c) {
    case 'up': return { ...s, details: { top: clamp(top - 1, 0, max) } };
    case 'down': return { ...s, details: { top: clamp(top + 1, 0, max) } };
    case 'page-up': return { ...s, details: { top: clamp(top - h, 0, max) } };
    case 'page-down': return { ...s, details: { top: clamp(top + h, 0, max) } };
    case 'home': return { ...s, details: { top: 0 } };
    case 'end': return { ...s, details: { top: max } };
    case 'right': {
      const next = headings.find((i) => i > top);
      return next === undefined ? s : { ...s, details: { top: clamp(next, 0, max) } };
    }
    case 'left': {
      const prev = [...headings].reverse().find((i) => i < top);
      return { ...s, details: { top: clamp(prev ?? 0, 0, max) } };
    }
    case 'back':
    case 'open': return { ...s, view: 'tree' };
    default: return s;
  }
}

function pairsCommand(model: UiModel, s: UiState, c: Command): UiState {
  const n = model.endpoints.length;
  if (n === 0) return c === 'back' ? { ...s, view: 'tree' } : s;
  const p = s.pairs;
  const move = (row: number, col: number): UiState => ({
    ...s,
    device: model.endpoints[clamp(row, 0, n - 1)].bdf,
    pairs: keepPairsCursor(s, { ...p, row: clamp(row, 0, n - 1), col: clamp(col, 0, n - 1) }, n),
  });
  const { pathRows } = pairsLayout(s, n, p.path !== null);
  switch (c) {
    case 'up': return move(p.row - 1, p.col);
    case 'down': return move(p.row + 1, p.col);
    case 'left': return move(p.row, p.col - 1);
    case 'right': return move(p.row, p.col + 1);
    case 'home': return move(0, 0);
    case 'end': return move(n - 1, n - 1);
    case 'page-up':
    case 'page-down': {
      if (!p.path) return move(p.row + (c === 'page-up' ? -1 : 1) * pairsLayout(s, n, false).matrixRows, p.col);
      const delta = (c === 'page-up' ? -1 : 1) * Math.max(1, pathRows - 1);
      return { ...s, pairs: { ...p, pathTop: Math.max(0, p.pathTop + delta) } };
    }
    case 'open': {
      const a = model.endpoints[p.row].bdf;
      const b = model.endpoints[p.col].bdf;
      return openPath(model, { ...s, marks: [a, b] }, a, b);
    }
    case 'back':
      if (p.path) return { ...s, pairs: keepPairsCursor(s, { ...p, path: null, pathTop: 0 }, n) };
      return { ...s, view: 'tree' };
    default: return s;
  }
}

function doctorCommand(model: UiModel, s: UiState, c: Command): UiState {
  const list = orderedFindings(model.doctor().findings);
  const n = list.length;
  const h = bodyHeight(s);
  const at = (i: number): UiState => {
    const cursor = clamp(i, 0, Math.max(0, n - 1));
    return { ...s, doctor: { cursor, top: s.doctor.top } };
  };
  switch (c) {
    case 'up': return at(s.doctor.cursor - 1);
    case 'down': return at(s.doctor.cursor + 1);
    case 'page-up': return at(s.doctor.cursor - Math.max(1, Math.floor(h / 3)));
    case 'page-down': return at(s.doctor.cursor + Math.max(1, Math.floor(h / 3)));
    case 'home': return at(0);
    case 'end': return at(n - 1);
    case 'open': {
      const f = list[s.doctor.cursor];
      if (!f) return s;
      const bdf = f.devices.find((d) => model.fabric.byBdf.has(d));
      if (!bdf) return say(s, `"${f.title}" concerns no single device`, 'warn');
      const next = selectDevice(model, s, bdf);
      return say({ ...next, view: 'tree' }, `${f.title}: ${label(model, bdf)}`);
    }
    case 'back': return { ...s, view: 'tree' };
    default: return s;
  }
}

/** The NCCL pane: a cursor over the pairs; the pane shows the current pair's reasons. */
function ncclCommand(model: UiModel, s: UiState, c: Command): UiState {
  const n = model.nccl().pairs.length;
  const at = (i: number): UiState => ({ ...s, nccl: { cursor: clamp(i, 0, Math.max(0, n - 1)) } });
  const page = Math.max(1, Math.floor(bodyHeight(s) / 3));
  switch (c) {
    case 'up': return at(s.nccl.cursor - 1);
    case 'down': return at(s.nccl.cursor + 1);
    case 'page-up': return at(s.nccl.cursor - page);
    case 'page-down': return at(s.nccl.cursor + page);
    case 'home': return at(0);
    case 'end': return at(n - 1);
    case 'back': return { ...s, view: 'tree' };
    default: return s;
  }
}

function benchCommand(model: UiModel, s: UiState, c: Command): UiState {
  const b = s.bench;
  const running = b.phase === 'starting' || b.phase === 'running' || b.phase === 'cancelling';
  const listLen = b.field === 'source' ? model.benchSources.length : model.benchDestinations.length;
  const pick = (i: number): UiState => {
    if (running) return say(s, 'a bench is running: x cancels it', 'warn');
    const v = clamp(i, 0, Math.max(0, listLen - 1));
    return { ...s, bench: b.field === 'source' ? { ...b, source: v } : { ...b, dest: v } };
  };
  const cur = b.field === 'source' ? b.source : b.dest;
  switch (c) {
    case 'up': return pick(cur - 1);
    case 'down': return pick(cur + 1);
    case 'home': return pick(0);
    case 'end': return pick(listLen - 1);
    case 'left': return { ...s, bench: { ...b, field: 'source' } };
    case 'right': return { ...s, bench: { ...b, field: 'dest' } };
    case 'open':
    case 'bench-start': {
      if (b.refusal) return say(s, `bench refused: ${b.refusal}`, 'bad');
      if (running) return say(s, 'a bench is already running (x cancels it)', 'warn');
      const src = model.benchSources[b.source];
      if (!src) return say(s, 'no NVMe device in this fabric to read from', 'warn');
      const dst = model.benchDestinations[b.dest] ?? 'host';
      const dest = dst === 'host' ? 'host' : dst.bdf;
      if (dest === src.bdf) return say(s, 'source and destination are the same device', 'warn');
      const id = (b.request?.id ?? 0) + 1;
      return say({
        ...s,
        bench: { ...b, phase: 'starting', request: { id, source: src.bdf, dest }, progress: null, samples: [], notes: [], result: null, error: null },
      }, `bench: ${label(model, src.bdf)} -> ${dest === 'host' ? 'host memory' : label(model, dest)} (read-only)`);
    }
    default: return s;
  }
}

// ---------------------------------------------------------------------------------------------
// The reducer
// ---------------------------------------------------------------------------------------------

function command(model: UiModel, s0: UiState, c: Command): UiState {
  const s: UiState = s0.message ? { ...s0, message: null } : s0;
  if (s.help) return c === 'quit' ? { ...s, help: false, quit: true } : { ...s, help: false };
  switch (c) {
    case 'quit': return { ...s, quit: true };
    case 'help': return { ...s, help: true };
    case 'write-report': return say({ ...s, reportRequest: s.reportRequest + 1 }, 'writing the HTML report…');
    case 'next-view':
    case 'prev-view': {
      const i = VIEWS.indexOf(s.view);
      const d = c === 'next-view' ? 1 : VIEWS.length - 1;
      return enterView(model, s, VIEWS[(i + d) % VIEWS.length]);
    }
    case 'view-tree': return enterView(model, s, 'tree');
    case 'view-details': return enterView(model, s, 'details');
    case 'view-pairs': return enterView(model, s, 'pairs');
    case 'view-doctor': return enterView(model, s, 'doctor');
    case 'view-bench': return enterView(model, s, 'bench');
    case 'view-nccl': return enterView(model, s, 'nccl');
    case 'search': return { ...s, view: 'tree', search: { editing: true, before: s.query } };
    case 'next-match':
    case 'prev-match': {
      const rows = treeRows(model, s);
      const matches = rows.map((r, i) => (r.match && model.nodes.get(r.id)!.bdf ? i : -1)).filter((i) => i >= 0);
      if (!matches.length) return say(s, 'no matches', 'warn');
      const cur = s.view === 'tree' ? treeCursor(model, s) : -1;
      const target = c === 'next-match'
        ? matches.find((i) => i > cur) ?? matches[0]
        : [...matches].reverse().find((i) => i < cur) ?? matches[matches.length - 1];
      return selectRow(model, { ...s, view: 'tree' }, target);
    }
    case 'cycle-class': {
      const classFilter = CLASS_FILTERS[(CLASS_FILTERS.indexOf(s.classFilter) + 1) % CLASS_FILTERS.length];
      return reselect(model, say({ ...s, view: 'tree', classFilter }, `class: ${classFilter}`));
    }
    case 'clear-filter': return reselect(model, { ...s, classFilter: 'all', query: '' });
    case 'clear-marks': return say({ ...s, marks: [], pairs: { ...s.pairs, path: null, pathTop: 0 } }, 'marks cleared');
    case 'mark': {
      if (s.view === 'pairs') return toggleMark(model, s, model.endpoints[s.pairs.row]?.bdf ?? null);
      if (s.view === 'tree') {
        const n = s.selected ? model.nodes.get(s.selected) : undefined;
        return toggleMark(model, s, n?.bdf ?? null);
      }
      return toggleMark(model, s, s.device);
    }
    case 'bench-write':
      return say(s, 'write tests are refused in the TUI (they overwrite the source); use `p2p bench SOURCE DEST --write` in a shell', 'bad');
    case 'bench-cancel': {
      const p = s.bench.phase;
      if (p === 'starting' || p === 'running') return say({ ...s, bench: { ...s.bench, phase: 'cancelling' } }, 'cancelling bench...');
      return s.view === 'bench' ? say(s, 'no bench is running') : s;
    }
    default: break;
  }
  switch (s.view) {
    case 'tree': return treeCommand(model, s, c);
    case 'details': return detailsCommand(model, s, c);
    case 'pairs': return pairsCommand(model, s, c);
    case 'doctor': return doctorCommand(model, s, c);
    case 'bench': return benchCommand(model, s, c);
    case 'nccl': return ncclCommand(model, s, c);
  }
}

function searchCommand(model: UiModel, s: UiState, c: SearchCommand): UiState {
  if (!s.search) return s;
  switch (c.type) {
    case 'quit': return { ...s, search: null, quit: true };
    case 'search-char': return reselect(model, { ...s, query: s.query + c.text, treeTop: 0 });
    case 'search-backspace': return reselect(model, { ...s, query: s.query.slice(0, -1) });
    case 'search-accept': {
      const rows = treeRows(model, s);
      const n = rows.filter((r) => r.match && model.nodes.get(r.id)!.bdf).length;
      const next = { ...s, search: null };
      return say(next, s.query ? `${n} match${n === 1 ? '' : 'es'} for "${s.query}" (n/N next, Esc clears)` : 'search cleared', n || !s.query ? 'info' : 'warn');
    }
    case 'search-cancel': return reselect(model, { ...s, query: s.search.before, search: null });
  }
}

function benchEvent(s: UiState, id: number, e: BenchEvent): UiState {
  const b = s.bench;
  if (!b.request || b.request.id !== id) return s; // a stale run
  switch (e.kind) {
    case 'progress': {
      const samples = [...b.samples, e.progress.gbPerSec].slice(-60);
      return { ...s, bench: { ...b, phase: b.phase === 'cancelling' ? 'cancelling' : 'running', progress: e.progress, samples } };
    }
    case 'note': return { ...s, bench: { ...b, notes: [...b.notes, e.text].slice(-4) } };
    case 'done': return say({ ...s, bench: { ...b, phase: 'done', result: e.result } }, e.cancelled ? 'bench cancelled' : e.result.ok ? 'bench finished' : 'bench FAILED', e.cancelled ? 'warn' : e.result.ok ? 'ok' : 'bad');
    case 'failed': return say({ ...s, bench: { ...b, phase: 'failed', error: e.message } }, `bench failed: ${e.message}`, 'bad');
  }
}

export function reduce(model: UiModel, s: UiState, a: Action): UiState {
  switch (a.type) {
    case 'key': {
      // Several keys in one chunk (fast typing, a paste, tmux send-keys): one at a time, so an Enter
      // typed right after a search text still accepts it. Escape sequences arrive whole and stay whole.
      const plain = !Object.values(a.key).some(Boolean) || (a.key.shift && !a.key.ctrl && !a.key.meta);
      if (plain && a.input.length > 1 && !a.input.includes('\u001b')) {
        return [...a.input].reduce<UiState>((st, ch) => {
          const key = ch === '\r' || ch === '\n' ? { return: true } : ch === '\t' ? { tab: true } : ch === '\u007f' || ch === '\b' ? { backspace: true } : {};
          return reduce(model, st, { type: 'key', input: key.return || key.tab || key.backspace ? '' : ch, key });
        }, s);
      }
      // Esc quickly followed by a key reaches us as one Alt+key: take it as Esc, then the key.
      if (a.key.meta && !a.key.escape && !a.key.ctrl && a.input.length === 1) {
        const afterEsc = reduce(model, s, { type: 'key', input: '', key: { escape: true } });
        return reduce(model, afterEsc, { type: 'key', input: a.input, key: { shift: a.key.shift } });
      }
      // The keymap turns the key into a command for the current mode; the reducer does the rest.
      if (s.search) {
        const c = keyToSearchCommand(a.input, a.key);
        return c ? reduce(model, s, { type: 'search', command: c }) : s;
      }
      const c = keyToCommand(a.input, a.key, s.help ? 'help' : 'normal');
      return c ? command(model, s, c) : s;
    }
    case 'command': return command(model, s, a.command);
    case 'search': return searchCommand(model, s.message ? { ...s, message: null } : s, a.command);
    case 'resize': {
      const next: UiState = { ...s, size: { columns: Math.max(1, a.columns), rows: Math.max(1, a.rows) } };
      // Re-fit every scroll position to the new size.
      const rows = treeRows(model, next);
      const i = treeCursor(model, next);
      const n = model.endpoints.length;
      return {
        ...next,
        treeTop: follow(next.treeTop, i, treeViewport(next), rows.length),
        pairs: n ? keepPairsCursor(next, next.pairs, n) : next.pairs,
      };
    }
    case 'select-device': return selectDevice(model, s, a.bdf);
    case 'bench': return benchEvent(s, a.id, a.event);
    case 'report-written': return say(s, a.text, a.ok ? 'ok' : 'bad');
  }
}

/** The reducer for React's useReducer, bound to one model. */
export function createReducer(model: UiModel): (s: UiState, a: Action) => UiState {
  return (s, a) => reduce(model, s, a);
}

