// Engine orchestration: one run, the interleaved A/B (direct vs bounce) rounds, and the block-size x
// queue-depth sweep. The native startBench is injected so the sequencing is testable without I/O.
import type { BenchHandle, NativeBenchOptions, NativeBenchResult, NativeDestination, NativeProgress } from '../native/addon.js';
import type { PathKind } from './metrics.js';

export interface EngineSettings {
  blockSize: number;
  queueDepth: number;
  workers: number;
  /** Total bytes for the whole bench (split across A/B rounds); 0 = no byte limit. */
  totalBytes: number;
  /** Total duration for the whole bench (split across A/B rounds); 0 = no time limit. */
  durationMs: number;
  rangeOffset: number;
  rangeLength: number;
  pattern: 'seq' | 'rand';
  engine: 'auto' | 'io_uring' | 'psync';
  registerBuffers: boolean;
  /** O_DIRECT (default true). */
  oDirect: boolean;
  verifySlots: number;
  seed: number;
  testCorruptByte?: number;
}

export interface Target {
  path: string;
  write: boolean;
}

export type StartBenchFn = (opts: NativeBenchOptions, onProgress?: (p: NativeProgress) => void) => BenchHandle;

export interface RunHooks {
  start: StartBenchFn;
  /** Progress of the current run, with which path it is. */
  onProgress?: (p: NativeProgress & { path: PathKind; round: number }) => void;
  signal?: AbortSignal;
}

export function nativeOptions(path: PathKind, dest: NativeDestination, t: Target, s: EngineSettings, share = 1): NativeBenchOptions {
  const o: NativeBenchOptions = {
    path: t.path,
    write: t.write,
    direct: s.oDirect,
    engine: s.engine,
    dest,
    mode: path,
    blockSize: s.blockSize,
    queueDepth: s.queueDepth,
    workers: s.workers,
    rangeOffset: s.rangeOffset,
    rangeLength: s.rangeLength,
    totalBytes: s.totalBytes > 0 ? Math.max(s.blockSize, Math.ceil(s.totalBytes / share / s.blockSize) * s.blockSize) : 0,
    durationMs: s.durationMs > 0 ? Math.max(1, Math.round(s.durationMs / share)) : 0,
    pattern: s.pattern,
    registerBuffers: s.registerBuffers,
    verifySlots: s.verifySlots,
    progressIntervalMs: 250,
    seed: s.seed,
  };
  if (s.testCorruptByte !== undefined) o.testCorruptByte = s.testCorruptByte;
  return o;
}

/** One native run; cancels it when the signal aborts. */
export async function runOnce(opts: NativeBenchOptions, hooks: RunHooks, tag: { path: PathKind; round: number }): Promise<NativeBenchResult> {
  if (hooks.signal?.aborted) throw new Error('bench cancelled');
  return awaitHandle(hooks.start(opts, hooks.onProgress ? (p) => hooks.onProgress!({ ...p, ...tag }) : undefined), hooks.signal);
}

/** A native run's result, cancelling the run when `signal` aborts: the storage, GPU and HMM benches alike. */
export async function awaitHandle<T>(handle: { promise: Promise<T>; cancel(): void }, signal?: AbortSignal): Promise<T> {
  const onAbort = () => handle.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await handle.promise;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function failed(r: NativeBenchResult): boolean {
  return Boolean(r.error) || (r.verify.checked && !r.verify.ok) || r.cancelled;
}

/**
 * Run the given paths in interleaved rounds (A B, B A, A B ...) so drift (thermal, caches, other load)
 * hits both alike. Budget (bytes/time) is split evenly across rounds. Stops at the first failed run.
 */
export async function runInterleaved(
  paths: { path: PathKind; dest: NativeDestination }[], rounds: number, t: Target, s: EngineSettings, hooks: RunHooks,
): Promise<Map<PathKind, NativeBenchResult[]>> {
  const out = new Map<PathKind, NativeBenchResult[]>(paths.map((p) => [p.path, []]));
  const n = Math.max(1, Math.floor(rounds));
  for (let round = 0; round < n; round++) {
    const order = round % 2 === 0 ? paths : [...paths].reverse();
    for (const p of order) {
      const r = await runOnce(nativeOptions(p.path, p.dest, t, s, n), hooks, { path: p.path, round });
      out.get(p.path)!.push(r);
      if (failed(r)) return out;
    }
  }
  return out;
}

export interface SweepResult {
  blockSize: number;
  queueDepth: number;
  result: NativeBenchResult;
}

/** Block sizes x queue depths, one run each (durationMs / totalBytes are per point). */
export async function runSweep(
  path: PathKind, dest: NativeDestination, blockSizes: number[], queueDepths: number[], t: Target, s: EngineSettings, hooks: RunHooks,
): Promise<SweepResult[]> {
  const out: SweepResult[] = [];
  let round = 0;
  for (const bs of blockSizes) {
    for (const qd of queueDepths) {
      if (bs > s.rangeLength) continue;
      const point = { ...s, blockSize: bs, queueDepth: qd, rangeLength: Math.floor(s.rangeLength / bs) * bs };
      const r = await runOnce(nativeOptions(path, dest, t, point), hooks, { path, round: round++ });
      out.push({ blockSize: bs, queueDepth: qd, result: r });
      if (r.cancelled) return out;
    }
  }
  return out;
}
