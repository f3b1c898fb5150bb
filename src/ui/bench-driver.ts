// What the Bench pane needs from the bench engine: start a read-only A/B run (direct vs bounce) for a
// source and destination, report progress while it runs, and the result. The live driver wraps the
// `p2p bench` runner (src/bench/bench-command.ts) with JSON output and a progress tap on the native
// engine; tests pass a fake. Write tests are never started from here.
import type { CommandIO } from '../io.js';
import type { Fabric } from '../model/types.js';
import type { BenchEvent, BenchResultView } from './state.js';

export interface BenchRequest {
  source: string;
  /** A BDF, or 'host'. */
  dest: string;
}

export interface BenchRun {
  cancel(): void;
  done: Promise<void>;
}

export interface BenchDriver {
  start(req: BenchRequest, emit: (e: BenchEvent) => void): BenchRun;
}

/** Why a bench cannot run on this fabric source (a dump or a captured tree is not this machine). */
export function benchRefusal(fabric: Fabric): string | null {
  const s = fabric.source;
  if (s.live) return null;
  if (s.method === 'dump') return `the fabric comes from the dump ${s.location}, not this machine: run p2p tui without --dump to benchmark`;
  if (s.method === 'snapshot') return `the fabric comes from the snapshot ${s.location}, not this machine`;
  return `the fabric comes from the captured tree ${s.location}, not this machine: run p2p tui without --root to benchmark`;
}

interface JsonRun {
  path: 'direct' | 'bounce';
  gbPerSec: number;
  latencyUs?: { p99?: number };
  cpuPerGB?: { total?: number };
  error: string | null;
  verify?: { checked: boolean; ok: boolean };
  cancelled?: boolean;
}

/** The `p2p bench --json` document as the pane shows it. */
export function resultFromJson(doc: {
  runs: JsonRun[];
  savings: { throughputRatio: number | null; cpuShareSaved: number | null } | null;
  directSkipped: string | null;
  ok: boolean;
}): BenchResultView {
  return {
    runs: doc.runs.map((r) => ({
      path: r.path,
      gbPerSec: r.gbPerSec,
      p99us: r.latencyUs?.p99 ?? null,
      cpuSecPerGB: r.cpuPerGB?.total ?? null,
      failed: r.error ?? (r.verify && r.verify.checked && !r.verify.ok ? 'data mismatch' : r.cancelled ? 'cancelled' : null),
    })),
    throughputRatio: doc.savings?.throughputRatio ?? null,
    cpuShareSaved: doc.savings?.cpuShareSaved ?? null,
    directSkipped: doc.directSkipped,
    ok: doc.ok,
  };
}

export interface LiveDriverOptions {
  /** Seconds per path (split over the rounds). */
  durationSec?: number;
  rounds?: number;
}

/** The real engine: `p2p bench SOURCE DEST --json`, read-only, with live progress. */
export function liveBenchDriver(fabric: Fabric, opts: LiveDriverOptions = {}): BenchDriver {
  const durationSec = opts.durationSec ?? 4;
  const rounds = opts.rounds ?? 2;
  return {
    start(req, emit) {
      let cancelled = false;
      let current: { cancel(): void } | null = null;
      const done = (async () => {
        try {
          const [{ runBench }, addon] = await Promise.all([import('../bench/bench-command.js'), import('../native/addon.js')]);
          const status = addon.addonStatus();
          if (!status.loaded) {
            emit({ kind: 'failed', message: `native addon unavailable: ${status.error ?? 'unknown reason'}` });
            return;
          }
          let out = '';
          const io: CommandIO = {
            out: (t) => {
              out += t;
            },
            err: (t) => {
              const line = t.trim();
              if (line) emit({ kind: 'note', text: line });
            },
            isTTY: false,
            color: false,
            columns: 80,
          };
          const round: Record<string, number> = { direct: 0, bounce: 0 };
          const code = await runBench(
            { source: req.source, dest: req.dest, json: true, write: false, mode: 'both', duration: durationSec, rounds },
            io,
            {
              loadFabric: async () => fabric,
              startBench: (nopts, onProgress) => {
                const path = nopts.mode;
                const r = round[path]++;
                const handle = addon.startBench(nopts, (p) => {
                  onProgress?.(p);
                  const fraction = nopts.durationMs > 0 ? (p.elapsedSec * 1000) / nopts.durationMs : nopts.totalBytes > 0 ? p.bytes / nopts.totalBytes : null;
                  emit({
                    kind: 'progress',
                    progress: {
                      path, round: r, rounds, bytes: p.bytes, elapsedSec: p.elapsedSec,
                      gbPerSec: p.elapsedSec > 0 ? p.bytes / 1e9 / p.elapsedSec : 0,
                      fraction: fraction === null ? null : Math.min(1, fraction),
                    },
                  });
                });
                current = handle;
                if (cancelled) handle.cancel();
                return handle;
              },
            },
          );
          const doc = JSON.parse(out);
          emit({ kind: 'done', result: resultFromJson(doc), cancelled: cancelled || code !== 0 && doc.runs?.some((r: JsonRun) => r.cancelled) });
        } catch (e) {
          emit({ kind: 'failed', message: (e as Error).message });
        }
      })();
      return {
        cancel() {
          cancelled = true;
          current?.cancel();
        },
        done,
      };
    },
  };
}
