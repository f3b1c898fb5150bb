// What the Bench pane needs from the bench engine: start a read-only A/B run (direct vs bounce) for a
// source and destination, report progress while it runs, and the result. The live driver plans and runs
// the bench through src/bench (plan -> run -> typed StorageReport) with a progress tap on the native
// engine and maps the report; tests pass a fake. Write tests are never started from here.
import type { StorageReport } from '../bench/report.js';
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

/** The typed storage report as the pane shows it. */
export function resultFromReport(r: Pick<StorageReport, 'doc'>): BenchResultView {
  const doc = r.doc;
  return {
    runs: doc.runs.map((x) => ({
      path: x.path,
      gbPerSec: x.gbPerSec,
      p99us: x.latencyUs.p99,
      cpuSecPerGB: x.cpuPerGB.total,
      failed: x.error ?? (x.verify.checked && !x.verify.ok ? 'data mismatch' : x.cancelled ? 'cancelled' : null),
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

/** The real engine: plan and run the read-only A/B bench, with live progress, and map the typed report. */
export function liveBenchDriver(fabric: Fabric, opts: LiveDriverOptions = {}): BenchDriver {
  const durationSec = opts.durationSec ?? 4;
  const rounds = opts.rounds ?? 2;
  return {
    start(req, emit) {
      const ac = new AbortController();
      const done = (async () => {
        try {
          const [cmd, plan, addon] = await Promise.all([import('../bench/bench-command.js'), import('../bench/plan.js'), import('../native/addon.js')]);
          const status = addon.addonStatus();
          if (!status.loaded) {
            emit({ kind: 'failed', message: `native addon unavailable: ${status.error ?? 'unknown reason'}` });
            return;
          }
          const deps = { ...(await cmd.defaultBenchDeps()), loadFabric: async () => fabric };
          const p = await plan.planBench({ source: req.source, dest: req.dest, write: false, mode: 'both', duration: durationSec, rounds }, deps);
          if (p.kind !== 'storage') throw new Error('the Bench pane runs storage benches only');
          for (const n of [...p.notes, ...p.warnings]) emit({ kind: 'note', text: n });
          const round: Record<string, number> = { direct: 0, bounce: 0 };
          const report = await cmd.executePlan(p, deps, {
            signal: ac.signal,
            start: (nopts, onProgress) => {
              const path = nopts.mode;
              const r = round[path]++;
              return addon.startBench(nopts, (x) => {
                onProgress?.(x);
                const fraction = nopts.durationMs > 0 ? (x.elapsedSec * 1000) / nopts.durationMs : nopts.totalBytes > 0 ? x.bytes / nopts.totalBytes : null;
                emit({
                  kind: 'progress',
                  progress: {
                    path, round: r, rounds, bytes: x.bytes, elapsedSec: x.elapsedSec,
                    gbPerSec: x.elapsedSec > 0 ? x.bytes / 1e9 / x.elapsedSec : 0,
                    fraction: fraction === null ? null : Math.min(1, fraction),
                  },
                });
              });
            },
          });
          if (report.kind !== 'storage') throw new Error('unexpected report');
          for (const f of report.failures) emit({ kind: 'note', text: `bench FAILED (${f.run.path}): ${cmd.failureText(f.run)}` });
          emit({ kind: 'done', result: resultFromReport(report), cancelled: ac.signal.aborted || report.cancelled });
        } catch (e) {
          emit({ kind: 'failed', message: (e as Error).message });
        }
      })();
      return {
        cancel() {
          ac.abort();
        },
        done,
      };
    },
  };
}
