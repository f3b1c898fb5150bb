// Step 3 of `p2p bench`: run a storage plan (A/B rounds or the sweep) and turn the native results into
// the typed StorageReport that the CLI's text and JSON and the TUI's Bench pane all render.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchJson, type BenchJson, type SweepPoint } from './format.js';
import { runFailed, secondsPerGiB, summarize, type RunSummary } from './metrics.js';
import type { StoragePlan } from './plan.js';
import { runInterleaved, runSweep, type RunHooks } from './run.js';
import type { NativeBenchResult, NativeDestination } from '../native/addon.js';

export interface StorageReport {
  kind: 'storage';
  /** The documented `p2p bench --json` document (schema p2p.bench/1). */
  doc: BenchJson;
  /** For the text header. */
  pattern: 'seq' | 'rand';
  engine: string;
  /** Failed runs (or sweep points) with what failed. */
  failures: { run: RunSummary; at: string | null }[];
  cancelled: boolean;
}

/** Say which switch refused io_uring, when the kernel has one set. */
function noteIoUringSysctl(results: Iterable<NativeBenchResult[]>, root: string): void {
  let disabled: string | null;
  try {
    disabled = readFileSync(join(root, 'proc/sys/kernel/io_uring_disabled'), 'utf8').trim();
  } catch {
    disabled = null;
  }
  if (!disabled || disabled === '0') return;
  for (const list of results) {
    for (const r of list) {
      if (r.engineNote?.startsWith('io_uring unavailable')) r.engineNote += ` (sysctl kernel.io_uring_disabled = ${disabled})`;
    }
  }
}

/** Device-DAX and udmabuf runs report the time per GiB as well. */
function timedPerGiB(d: NativeDestination): boolean {
  return d.kind === 'dax' || d.kind === 'udmabuf';
}

async function executeSweep(plan: StoragePlan, hooks: RunHooks): Promise<StorageReport> {
  const s = plan.settings;
  const main = plan.paths[0];
  const res = await runSweep(main.path, main.dest, s.sweep!.blockSizes, s.sweep!.queueDepths, plan.target, plan.engine, hooks);
  const points: SweepPoint[] = res.map((r) => ({
    blockSize: r.blockSize, queueDepth: r.queueDepth,
    summary: summarize([r.result], { path: main.path, dest: plan.dest.label, blockSize: r.blockSize, queueDepth: r.queueDepth, workers: s.workers, linkCeilingGBps: plan.ceiling }),
  }));
  const doc = benchJson({ source: plan.source, destination: plan.destination, mode: main.path, write: s.write, directSkipped: plan.directSkipped, runs: [], sweep: points });
  const bad = points.find((p) => runFailed(p.summary));
  return {
    kind: 'storage', doc, pattern: s.pattern, engine: s.engine,
    failures: bad ? [{ run: bad.summary, at: `bs ${bad.blockSize} QD${bad.queueDepth}` }] : [],
    cancelled: points.some((p) => p.summary.cancelled),
  };
}

async function executeRounds(plan: StoragePlan, hooks: RunHooks, root: string): Promise<StorageReport> {
  const s = plan.settings;
  const results = await runInterleaved(plan.paths, s.rounds, plan.target, plan.engine, hooks);
  noteIoUringSysctl(results.values(), root);
  const runs: RunSummary[] = plan.paths
    .filter((p) => (results.get(p.path) ?? []).length > 0)
    .map((p) => {
      const r = summarize(results.get(p.path)!, {
        path: p.path,
        dest: p.dest.kind === 'host' && plan.destination.spec !== 'host' ? 'host (staging only)' : plan.dest.label,
        blockSize: s.bs, queueDepth: s.qd, workers: s.workers, linkCeilingGBps: plan.ceiling,
      });
      return timedPerGiB(p.dest) ? { ...r, secPerGiB: secondsPerGiB(r) } : r;
    });
  const doc = benchJson({ source: plan.source, destination: plan.destination, mode: s.mode, write: s.write, directSkipped: plan.directSkipped, runs, sweep: null });
  return {
    kind: 'storage', doc, pattern: s.pattern, engine: s.engine,
    failures: runs.filter(runFailed).map((run) => ({ run, at: null })),
    cancelled: runs.some((r) => r.cancelled),
  };
}

/** Run a storage plan. Engine setup failures (open, mmap of p2pmem, ring setup, cuFile) reject. */
export function executeStorage(plan: StoragePlan, hooks: RunHooks, root = '/'): Promise<StorageReport> {
  return plan.settings.sweep ? executeSweep(plan, hooks) : executeRounds(plan, hooks, root);
}
