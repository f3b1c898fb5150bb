// Step 1 of `p2p bench`: the argv checks. Turns what the user typed into checked numbers and names,
// one UserError line per bad value; nothing here touches the machine.
import { UserError } from '../errors.js';
import type { SourceOptions } from '../commands/shared.js';
import { parseSize } from './metrics.js';

export interface BenchOptions extends SourceOptions {
  /** The storage or GPU source; absent with --hmm. */
  source?: string;
  dest?: string;
  /** HMM test driver device (/dev/hmm_dmirror0): migration to device memory and back instead of a source. */
  hmm?: string;
  /** With --hmm: back by HMM_DMIRROR_MIGRATE_TO_SYS (default) or by CPU faults. */
  hmmBack?: 'migrate' | 'fault';
  mode?: 'direct' | 'bounce' | 'both';
  bs?: string | number;
  qd?: number;
  workers?: number;
  /** Source range: offset and length (default: the whole source). */
  offset?: string | number;
  size?: string | number;
  /** Stop after this many bytes per path (default: none; then --duration applies). */
  total?: string | number;
  /** Seconds per path (default 5, or 1 per sweep point). */
  duration?: number;
  pattern?: 'seq' | 'rand';
  engine?: 'auto' | 'io_uring' | 'psync';
  register?: boolean;
  verify?: boolean;
  verifySample?: number;
  rounds?: number;
  write?: boolean;
  force?: boolean;
  /** Link ceiling of the path in GB/s (from the P2P pair analysis or the user), for "share of ceiling". */
  ceiling?: number;
  sweep?: boolean;
  sweepBs?: string;
  sweepQd?: string;
  json?: boolean;
  seed?: number;
  /** libcuda to dlopen (default libcuda.so.1; env P2P_LIBCUDA). */
  libcuda?: string;
  /** libcufile to dlopen (default libcufile.so.0; env P2P_LIBCUFILE). */
  libcufile?: string;
  /** libamdhip64 to dlopen (default libamdhip64.so; env P2P_LIBHIP). */
  libhip?: string;
}

/** Options of a bench that has a source (every bench but --hmm). */
export type SourcedBenchOptions = BenchOptions & { source: string };

/** The checked settings of one bench. */
export interface BenchSettings {
  mode: 'direct' | 'bounce' | 'both';
  bs: number;
  qd: number;
  workers: number;
  rounds: number;
  engine: 'auto' | 'io_uring' | 'psync';
  pattern: 'seq' | 'rand';
  total: number;
  durationSec: number;
  ceiling: number | null;
  /** -1 all slots, 0 none, N sampled. */
  verifySlots: number;
  write: boolean;
  force: boolean;
  register: boolean;
  seed: number;
  /** Test hook (P2P_BENCH_TEST_CORRUPT): flip this destination byte before verification. */
  testCorruptByte: number | undefined;
  /** Sweep grid, null without --sweep. */
  sweep: { blockSizes: number[]; queueDepths: number[] } | null;
  libs: { cuda: string; cufile: string; hip: string };
}

export function int(name: string, v: number | undefined, dflt: number, lo: number, hi: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new UserError(`--${name} must be an integer from ${lo} to ${hi}`);
  return x;
}

export function size(name: string, v: string | number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  try {
    return parseSize(v);
  } catch (e) {
    throw new UserError(`--${name}: ${(e as Error).message}`);
  }
}

function list(name: string, v: string, parse: (s: string) => number): number[] {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    try {
      return parse(s);
    } catch {
      throw new UserError(`--${name}: bad value '${s}'`);
    }
  });
  if (!xs.length) throw new UserError(`--${name} is empty`);
  return xs;
}

function sweepGrid(opts: BenchOptions): BenchSettings['sweep'] {
  if (!opts.sweep) return null;
  const blockSizes = opts.sweepBs ? list('sweep-bs', opts.sweepBs, parseSize) : [4096, 16384, 65536, 262144, 1048576];
  const queueDepths = opts.sweepQd ? list('sweep-qd', opts.sweepQd, (s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 4096) throw new Error('bad');
    return n;
  }) : [1, 4, 16, 32, 64];
  for (const b of blockSizes) if (b % 512 !== 0) throw new UserError(`--sweep-bs: ${b} is not a multiple of 512`);
  return { blockSizes, queueDepths };
}

function engineOf(opts: BenchOptions, env: NodeJS.ProcessEnv): BenchSettings['engine'] {
  const e = env.P2P_BENCH_ENGINE;
  const engine = opts.engine ?? (e === 'psync' || e === 'io_uring' || e === 'auto' ? e : 'auto');
  if (!['auto', 'io_uring', 'psync'].includes(engine)) throw new UserError('--engine must be auto, io_uring or psync');
  return engine;
}

/** The argv checks: every bad value is one UserError line. */
export function checkSettings(opts: BenchOptions, env: NodeJS.ProcessEnv): BenchSettings {
  const mode = opts.mode ?? 'both';
  if (!['direct', 'bounce', 'both'].includes(mode)) throw new UserError(`--mode must be direct, bounce or both`);
  const bs = size('bs', opts.bs, 1 << 20);
  if (bs < 512 || bs % 512 !== 0 || bs > 1 << 30) throw new UserError('--bs must be a multiple of 512 bytes, at most 1G');
  const qd = int('qd', opts.qd, 32, 1, 4096);
  const workers = int('workers', opts.workers, 1, 1, 256);
  const rounds = int('rounds', opts.rounds, mode === 'both' ? 3 : 1, 1, 100);
  const engine = engineOf(opts, env);
  const pattern = opts.pattern ?? 'seq';
  if (pattern !== 'seq' && pattern !== 'rand') throw new UserError('--pattern must be seq or rand');
  const total = size('total', opts.total, 0);
  const durationSec = opts.duration ?? (total > 0 ? 0 : opts.sweep ? 1 : 5);
  if (!(durationSec >= 0) || durationSec > 86400) throw new UserError('--duration must be between 0 and 86400 seconds');
  if (total === 0 && durationSec === 0) throw new UserError('give --total or --duration');
  if (opts.ceiling !== undefined && !(opts.ceiling > 0)) throw new UserError('--ceiling must be a positive number of GB/s');
  let verifySlots = opts.verify === false ? 0 : -1;
  if (opts.verifySample !== undefined) verifySlots = int('verify-sample', opts.verifySample, 1, 1, 1 << 20);
  const write = opts.write === true;
  const corrupt = env.P2P_BENCH_TEST_CORRUPT !== undefined ? Number(env.P2P_BENCH_TEST_CORRUPT) : undefined;
  return {
    mode, bs, qd, workers, rounds, engine, pattern, total, durationSec, ceiling: opts.ceiling ?? null, verifySlots,
    write, force: opts.force === true, register: opts.register !== false,
    seed: opts.seed ?? (write ? Date.now() % 2 ** 31 : 1),
    testCorruptByte: corrupt !== undefined && Number.isInteger(corrupt) && corrupt >= 0 ? corrupt : undefined,
    sweep: sweepGrid(opts),
    libs: {
      cuda: opts.libcuda ?? env.P2P_LIBCUDA ?? 'libcuda.so.1',
      cufile: opts.libcufile ?? env.P2P_LIBCUFILE ?? 'libcufile.so.0',
      hip: opts.libhip ?? env.P2P_LIBHIP ?? 'libamdhip64.so',
    },
  };
}
