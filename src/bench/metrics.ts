// What a run means: throughput in decimal and binary units, IOPS, CPU per GB moved, latency in µs,
// and the share of the path's link ceiling. Pure arithmetic over the native result.
import type { NativeBenchResult } from '../native/addon.js';

export type PathKind = 'direct' | 'bounce';

export interface RunSummary {
  path: PathKind;
  /** Destination label ("host", "p2pmem 0000:03:00.0"...). */
  dest: string;
  engine: string;
  engineNote: string | null;
  registeredBuffers: boolean;
  /** Why buffers could not be registered (p2pmem and GPU pages are often refused). */
  registerNote: string | null;
  blockSize: number;
  queueDepth: number;
  workers: number;
  threads: number;
  bytes: number;
  ios: number;
  elapsedSec: number;
  gbPerSec: number;
  gibPerSec: number;
  iops: number;
  latencyUs: { p50: number; p99: number; p999: number; mean: number; max: number };
  /** CPU seconds per GB (1e9 bytes) moved, whole process. */
  cpuPerGB: { user: number; sys: number; total: number };
  /** Seconds of CPU copy (bounce staging) per GB moved. */
  copySecPerGB: number;
  /** Link ceiling used (GB/s) and the share of it reached, when a ceiling is known. */
  ceilingGBps: number | null;
  ceilingShare: number | null;
  verify: NativeBenchResult['verify'];
  error: string | null;
  errorCode: string | null;
  cancelled: boolean;
  /** Rounds merged into this summary (A/B runs). */
  rounds: number;
  /** Seconds per GiB moved: set for device-DAX and udmabuf destinations only (elsewhere the output is unchanged). */
  secPerGiB?: number;
}

export interface SummaryContext {
  path: PathKind;
  dest: string;
  blockSize: number;
  queueDepth: number;
  workers: number;
  /** The path's link ceiling in GB/s (from --ceiling or the pair analysis), null when unknown. */
  linkCeilingGBps: number | null;
}

function perGB(sec: number, bytes: number): number {
  return bytes > 0 ? sec / (bytes / 1e9) : 0;
}

/** Summarise one or more native results of the same configuration (A/B rounds are merged). */
export function summarize(results: NativeBenchResult[], ctx: SummaryContext): RunSummary {
  if (!results.length) throw new RangeError('summarize: no results');
  const sum = (f: (r: NativeBenchResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const bytes = sum((r) => r.bytes);
  const ios = sum((r) => r.ios);
  const elapsed = sum((r) => r.elapsedSec);
  const user = sum((r) => r.cpu.userSec);
  const sys = sum((r) => r.cpu.sysSec);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const lat = (f: (r: NativeBenchResult) => number) => median(results.map(f)) / 1000;
  const gbps = elapsed > 0 ? bytes / 1e9 / elapsed : 0;
  const first = results[0];
  const failed = results.find((r) => r.error);
  const badVerify = results.find((r) => r.verify.checked && !r.verify.ok);
  const verify = badVerify?.verify ?? {
    checked: results.some((r) => r.verify.checked),
    ok: results.every((r) => !r.verify.checked || r.verify.ok) && results.some((r) => r.verify.checked),
    slotsCompared: sum((r) => r.verify.slotsCompared),
    bytesCompared: sum((r) => r.verify.bytesCompared),
    ...(results.find((r) => r.verify.error) ? { error: results.find((r) => r.verify.error)!.verify.error } : {}),
  };
  return {
    path: ctx.path,
    dest: ctx.dest,
    engine: first.engine,
    engineNote: first.engineNote ?? null,
    registeredBuffers: first.registeredBuffers,
    registerNote: first.registerNote ?? null,
    blockSize: ctx.blockSize,
    queueDepth: ctx.queueDepth,
    workers: ctx.workers,
    threads: first.threads,
    bytes,
    ios,
    elapsedSec: elapsed,
    gbPerSec: gbps,
    gibPerSec: elapsed > 0 ? bytes / 2 ** 30 / elapsed : 0,
    iops: elapsed > 0 ? ios / elapsed : 0,
    latencyUs: {
      p50: lat((r) => r.latencyNs.p50),
      p99: lat((r) => r.latencyNs.p99),
      p999: lat((r) => r.latencyNs.p999),
      mean: lat((r) => r.latencyNs.mean),
      max: Math.max(...results.map((r) => r.latencyNs.max)) / 1000,
    },
    cpuPerGB: { user: perGB(user, bytes), sys: perGB(sys, bytes), total: perGB(user + sys, bytes) },
    copySecPerGB: perGB(sum((r) => r.copySec), bytes),
    ceilingGBps: ctx.linkCeilingGBps,
    ceilingShare: ctx.linkCeilingGBps && ctx.linkCeilingGBps > 0 ? gbps / ctx.linkCeilingGBps : null,
    verify,
    error: failed?.error ?? null,
    errorCode: failed?.errorCode ?? null,
    cancelled: results.some((r) => r.cancelled),
    rounds: results.length,
  };
}

/** A run failed when an I/O errored or the bytes that landed differ from the source — whatever the calls returned. */
export function runFailed(s: RunSummary): boolean {
  return s.error !== null || (s.verify.checked && !s.verify.ok) || (!s.verify.checked && s.verify.error !== undefined);
}

/** What the direct path saves compared with bounce (positive = direct is better). */
export interface Savings {
  throughputRatio: number | null;
  cpuSecPerGBSaved: number;
  cpuShareSaved: number | null;
  p99LatencyRatio: number | null;
}

export function savings(direct: RunSummary, bounce: RunSummary): Savings {
  return {
    throughputRatio: bounce.gbPerSec > 0 ? direct.gbPerSec / bounce.gbPerSec : null,
    cpuSecPerGBSaved: bounce.cpuPerGB.total - direct.cpuPerGB.total,
    cpuShareSaved: bounce.cpuPerGB.total > 0 ? 1 - direct.cpuPerGB.total / bounce.cpuPerGB.total : null,
    p99LatencyRatio: bounce.latencyUs.p99 > 0 ? direct.latencyUs.p99 / bounce.latencyUs.p99 : null,
  };
}

/** "4k", "1M", "1MiB", "512", "2g" -> bytes (binary multiples). Throws RangeError on garbage. */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) throw new RangeError(`bad size ${text}`);
    return text;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`bad size '${text}' (use e.g. 4k, 1M, 2G)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const v = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(v)) throw new RangeError(`size '${text}' is too large`);
  return v;
}

/** 1048576 -> "1M", 4096 -> "4K", 1536 -> "1536". */
export function formatSize(bytes: number): string {
  for (const [u, m] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= m && bytes % m === 0) return `${bytes / m}${u}`;
  }
  return String(bytes);
}

/** Seconds to move one GiB at this run's rate (0 when nothing moved). */
export function secondsPerGiB(s: Pick<RunSummary, 'bytes' | 'elapsedSec'>): number {
  return s.bytes > 0 ? s.elapsedSec / (s.bytes / 2 ** 30) : 0;
}
