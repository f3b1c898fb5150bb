// `p2p bench SOURCE DEST`: resolve source and destination, check the write guard, decide direct/bounce,
// run (A/B interleaved or sweep), print a table or JSON. Returns the exit code: 0 ok, 1 the bench failed
// (I/O error or the bytes that landed differ from the source), 2 user error (thrown as UserError).
import { existsSync, readdirSync, openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { CommandIO, SourceOptions } from '../commands/shared.js';
import type { CuFileProbe, NativeDestination, SourceStat } from '../native/addon.js';
import type { Device, Fabric } from '../model/types.js';
import { benchJson, progressLine, renderResults, renderSweep } from './format.js';
import { formatSize, parseSize, runFailed, summarize, type PathKind, type RunSummary } from './metrics.js';
import {
  bdfFromSysfsPath, planDestination, resolveSourceSpec, SourceError, sourceFromDevice, type DestinationPlan, type DeviceFacts,
} from './resolve.js';
import { runInterleaved, runSweep, type EngineSettings, type RunHooks, type StartBenchFn } from './run.js';
import { blockNameFor, decideWrite, gatherBlockFacts, type WriteTargetFacts } from './write-guard.js';

export interface BenchOptions extends SourceOptions {
  source: string;
  dest?: string;
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
}

/** What runBench needs from the outside world; tests replace parts. */
export interface BenchDeps {
  startBench: StartBenchFn;
  statSource(path: string): SourceStat;
  probeCuFile(): CuFileProbe;
  loadFabric(opts: SourceOptions): Promise<Fabric>;
  resolveDevice(fabric: Fabric, name: string): Device;
  /**
   * The P2P pair analysis (client = the source's DMA function, provider = destination). Null = unknown.
   * Wired to model/p2p computeP2pdma by default; replaceable.
   */
  pairVerdict(fabric: Fabric, client: Device, provider: Device): Promise<DestinationPlanPairVerdict | null>;
  /** Link ceiling of the path in GB/s when --ceiling is not given (null = unknown). */
  linkCeilingGBps(fabric: Fabric, client: Device | null, provider: Device | null): Promise<number | null>;
  root: string;
  env: NodeJS.ProcessEnv;
}
type DestinationPlanPairVerdict = { mapType: string | null; verdict: string; reason: string | null };

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

async function defaultDeps(): Promise<BenchDeps> {
  const addon = await import('../native/addon.js');
  return {
    startBench: addon.startBench,
    statSource: addon.statSource,
    probeCuFile: () => addon.probeCuFile(),
    loadFabric: async (o) => (await import('../access/load.js')).loadFabric(o),
    resolveDevice: (f, n) => resolveDeviceLazy(f, n),
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
let lookupMod: typeof import('../model/lookup.js') | null = null;
function resolveDeviceLazy(f: Fabric, n: string): Device {
  if (!lookupMod) throw new Error('lookup module not loaded');
  return lookupMod.resolveDevice(f, n);
}

function toFacts(d: Device): DeviceFacts {
  return { bdf: d.bdf, alias: d.alias, names: d.names, kind: d.kind, vendorId: d.vendorId, p2pmem: d.p2pmem };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readHead(path: string, bytes: number): Uint8Array | null {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const buf = new Uint8Array(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function int(name: string, v: number | undefined, dflt: number, lo: number, hi: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new UserError(`--${name} must be an integer from ${lo} to ${hi}`);
  return x;
}
function size(name: string, v: string | number | undefined, dflt: number): number {
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

export async function runBench(opts: BenchOptions, io: CommandIO, overrides: Partial<BenchDeps> = {}): Promise<number> {
  const needDefaults = !overrides.startBench || !overrides.statSource || !overrides.loadFabric || !overrides.resolveDevice;
  if (needDefaults) lookupMod = await import('../model/lookup.js');
  const deps: BenchDeps = { ...(needDefaults ? await defaultDeps() : ({} as BenchDeps)), ...overrides } as BenchDeps;
  // The bench reads and writes this machine's devices: a --dump or --root fabric would label it wrongly.
  (await import('../access/source.js')).openSource(opts).requireLive('p2p bench');
  const env = deps.env ?? process.env;
  const root = opts.root ?? deps.root ?? '/';

  // ---- settings
  const mode = opts.mode ?? 'both';
  if (!['direct', 'bounce', 'both'].includes(mode)) throw new UserError(`--mode must be direct, bounce or both`);
  const bs = size('bs', opts.bs, 1 << 20);
  if (bs < 512 || bs % 512 !== 0 || bs > 1 << 30) throw new UserError('--bs must be a multiple of 512 bytes, at most 1G');
  const qd = int('qd', opts.qd, 32, 1, 4096);
  const workers = int('workers', opts.workers, 1, 1, 256);
  const rounds = int('rounds', opts.rounds, mode === 'both' ? 3 : 1, 1, 100);
  const engineEnv = env.P2P_BENCH_ENGINE;
  const engine = opts.engine ?? (engineEnv === 'psync' || engineEnv === 'io_uring' || engineEnv === 'auto' ? engineEnv : 'auto');
  if (!['auto', 'io_uring', 'psync'].includes(engine)) throw new UserError('--engine must be auto, io_uring or psync');
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

  // ---- source
  let fabric: Fabric | null = null;
  const getFabric = async () => (fabric ??= await deps.loadFabric(opts));
  let sourcePath: string;
  try {
    const spec = resolveSourceSpec(opts.source, { root, devDir: '/dev', list: listDir, exists: existsSync });
    sourcePath = spec.kind === 'path' ? spec.path : sourceFromDevice(toFacts(deps.resolveDevice(await getFabric(), opts.source)), { root, devDir: '/dev', list: listDir });
  } catch (e) {
    if (e instanceof SourceError) throw new UserError(e.message);
    throw e;
  }
  let st: SourceStat;
  try {
    st = deps.statSource(sourcePath);
  } catch (e) {
    throw new UserError(`cannot open source ${sourcePath}: ${(e as Error).message}`);
  }
  if (st.kind === 'other') throw new UserError(`${sourcePath} is not a regular file or block device`);
  if (!st.directOk) throw new UserError(`${sourcePath} does not support O_DIRECT (${st.directError ?? 'open failed'}); tmpfs cannot be benchmarked — use a file on a disk filesystem`);
  const rangeOffset = size('offset', opts.offset, 0);
  if (rangeOffset % 4096 !== 0) throw new UserError('--offset must be a multiple of 4096');
  if (rangeOffset >= st.size) throw new UserError(`--offset ${rangeOffset} is beyond the end of ${sourcePath} (${st.size} bytes)`);
  const rangeRaw = Math.min(size('size', opts.size, st.size - rangeOffset), st.size - rangeOffset);
  const maxBs = opts.sweep ? 0 : bs;
  if (rangeRaw < Math.max(bs, maxBs)) throw new UserError(`source range (${rangeRaw} bytes) is smaller than one block (${formatSize(bs)})`);
  const rangeLength = Math.floor(rangeRaw / bs) * bs;

  // ---- destination
  const destSpec = opts.dest ?? 'host';
  let plan: DestinationPlan;
  let ceiling: number | null = opts.ceiling ?? null;
  if (destSpec === 'host') {
    plan = planDestination({ spec: 'host', device: null, root, kernelRelease: null, kernelP2pdma: null, allocateExists: false, cufile: null, pairVerdict: null });
  } else {
    const f = await getFabric();
    const dev = deps.resolveDevice(f, destSpec);
    const facts = toFacts(dev);
    const isNvidia = dev.vendorId?.toLowerCase() === '10de';
    const cufile = isNvidia && !(dev.p2pmem && dev.p2pmem.published !== null) ? deps.probeCuFile() : null;
    // The DMA client: the PCI function behind the source's block device (or the file's filesystem device).
    let client: Device | null = null;
    try {
      const target = realpathSync(join(root, 'sys/dev/block', `${st.major}:${st.minor}`));
      const bdf = bdfFromSysfsPath(target);
      client = bdf ? f.byBdf.get(bdf) ?? null : null;
    } catch {
      client = null;
    }
    let pair: DestinationPlanPairVerdict | null = null;
    if (client) {
      try {
        pair = await deps.pairVerdict(f, client, dev);
      } catch {
        pair = null;
      }
    }
    const cfg = f.host.kernelConfig?.get('CONFIG_PCI_P2PDMA');
    plan = planDestination({
      spec: destSpec, device: facts, root, kernelRelease: f.host.kernelRelease ?? release(),
      kernelP2pdma: f.host.kernelConfig ? cfg === 'y' : null,
      allocateExists: existsSync(join(root, 'sys/bus/pci/devices', dev.bdf, 'p2pmem/allocate')),
      cufile, pairVerdict: pair,
    });
    if (ceiling === null) {
      try {
        ceiling = await deps.linkCeilingGBps(f, client, dev);
      } catch {
        ceiling = null;
      }
    }
  }

  // ---- which paths
  let directSkipped: string | null = null;
  const paths: { path: PathKind; dest: NativeDestination }[] = [];
  if (mode !== 'bounce') {
    if (plan.direct) paths.push({ path: 'direct', dest: plan.direct });
    else if (mode === 'direct') {
      throw new UserError(`direct path to ${destSpec} impossible: ${plan.directReason}. Measure the bounce path instead: p2p bench ${opts.source} ${destSpec} --mode bounce`);
    } else directSkipped = plan.directReason;
  }
  if (mode !== 'direct') paths.push({ path: 'bounce', dest: plan.bounce });
  if (directSkipped && !opts.json) io.err(`direct path impossible: ${directSkipped} — running the bounce path only\n`);
  if (plan.bounceNote && paths.some((p) => p.path === 'bounce') && !opts.json) io.err(`note: ${plan.bounceNote}\n`);

  // p2pmem capacity
  const slotsBytes = bs * qd * workers; // one destination block per request in flight, every engine
  if (plan.p2pmemAvailable !== null && paths.some((p) => p.dest.kind === 'p2pmem') && slotsBytes > plan.p2pmemAvailable) {
    throw new UserError(`${plan.label} has ${plan.p2pmemAvailable} bytes of p2pmem available; bs x qd x workers needs ${slotsBytes}: lower --bs, --qd or --workers`);
  }

  // ---- write guard
  if (write) {
    let facts: WriteTargetFacts;
    if (st.kind === 'block') {
      const name = blockNameFor(st.major, st.minor, root) ?? sourcePath.split('/').pop()!;
      facts = gatherBlockFacts(sourcePath, name, { root, readHead });
    } else {
      facts = { path: sourcePath, kind: 'file', blockName: null, isPartition: false, partitions: [], partitionTableSignature: null, mounts: [], holders: [], swap: false };
    }
    const d = decideWrite(facts, { write, force: opts.force === true, offset: rangeOffset, length: rangeLength });
    if (!d.allowed) throw new UserError(d.reason ?? 'write refused');
    if (d.warning) io.err(`${d.warning}\n`);
  }

  const settings: EngineSettings = {
    blockSize: bs, queueDepth: qd, workers, totalBytes: total, durationMs: Math.round(durationSec * 1000),
    rangeOffset, rangeLength, pattern, engine, registerBuffers: opts.register !== false, oDirect: true,
    verifySlots, seed: opts.seed ?? (write ? Date.now() % 2 ** 31 : 1),
    ...(corrupt !== undefined && Number.isInteger(corrupt) && corrupt >= 0 ? { testCorruptByte: corrupt } : {}),
  };
  const target = { path: sourcePath, write };

  // ---- progress and cancel
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const live = io.isTTY && !opts.json;
  const perRunTarget = (share: number) => ({ totalBytes: total / share, durationSec: durationSec / share });
  let lastLen = 0;
  const hooks: RunHooks = {
    start: deps.startBench,
    signal: ac.signal,
    onProgress: live
      ? (p) => {
          const label = opts.sweep ? `${p.path}` : `${p.path} round ${p.round + 1}/${rounds}`;
          const line = progressLine({ bytes: p.bytes, elapsedSec: p.elapsedSec, label }, perRunTarget(opts.sweep ? 1 : rounds), io.columns);
          io.err('\r' + line.padEnd(lastLen));
          lastLen = line.length;
        }
      : undefined,
  };
  const clearLine = () => {
    if (live && lastLen) io.err('\r' + ' '.repeat(lastLen) + '\r');
    lastLen = 0;
  };

  try {
    const sourceInfo = { spec: opts.source, path: sourcePath, kind: st.kind, size: st.size };
    if (opts.sweep) {
      const bss = opts.sweepBs ? list('sweep-bs', opts.sweepBs, parseSize) : [4096, 16384, 65536, 262144, 1048576];
      const qds = opts.sweepQd ? list('sweep-qd', opts.sweepQd, (s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1 || n > 4096) throw new Error('bad');
        return n;
      }) : [1, 4, 16, 32, 64];
      for (const b of bss) if (b % 512 !== 0) throw new UserError(`--sweep-bs: ${b} is not a multiple of 512`);
      const main = paths[0];
      const res = await runSweep(main.path, main.dest, bss, qds, target, { ...settings, rangeLength: rangeRaw }, hooks);
      clearLine();
      const points = res.map((r) => ({
        blockSize: r.blockSize, queueDepth: r.queueDepth,
        summary: summarize([r.result], { path: main.path, dest: plan.label, blockSize: r.blockSize, queueDepth: r.queueDepth, workers, linkCeilingGBps: ceiling }),
      }));
      const doc = benchJson({ source: sourceInfo, destination: { spec: destSpec, label: plan.label }, mode: main.path, write, directSkipped, runs: [], sweep: points });
      if (opts.json) io.out(JSON.stringify(doc, null, 2) + '\n');
      else io.out(`p2p bench --sweep: ${sourcePath} -> ${plan.label} (${main.path}, ${pattern}, ${engine})\n` + renderSweep(points, { color: io.color, columns: io.columns }));
      const badPoint = points.find((p) => runFailed(p.summary));
      if (badPoint && !opts.json) io.err(`bench FAILED at bs ${formatSize(badPoint.blockSize)} QD${badPoint.queueDepth}: ${failureText(badPoint.summary)}\n`);
      return doc.ok ? 0 : 1;
    }

    const results = await runInterleaved(paths, rounds, target, settings, hooks);
    clearLine();
    // Say which switch refused io_uring, when the kernel has one set.
    const disabled = (() => {
      try {
        return readFileSync(join(root, 'proc/sys/kernel/io_uring_disabled'), 'utf8').trim();
      } catch {
        return null;
      }
    })();
    for (const list of results.values()) {
      for (const r of list) {
        if (r.engineNote?.startsWith('io_uring unavailable') && disabled && disabled !== '0') {
          r.engineNote += ` (sysctl kernel.io_uring_disabled = ${disabled})`;
        }
      }
    }
    const runs: RunSummary[] = paths
      .filter((p) => (results.get(p.path) ?? []).length > 0)
      .map((p) => summarize(results.get(p.path)!, {
        path: p.path,
        dest: p.dest.kind === 'host' && destSpec !== 'host' ? 'host (staging only)' : plan.label,
        blockSize: bs, queueDepth: qd, workers, linkCeilingGBps: ceiling,
      }));
    const doc = benchJson({ source: sourceInfo, destination: { spec: destSpec, label: plan.label }, mode, write, directSkipped, runs, sweep: null });
    if (opts.json) {
      io.out(JSON.stringify(doc, null, 2) + '\n');
    } else {
      io.out(`p2p bench: ${sourcePath} ${write ? '<-' : '->'} ${plan.label}  (${pattern}, ${write ? 'WRITE' : 'read-only'})\n`);
      io.out(renderResults(runs, { color: io.color, columns: io.columns }));
      for (const r of runs.filter(runFailed)) io.err(`bench FAILED (${r.path}): ${failureText(r)}\n`);
      if (runs.some((r) => r.cancelled)) io.err('bench cancelled\n');
    }
    if (runs.some((r) => r.cancelled)) return 130;
    return doc.ok ? 0 : 1;
  } catch (e) {
    clearLine();
    const err = e as Error & { code?: string };
    if (err instanceof UserError) throw err;
    // setup failures from the engine (open, mmap of p2pmem, ring setup, cuFile)
    throw new UserError(`bench could not start: ${err.message}`);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function failureText(s: RunSummary): string {
  if (s.verify.checked && !s.verify.ok) {
    const hex = (x?: number) => (x === undefined ? '?' : '0x' + x.toString(16).padStart(2, '0'));
    return `the bytes in the destination differ from the source: first bad offset ${s.verify.firstBadOffset} (expected ${hex(s.verify.expected)}, got ${hex(s.verify.actual)})`;
  }
  if (s.error) {
    const hint = s.errorCode === 'EREMOTEIO' ? ' — the kernel refused peer-to-peer DMA for this pair (see dmesg)' : '';
    return `${s.error}${hint}`;
  }
  if (s.verify.error) return `verification could not run: ${s.verify.error}`;
  return 'unknown failure';
}
