// The run step of a GPU memory bench: which copies to make for the plan (host <-> GPU, or GPU -> GPU
// peer against staged), run them through the native engine, and summarise them as a typed GpuReport.
import type { GpuBenchHandle, GpuBenchOptions, GpuBenchResult, GpuCaseName, GpuCaseResult } from '../native/addon.js';
import type { GpuPlan, PairVerdictFacts } from './plan.js';
import { awaitHandle } from './run.js';

export type StartGpuBenchFn = (opts: GpuBenchOptions) => GpuBenchHandle;

export interface GpuCaseSummary {
  name: GpuCaseName;
  /** "host -> gpu0 (0000:65:00.0)". */
  direction: string;
  /** pinned / pageable host memory, peer access, or staged through pinned host memory. */
  method: 'pinned' | 'pageable' | 'peer' | 'staged';
  bytes: number;
  copies: number;
  elapsedSec: number;
  gbPerSec: number;
  /** Best single copy, GB/s. */
  peakGbPerSec: number;
  verify: GpuCaseResult['verify'];
  error: string | null;
}

/** The typed result of `p2p bench host gpu0` / `p2p bench gpu0 gpu1` (JSON schema p2p.bench-gpu/1). */
export interface GpuReport {
  kind: 'gpu';
  schema: 'p2p.bench-gpu/1';
  runtime: 'cuda' | 'hip';
  what: GpuPlan['what'];
  a: { spec: string; label: string; bdf: string | null; ordinal: number };
  b: { spec: string; label: string; bdf: string | null; ordinal: number };
  bytesPerCopy: number;
  /** GPU -> GPU: the driver's answer each way and why the peer copies could not run. */
  peerAccess: { ab: boolean | null; ba: boolean | null; error: string | null } | null;
  /** Our own verdict for the pair (model/p2p), next to what the driver said. */
  verdict: PairVerdictFacts | null;
  cases: GpuCaseSummary[];
  /** Peer bandwidth over staged bandwidth, per direction (null when either failed). */
  peerGain: { ab: number | null; ba: number | null } | null;
  cancelled: boolean;
  ok: boolean;
}

const HOST_CASES: GpuCaseName[] = ['htod-pinned', 'dtoh-pinned', 'htod-pageable', 'dtoh-pageable'];
const PEER_CASES: GpuCaseName[] = ['peer-ab', 'staged-ab', 'peer-ba', 'staged-ba'];

export function gpuBenchOptions(plan: GpuPlan): GpuBenchOptions {
  const s = plan.settings;
  return {
    runtime: plan.runtime, lib: plan.lib, a: plan.a.ordinal, b: plan.b.ordinal, bytes: plan.bytes,
    totalBytes: s.total, durationMs: s.total ? 0 : Math.max(1, Math.round(s.durationSec * 1000 / 4)),
    cases: plan.what === 'gpu-gpu' ? PEER_CASES : HOST_CASES,
  };
}

function directionOf(plan: GpuPlan, name: GpuCaseName): string {
  if (name.startsWith('htod')) return `host -> ${plan.b.label}`;
  if (name.startsWith('dtoh')) return `${plan.b.label} -> host`;
  return name.endsWith('ab') ? `${plan.a.label} -> ${plan.b.label}` : `${plan.b.label} -> ${plan.a.label}`;
}

function methodOf(name: GpuCaseName): GpuCaseSummary['method'] {
  if (name.endsWith('pinned')) return 'pinned';
  if (name.endsWith('pageable')) return 'pageable';
  return name.startsWith('peer') ? 'peer' : 'staged';
}

export function summarizeCase(plan: GpuPlan, c: GpuCaseResult): GpuCaseSummary {
  return {
    name: c.name, direction: directionOf(plan, c.name), method: methodOf(c.name),
    bytes: c.bytes, copies: c.copies, elapsedSec: c.elapsedSec,
    gbPerSec: c.elapsedSec > 0 ? c.bytes / 1e9 / c.elapsedSec : 0,
    peakGbPerSec: c.minCopySec > 0 ? plan.bytes / 1e9 / c.minCopySec : 0,
    verify: c.verify, error: c.error ?? null,
  };
}

export function gpuCaseFailed(c: GpuCaseSummary): boolean {
  return c.error !== null || !c.verify.checked || !c.verify.ok;
}

function gain(cases: GpuCaseSummary[], dir: 'ab' | 'ba'): number | null {
  const p = cases.find((c) => c.name === `peer-${dir}`);
  const s = cases.find((c) => c.name === `staged-${dir}`);
  return p && s && !gpuCaseFailed(p) && !gpuCaseFailed(s) && s.gbPerSec > 0 ? p.gbPerSec / s.gbPerSec : null;
}

/** A peer copy the driver refused (no peer access): reported, not a failure; the staged copies answer then. */
export function peerRefused(r: Pick<GpuReport, 'peerAccess'>, c: GpuCaseSummary): boolean {
  const p = r.peerAccess;
  return c.method === 'peer' && p !== null && p.error !== null && c.error === p.error && (p.ab === false || p.ba === false);
}

/** The report from the native result. Peer cases refused by the driver are reported, not failed: the staged copies are the answer then. */
export function gpuReport(plan: GpuPlan, r: GpuBenchResult): GpuReport {
  const cases = r.cases.map((c) => summarizeCase(plan, c));
  const gpuGpu = plan.what === 'gpu-gpu';
  const peerAccess = gpuGpu ? { ab: r.peerAB, ba: r.peerBA, error: r.peerError ?? null } : null;
  return {
    kind: 'gpu', schema: 'p2p.bench-gpu/1', runtime: plan.runtime, what: plan.what, a: plan.a, b: plan.b, bytesPerCopy: plan.bytes,
    peerAccess,
    verdict: plan.pair,
    cases,
    peerGain: gpuGpu ? { ab: gain(cases, 'ab'), ba: gain(cases, 'ba') } : null,
    cancelled: r.cancelled,
    ok: cases.length > 0 && !r.cancelled && cases.every((c) => peerRefused({ peerAccess }, c) || !gpuCaseFailed(c)),
  };
}

/** Run the plan's copies; setup failures reject with one line. */
export async function runGpuPlan(plan: GpuPlan, start: StartGpuBenchFn, signal?: AbortSignal): Promise<GpuReport> {
  return gpuReport(plan, await awaitHandle(start(gpuBenchOptions(plan)), signal));
}
