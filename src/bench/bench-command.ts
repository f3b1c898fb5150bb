// `p2p bench SOURCE DEST` as named steps: plan (argv checks, live-source guard, source and destination,
// write guard: plan.ts) -> run with progress and SIGINT (report.ts, gpu-run.ts, hmm.ts) -> typed report ->
// text or JSON. Returns the exit code: 0 ok, 1 the bench failed (I/O error or the bytes that landed
// differ from the source), 130 cancelled, 2 user error (thrown as UserError).
import { UserError } from '../errors.js';
import type { CommandIO } from '../commands/shared.js';
import type { Device, Fabric } from '../model/types.js';
import { progressLine } from './format.js';
import type { RunSummary } from './metrics.js';
import { planBench, type BenchDeps, type BenchPlan, type GpuPlan, type StoragePlan } from './plan.js';
import { executeStorage, type StorageReport } from './report.js';
import { runGpuPlan, type GpuReport } from './gpu-run.js';
import { runHmmPlan, type HmmReport } from './hmm.js';
import { renderBenchText, renderGpuText, renderHmmText } from './render.js';
import type { RunHooks } from './run.js';

export type { BenchOptions } from './settings.js';
export type { BenchDeps } from './plan.js';
export { failureText } from './render.js';
import type { BenchOptions } from './settings.js';

export type BenchReport = StorageReport | GpuReport | HmmReport;

/**
 * The link ceiling (GB/s per direction) a bench between these devices can reach. With both ends
 * known, the narrowest link on the whole path sets it (a switch uplink can be narrower than either
 * endpoint); with one end known, that end's own link.
 */
export async function pathCeilingGBps(fabric: Fabric, client: Device | null, provider: Device | null): Promise<number | null> {
  if (client && provider && client !== provider) {
    const { buildPath } = await import('../model/p2p/path.js');
    const c = buildPath(fabric, client, provider).ceiling;
    if (c) return c.bytesPerSecond / 1e9;
  }
  const { linkCeiling, effectiveLink } = await import('../model/link-math.js');
  const ceil = (d: Device | null) => {
    const l = d ? effectiveLink(d.link) : null;
    return l && d ? linkCeiling(l.speed, l.width, d.mps).bytesPerSecond / 1e9 : null;
  };
  const xs = [ceil(client), ceil(provider)].filter((x): x is number => x !== null);
  return xs.length ? Math.min(...xs) : null;
}

/** The real machine: the addon, the fabric loader, the P2P model. */
export async function defaultBenchDeps(): Promise<BenchDeps> {
  const [addon, lookup] = await Promise.all([import('../native/addon.js'), import('../model/lookup.js')]);
  return {
    startBench: addon.startBench,
    statSource: addon.statSource,
    probeCuFile: (libs) => addon.probeCuFile(libs),
    probeGpus: addon.probeGpus,
    startGpuBench: addon.startGpuBench,
    startHmmBench: addon.startHmmBench,
    loadFabric: async (o) => (await import('../access/load.js')).loadFabric(o),
    resolveDevice: lookup.resolveDevice,
    pairVerdict: async (fabric, client, provider) => {
      const { computeP2pdma } = await import('../model/p2p/kernel-rules.js');
      const v = computeP2pdma(fabric, client, provider);
      return { mapType: v.mapType, verdict: v.verdict, reason: v.reasons.map((r) => r.message).join('; ') || null };
    },
    linkCeilingGBps: pathCeilingGBps,
    root: '/',
    env: process.env,
  };
}

async function depsWith(overrides: Partial<BenchDeps>): Promise<BenchDeps> {
  const need = ['startBench', 'statSource', 'loadFabric', 'resolveDevice', 'probeGpus', 'startGpuBench', 'startHmmBench'] as const;
  const defaults = need.some((k) => !overrides[k]) ? await defaultBenchDeps() : ({} as BenchDeps);
  return { ...defaults, ...overrides } as BenchDeps;
}

/** Progress line on a terminal (never with --json), cleared before the table. */
function progressPrinter(plan: StoragePlan, io: CommandIO, json: boolean) {
  const live = io.isTTY && !json;
  const s = plan.settings;
  const share = s.sweep ? 1 : s.rounds;
  let lastLen = 0;
  return {
    onProgress: live
      ? (p: Parameters<NonNullable<RunHooks['onProgress']>>[0]) => {
          const label = s.sweep ? `${p.path}` : `${p.path} round ${p.round + 1}/${s.rounds}`;
          const line = progressLine({ bytes: p.bytes, elapsedSec: p.elapsedSec, label }, { totalBytes: s.total / share, durationSec: s.durationSec / share }, io.columns);
          io.err('\r' + line.padEnd(lastLen));
          lastLen = line.length;
        }
      : undefined,
    clear() {
      if (live && lastLen) io.err('\r' + ' '.repeat(lastLen) + '\r');
      lastLen = 0;
    },
  };
}

/** Run a plan with Ctrl-C cancelling the engine; engine setup failures become one UserError line. */
export async function executePlan(plan: BenchPlan, deps: BenchDeps, hooks: Partial<RunHooks> = {}): Promise<BenchReport> {
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const outer = hooks.signal;
  const onOuter = () => ac.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  try {
    if (plan.kind === 'gpu') return await runGpuPlan(plan as GpuPlan, deps.startGpuBench, ac.signal);
    if (plan.kind === 'hmm') return await runHmmPlan(plan, deps.startHmmBench, ac.signal);
    return await executeStorage(plan, { start: hooks.start ?? deps.startBench, signal: ac.signal, onProgress: hooks.onProgress }, deps.root ?? '/');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`bench could not start: ${(e as Error).message}`);
  } finally {
    process.removeListener('SIGINT', onSigint);
    outer?.removeEventListener('abort', onOuter);
  }
}

/** Exit code of a report: 130 cancelled, 1 failed, 0 ok. */
export function reportExitCode(r: BenchReport): number {
  if (r.cancelled) return 130;
  return (r.kind === 'storage' ? r.doc.ok : r.ok) ? 0 : 1;
}

function printReport(report: BenchReport, plan: BenchPlan, io: CommandIO, json: boolean): void {
  if (report.kind === 'hmm') {
    if (json) io.out(JSON.stringify(report, null, 2) + '\n');
    else renderHmmText(report, io);
    return;
  }
  if (report.kind === 'gpu') {
    if (json) io.out(JSON.stringify(report, null, 2) + '\n');
    else renderGpuText(report, io);
    return;
  }
  if (json) io.out(JSON.stringify(report.doc, null, 2) + '\n');
  else renderBenchText(report, plan as StoragePlan, io);
}

export async function runBench(opts: BenchOptions, io: CommandIO, overrides: Partial<BenchDeps> = {}): Promise<number> {
  const deps = await depsWith(overrides);
  const plan = await planBench(opts, deps);
  for (const n of [...(opts.json ? [] : plan.notes), ...plan.warnings]) io.err(`${n}\n`);
  const progress = plan.kind === 'storage' ? progressPrinter(plan, io, opts.json === true) : null;
  let report: BenchReport;
  try {
    report = await executePlan(plan, deps, { onProgress: progress?.onProgress });
  } finally {
    progress?.clear();
  }
  printReport(report, plan, io, opts.json === true);
  return reportExitCode(report);
}

export type { RunSummary };
