// The TUI's first frame drawn from part of the fabric: every function placed in the tree from its sysfs
// path, but only the few the first screen shows (and what their lines depend on) read in full. On a
// fabric of thousands of functions this is a fraction of the full scan, which follows while the user
// reads the screen. The frame is the one the full fabric gives, or none is drawn (see earlyFirstFrame).
import type { RawFabric } from '../access/types.js';
import type { PciIds } from '../model/pci-ids.js';
import { buildFabric } from '../model/topology.js';
import type { Fabric } from '../model/types.js';
import { firstFrame, firstFrameRows } from './first-frame.js';
import { buildModel, type UiModel } from './model.js';
import { initialState, type UiState } from './state.js';

/** A source laid out before it is read: its functions and parents, and a partial read on demand. */
export interface OutlinedSource {
  functions: readonly { bdf: string; parentBdf?: string | null }[];
  /** The functions in `full` read in full, the others only placed; null when the source cannot do that. */
  partial(full: ReadonlySet<string>): RawFabric | null;
}

export interface EarlyFrameOptions {
  columns: number;
  rows: number;
  pciIds: PciIds | null;
  /** Below this many functions the full scan is quick enough: no early frame (default 300). */
  minFunctions?: number;
  /** No early frame when it needs more than this share of the functions read in full (default 0.25). */
  maxFullShare?: number;
}

/** Fewer functions than this and the full scan is about as quick as two partial ones. */
const MIN_FUNCTIONS = 300;
/** Reading more than this share of the functions in full would save little. */
const MAX_FULL_SHARE = 0.25;

function byBdf(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The functions whose full facts the first frame's lines use: those on its lines (a merged port's too),
 * a host bridge's root functions (their NUMA nodes), every function before the last of them in BDF
 * order (friendly names count devices in that order), and the PF of any function read in full (a VF's
 * IDs come from it). Bridges are read in full from the start: tree shape and kinds depend on them.
 */
function framePrerequisites(model: UiModel, state: UiState, fabric: Fabric, sortedBdfs: readonly string[]): Set<string> {
  const need = new Set<string>();
  for (const row of firstFrameRows(model, state)) {
    const node = model.nodes.get(row.id)!;
    if (node.bdf) need.add(node.bdf);
    if (node.port) need.add(node.port);
    if (node.kind === 'host-bridge') for (const c of node.children) {
      const b = model.nodes.get(c)!.bdf;
      if (b) need.add(b);
    }
  }
  let last = '';
  for (const b of need) if (b > last) last = b;
  for (const b of sortedBdfs) {
    if (b > last) break;
    need.add(b);
  }
  for (const d of fabric.devices) if (d.raw.physfn) need.add(d.raw.physfn);
  return need;
}

/**
 * The first frame for a terminal of `columns` x `rows`, exactly as the full fabric would draw it, from
 * partial reads of `source`; null when it would not be quicker (a small fabric, a first screen that
 * needs much of it) or the source cannot be read in part. Each round reads what the last one showed
 * the frame needs; the tree's shape is known from the first, so two rounds are the rule.
 */
export function earlyFirstFrame(source: OutlinedSource, opts: EarlyFrameOptions): string | null {
  const n = source.functions.length;
  if (n < (opts.minFunctions ?? MIN_FUNCTIONS)) return null;
  const sorted = source.functions.map((f) => f.bdf).sort(byBdf);
  const full = new Set<string>();
  for (const f of source.functions) if (f.parentBdf) full.add(f.parentBdf);
  // A first guess at the screen: each line shows at most two functions (a port and what is below it).
  for (const b of sorted.slice(0, 2 * opts.rows)) full.add(b);
  const maxFull = n * (opts.maxFullShare ?? MAX_FULL_SHARE);
  for (let round = 0; round < 4; round++) {
    if (full.size > maxFull) return null;
    const raw = source.partial(full);
    if (!raw) return null;
    const fabric = buildFabric(raw, { pciIds: opts.pciIds });
    const model = buildModel(fabric);
    const state = initialState(model, { columns: opts.columns, rows: opts.rows });
    let missing = false;
    for (const b of framePrerequisites(model, state, fabric, sorted)) {
      if (!full.has(b) && fabric.byBdf.has(b)) {
        full.add(b);
        missing = true;
      }
    }
    if (!missing) return firstFrame(model, state);
  }
  return null;
}
