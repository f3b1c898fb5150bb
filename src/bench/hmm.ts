// `p2p bench --hmm DEVICE`: HMM migration through the kernel's HMM test driver (lib/test_hmm.c). The
// plan (device, size, reps, the way back), the run through the native startHmmBench, and the typed
// HmmReport (JSON schema p2p.bench-hmm/1) that render.ts prints; docs/bench.md says what is measured.
import { statSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { HmmBenchHandle, HmmBenchOptions, HmmBenchResult, HmmRepResult, HmmVerify } from '../native/addon.js';
import { int, size, type BenchOptions } from './settings.js';
import { awaitHandle } from './run.js';

export type StartHmmBenchFn = (opts: HmmBenchOptions) => HmmBenchHandle;

/** An HMM migration bench: anonymous memory -> the driver's device-private memory -> back. */
export interface HmmPlan {
  kind: 'hmm';
  /** The driver's device file (/dev/hmm_dmirror0). */
  device: string;
  /** Bytes per migration (--size, default 64 MiB). */
  bytes: number;
  /** Migrations each way (--rounds, default 3). */
  reps: number;
  back: 'migrate' | 'fault';
  seed: number;
  notes: string[];
  warnings: string[];
}

const DEFAULT_BYTES = 64 << 20;
const PAGE = 4096;
const MAX_BYTES = 2 ** 36; // 64 GiB: the driver backs each device page with a system page, and copies the size twice more

/** `hmm_dmirror0` -> `/dev/hmm_dmirror0`; a path stays as given. */
export function hmmDevicePath(spec: string): string {
  return spec.includes('/') ? spec : `/dev/${spec}`;
}

type StatFn = (path: string) => { isCharacterDevice(): boolean };

/** The device exists and is a character device, or one line saying what is missing. */
function checkDevice(path: string, stat: StatFn): void {
  let st;
  try {
    st = stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`no HMM test device ${path}: the kernel needs CONFIG_TEST_HMM (built in, or modprobe test_hmm)`);
    throw new UserError(`cannot stat ${path}: ${code ?? (e as Error).message}`);
  }
  if (!st.isCharacterDevice()) throw new UserError(`${path} is not a character device: --hmm takes the HMM test driver's /dev/hmm_dmirrorN`);
}

/** The HMM plan from argv: every bad value is one UserError line. `stat` is replaceable for tests. */
export function planHmm(opts: BenchOptions, stat: StatFn = statSync): HmmPlan {
  if (opts.source !== undefined) throw new UserError(`--hmm takes no SOURCE (got ${opts.source}): p2p bench --hmm /dev/hmm_dmirror0 [--size 64M] [--rounds 3]`);
  if (opts.write === true) throw new UserError('--hmm has no --write: it moves its own memory only');
  if (!opts.hmm) throw new UserError('--hmm needs the HMM test device, e.g. --hmm /dev/hmm_dmirror0');
  const device = hmmDevicePath(opts.hmm);
  const bytes = size('size', opts.size, DEFAULT_BYTES);
  if (bytes < PAGE || bytes % PAGE !== 0 || bytes > MAX_BYTES) throw new UserError('--size for --hmm must be a multiple of 4k, from 4k to 64G');
  const reps = int('rounds', opts.rounds, 3, 1, 1000);
  const back = opts.hmmBack ?? 'migrate';
  if (back !== 'migrate' && back !== 'fault') throw new UserError('--hmm-back must be migrate or fault');
  checkDevice(device, stat);
  return { kind: 'hmm', device, bytes, reps, back, seed: opts.seed ?? 1, notes: [], warnings: [] };
}

/** One direction over every completed rep. */
export interface HmmDirection {
  name: 'to-device' | 'device-read' | 'to-system';
  /** Bytes moved over all reps, and the seconds it took. */
  bytes: number;
  sec: number;
  /** The fastest rep. */
  bestSec: number;
  gibPerSec: number;
  bestGibPerSec: number;
  /** Seconds per GiB at the average rate. */
  secPerGiB: number;
}

/** The typed result of `p2p bench --hmm` (its JSON is this object). */
export interface HmmReport {
  kind: 'hmm';
  schema: 'p2p.bench-hmm/1';
  device: string;
  bytesPerRep: number;
  pageSize: number;
  back: 'migrate' | 'fault';
  repsAsked: number;
  /** Every completed rep as the engine measured it. */
  reps: HmmRepResult[];
  directions: HmmDirection[];
  /** Every rep's bytes matched: in the device's view, and on the CPU after the way back (null: no rep checked). */
  verified: { device: boolean | null; cpu: boolean | null };
  /** The first mismatch, with the rep and the side it was seen on. */
  mismatch: { rep: number; side: 'device' | 'cpu'; offset: number; expected: number | null; actual: number | null } | null;
  /** Pages per rep; the fewest that reached the device and the most left there after the way back. */
  pages: { perRep: number; minOnDevice: number | null; maxLeftOnDevice: number | null };
  error: string | null;
  errorCode: string | null;
  failedStep: HmmBenchResult['failedStep'] | null;
  cancelled: boolean;
  ok: boolean;
}

const GIB = 2 ** 30;

function direction(name: HmmDirection['name'], bytesPerRep: number, secs: number[]): HmmDirection {
  const sec = secs.reduce((a, b) => a + b, 0);
  const bestSec = secs.length ? Math.min(...secs) : 0;
  const bytes = bytesPerRep * secs.length;
  return {
    name, bytes, sec, bestSec,
    gibPerSec: sec > 0 ? bytes / GIB / sec : 0,
    bestGibPerSec: bestSec > 0 ? bytesPerRep / GIB / bestSec : 0,
    secPerGiB: bytes > 0 ? sec / (bytes / GIB) : 0,
  };
}

function allOk(reps: HmmRepResult[], pick: (r: HmmRepResult) => HmmVerify): boolean | null {
  const checked = reps.map(pick).filter((v) => v.checked);
  return checked.length ? checked.every((v) => v.ok) : null;
}

function firstMismatch(reps: HmmRepResult[]): HmmReport['mismatch'] {
  for (const [i, r] of reps.entries()) {
    for (const [side, v] of [['device', r.deviceVerify], ['cpu', r.cpuVerify]] as const) {
      if (v.checked && !v.ok) return { rep: i, side, offset: v.firstBadOffset ?? -1, expected: v.expected ?? null, actual: v.actual ?? null };
    }
  }
  return null;
}

/** The report from the native result: per-direction rates, the checks, the page counts, ok or not. */
export function hmmReport(plan: HmmPlan, r: HmmBenchResult): HmmReport {
  const perRep = Math.floor(r.bytes / (r.pageSize || PAGE));
  const reps = r.reps;
  const verified = { device: allOk(reps, (x) => x.deviceVerify), cpu: allOk(reps, (x) => x.cpuVerify) };
  const minOnDevice = reps.length ? Math.min(...reps.map((x) => x.onDevicePages)) : null;
  const maxLeftOnDevice = reps.length ? Math.max(...reps.map((x) => x.leftOnDevicePages)) : null;
  const ok = !r.error && !r.cancelled && reps.length === plan.reps && verified.device === true && verified.cpu === true &&
    minOnDevice === perRep && maxLeftOnDevice === 0;
  return {
    kind: 'hmm', schema: 'p2p.bench-hmm/1', device: r.device, bytesPerRep: r.bytes, pageSize: r.pageSize, back: r.back,
    repsAsked: plan.reps, reps,
    directions: [
      direction('to-device', r.bytes, reps.map((x) => x.toDevice.sec)),
      direction('device-read', r.bytes, reps.map((x) => x.deviceRead.sec)),
      direction('to-system', r.bytes, reps.map((x) => x.toSystem.sec)),
    ],
    verified, mismatch: firstMismatch(reps),
    pages: { perRep, minOnDevice, maxLeftOnDevice },
    error: r.error ?? null, errorCode: r.errorCode ?? null, failedStep: r.failedStep ?? null,
    cancelled: r.cancelled, ok,
  };
}

/** What went wrong, in one line each (empty when the report is ok). */
export function hmmFailures(r: HmmReport): string[] {
  const out: string[] = [];
  if (r.error) out.push(`${r.failedStep ?? 'run'}: ${r.error}`);
  const hex = (x: number | null) => (x === null ? '?' : '0x' + x.toString(16).padStart(2, '0'));
  if (r.mismatch) {
    const where = r.mismatch.side === 'device' ? "the device's view (HMM_DMIRROR_READ)" : 'the CPU after the way back';
    out.push(`rep ${r.mismatch.rep + 1}: bytes differ in ${where} at offset ${r.mismatch.offset} (expected ${hex(r.mismatch.expected)}, got ${hex(r.mismatch.actual)})`);
  }
  const p = r.pages;
  if (p.minOnDevice !== null && p.minOnDevice !== p.perRep) out.push(`only ${p.minOnDevice} of ${p.perRep} pages reached the device in a rep (HMM_DMIRROR_SNAPSHOT)`);
  if (p.maxLeftOnDevice) out.push(`${p.maxLeftOnDevice} of ${p.perRep} pages were still on the device after the way back`);
  if (!r.error && !r.cancelled && r.reps.length < r.repsAsked && !r.mismatch) out.push(`${r.reps.length} of ${r.repsAsked} reps completed`);
  return out;
}

/** Run the plan; setup failures (open, mmap) reject with one line. */
export async function runHmmPlan(plan: HmmPlan, start: StartHmmBenchFn, signal?: AbortSignal): Promise<HmmReport> {
  return hmmReport(plan, await awaitHandle(start({ device: plan.device, bytes: plan.bytes, reps: plan.reps, back: plan.back, seed: plan.seed }), signal));
}
