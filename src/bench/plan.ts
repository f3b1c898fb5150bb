// Step 2 of `p2p bench`: planning. Resolves the source and the destination on this machine, refuses
// offline sources, decides direct/bounce (or a GPU copy bench when both ends are memories), applies the
// p2pmem capacity and write guards, and returns a typed BenchPlan that the run step executes (with --hmm,
// an HMM migration plan from hmm.ts instead).
import { existsSync, readdirSync, openSync, readSync, closeSync, realpathSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { openSource, type SourceOptions } from '../access/source.js';
import type { CuFileProbe, GpuProbe, GpuRuntimeName, NativeDestination, SourceStat } from '../native/addon.js';
import type { Device, Fabric } from '../model/types.js';
import { formatSize, type PathKind } from './metrics.js';
import {
  bdfFromSysfsPath, isMemoryDestination, planDestination, planMemoryDestination, resolveSourceSpec, SourceError, sourceFromDevice,
  type DestinationPlan, type DeviceFacts,
} from './resolve.js';
import type { EngineSettings, StartBenchFn, Target } from './run.js';
import { checkSettings, size, type BenchOptions, type BenchSettings, type SourcedBenchOptions } from './settings.js';
import { planHmm, type HmmPlan, type StartHmmBenchFn } from './hmm.js';
import { blockNameFor, decideWrite, gatherBlockFacts, type WriteTargetFacts } from './write-guard.js';
import type { StartGpuBenchFn } from './gpu-run.js';
import { labelWithBdf, shortLabel } from '../model/aliases.js';

export type PairVerdictFacts = { mapType: string | null; verdict: string; reason: string | null };

/** What planning and running need from the outside world; tests replace parts. */
export interface BenchDeps {
  startBench: StartBenchFn;
  statSource(path: string): SourceStat;
  probeCuFile(libs?: { cufileLib?: string; cudaLib?: string }): CuFileProbe;
  /** CUDA or HIP devices and their peer access (GPU copy benches). */
  probeGpus(runtime: GpuRuntimeName, lib: string): GpuProbe;
  startGpuBench: StartGpuBenchFn;
  /** HMM migrations through the kernel's test driver (--hmm). */
  startHmmBench: StartHmmBenchFn;
  loadFabric(opts: SourceOptions): Promise<Fabric>;
  resolveDevice(fabric: Fabric, name: string): Device;
  /** The P2P pair analysis (client = the source's DMA function, provider = destination). Null = unknown. */
  pairVerdict(fabric: Fabric, client: Device, provider: Device): Promise<PairVerdictFacts | null>;
  /** Link ceiling of the path in GB/s when --ceiling is not given (null = unknown). */
  linkCeilingGBps(fabric: Fabric, client: Device | null, provider: Device | null): Promise<number | null>;
  root: string;
  env: NodeJS.ProcessEnv;
}

export interface SourceInfo {
  spec: string;
  path: string;
  kind: string;
  size: number;
}

/** A storage bench: file or block device -> memory (or back with --write). */
export interface StoragePlan {
  kind: 'storage';
  settings: BenchSettings;
  source: SourceInfo;
  destination: { spec: string; label: string };
  dest: DestinationPlan;
  paths: { path: PathKind; dest: NativeDestination }[];
  /** Why the direct path was left out (mode both), null when it runs. */
  directSkipped: string | null;
  /** One line each for stderr before a text run (skipped path, bounce note). */
  notes: string[];
  /** Lines for stderr before any run, JSON too (the write warning). */
  warnings: string[];
  ceiling: number | null;
  target: Target;
  engine: EngineSettings;
}

/** One end of a GPU copy bench: host memory or a GPU by its runtime ordinal. */
export interface GpuEnd {
  spec: string;
  label: string;
  bdf: string | null;
  /** Runtime ordinal, -1 for host memory. */
  ordinal: number;
}

/** A memory-to-memory bench: host <-> GPU copies, or GPU -> GPU peer access against a copy staged through host. */
export interface GpuPlan {
  kind: 'gpu';
  settings: BenchSettings;
  runtime: GpuRuntimeName;
  lib: string;
  what: 'host-gpu' | 'gpu-gpu';
  a: GpuEnd;
  b: GpuEnd;
  /** Bytes per copy (--size, default 64 MiB). */
  bytes: number;
  notes: string[];
  warnings: string[];
  /** The P2P verdict for the pair (GPU -> GPU), null when unknown. */
  pair: PairVerdictFacts | null;
}

export type BenchPlan = StoragePlan | GpuPlan | HmmPlan;

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

/** GPU runtime of a device: NVIDIA -> CUDA, AMD display/accelerator -> HIP, else null. */
export function gpuRuntimeOf(d: Device): GpuRuntimeName | null {
  const v = d.vendorId?.toLowerCase();
  if (v === '10de' && (d.kind === 'gpu' || d.kind === 'accelerator')) return 'cuda';
  if (v === '1002' && (d.kind === 'gpu' || d.kind === 'accelerator')) return 'hip';
  return null;
}

/** Ties the fabric, the fabric-loading deps and one-shot memoisation together for the planning steps. */
class PlanContext {
  private fabric: Fabric | null = null;
  constructor(readonly opts: SourcedBenchOptions, readonly deps: BenchDeps, readonly settings: BenchSettings, readonly root: string) {}
  async getFabric(): Promise<Fabric> {
    return (this.fabric ??= await this.deps.loadFabric(this.opts));
  }
  async device(name: string): Promise<Device> {
    return this.deps.resolveDevice(await this.getFabric(), name);
  }
}

// ---- storage source ----

async function resolveSourcePath(ctx: PlanContext, dev: Device | null): Promise<string> {
  const { opts, root } = ctx;
  try {
    if (dev) return sourceFromDevice(toFacts(dev), { root, devDir: '/dev', list: listDir });
    const spec = resolveSourceSpec(opts.source, { root, devDir: '/dev', list: listDir, exists: existsSync });
    return spec.kind === 'path' ? spec.path : sourceFromDevice(toFacts(await ctx.device(opts.source)), { root, devDir: '/dev', list: listDir });
  } catch (e) {
    if (e instanceof SourceError) throw new UserError(e.message);
    throw e;
  }
}

function statChecked(deps: BenchDeps, sourcePath: string): SourceStat {
  let st: SourceStat;
  try {
    st = deps.statSource(sourcePath);
  } catch (e) {
    throw new UserError(`cannot open source ${sourcePath}: ${(e as Error).message}`);
  }
  if (st.kind === 'other') throw new UserError(`${sourcePath} is not a regular file or block device`);
  if (!st.directOk) throw new UserError(`${sourcePath} does not support O_DIRECT (${st.directError ?? 'open failed'}); tmpfs cannot be benchmarked — use a file on a disk filesystem`);
  return st;
}

function sourceRange(opts: SourcedBenchOptions, s: BenchSettings, st: SourceStat, sourcePath: string): { offset: number; raw: number; length: number } {
  const offset = size('offset', opts.offset, 0);
  if (offset % 4096 !== 0) throw new UserError('--offset must be a multiple of 4096');
  if (offset >= st.size) throw new UserError(`--offset ${offset} is beyond the end of ${sourcePath} (${st.size} bytes)`);
  const raw = Math.min(size('size', opts.size, st.size - offset), st.size - offset);
  if (raw < s.bs) throw new UserError(`source range (${raw} bytes) is smaller than one block (${formatSize(s.bs)})`);
  return { offset, raw, length: Math.floor(raw / s.bs) * s.bs };
}

// ---- storage destination ----

/** The PCI function doing the DMA: the one behind the source's block device (or the file's filesystem device). */
function dmaClient(root: string, st: SourceStat, f: Fabric): Device | null {
  try {
    const bdf = bdfFromSysfsPath(realpathSync(join(root, 'sys/dev/block', `${st.major}:${st.minor}`)));
    return bdf ? f.byBdf.get(bdf) ?? null : null;
  } catch {
    return null;
  }
}

async function planDeviceDestination(ctx: PlanContext, st: SourceStat, destSpec: string): Promise<{ plan: DestinationPlan; ceiling: number | null }> {
  const { deps, root, settings } = ctx;
  const f = await ctx.getFabric();
  const dev = deps.resolveDevice(f, destSpec);
  const isNvidia = dev.vendorId?.toLowerCase() === '10de';
  const cufile = isNvidia && !(dev.p2pmem && dev.p2pmem.published !== null)
    ? deps.probeCuFile({ cufileLib: settings.libs.cufile, cudaLib: settings.libs.cuda }) : null;
  const client = dmaClient(root, st, f);
  const pair = client ? await deps.pairVerdict(f, client, dev).catch(() => null) : null;
  const cfg = f.host.kernelConfig?.get('CONFIG_PCI_P2PDMA');
  const plan = planDestination({
    spec: destSpec, device: toFacts(dev), root, kernelRelease: f.host.kernelRelease ?? release(),
    kernelP2pdma: f.host.kernelConfig ? cfg === 'y' : null,
    allocateExists: existsSync(join(root, 'sys/bus/pci/devices', dev.bdf, 'p2pmem/allocate')),
    cufile, pairVerdict: pair,
  });
  const withLibs = (d: NativeDestination): NativeDestination => (d.kind === 'cufile' ? { ...d, cudaLib: settings.libs.cuda, cufileLib: settings.libs.cufile } : d);
  plan.bounce = withLibs(plan.bounce);
  if (plan.direct) plan.direct = withLibs(plan.direct);
  const ceiling = settings.ceiling ?? await deps.linkCeilingGBps(f, client, dev).catch(() => null);
  return { plan, ceiling };
}

/** A device-DAX node or udmabuf: memory the engine maps itself, no fabric device behind the name. */
function memoryDestination(ctx: PlanContext, destSpec: string): DestinationPlan {
  try {
    return planMemoryDestination(destSpec, ctx.root, existsSync);
  } catch (e) {
    if (e instanceof SourceError) throw new UserError(e.message);
    throw e;
  }
}

function choosePaths(ctx: PlanContext, plan: DestinationPlan, destSpec: string): { paths: StoragePlan['paths']; directSkipped: string | null; notes: string[] } {
  const { mode } = ctx.settings;
  const paths: StoragePlan['paths'] = [];
  const notes: string[] = [];
  let directSkipped: string | null = null;
  if (mode !== 'bounce') {
    if (plan.direct) paths.push({ path: 'direct', dest: plan.direct });
    else if (mode === 'direct') {
      throw new UserError(`direct path to ${destSpec} impossible: ${plan.directReason}. Measure the bounce path instead: p2p bench ${ctx.opts.source} ${destSpec} --mode bounce`);
    } else directSkipped = plan.directReason;
  }
  if (mode !== 'direct') paths.push({ path: 'bounce', dest: plan.bounce });
  if (directSkipped) notes.push(`direct path impossible: ${directSkipped} — running the bounce path only`);
  if (plan.bounceNote && paths.some((p) => p.path === 'bounce')) notes.push(`note: ${plan.bounceNote}`);
  return { paths, directSkipped, notes };
}

function checkP2pmemCapacity(s: BenchSettings, plan: DestinationPlan, paths: StoragePlan['paths']): void {
  const slotsBytes = s.bs * s.qd * s.workers; // one destination block per request in flight, every engine
  if (plan.p2pmemAvailable !== null && paths.some((p) => p.dest.kind === 'p2pmem') && slotsBytes > plan.p2pmemAvailable) {
    throw new UserError(`${plan.label} has ${plan.p2pmemAvailable} bytes of p2pmem available; bs x qd x workers needs ${slotsBytes}: lower --bs, --qd or --workers`);
  }
}

/** --write: refuse what would destroy data the user did not point at; returns a warning line or null. */
function writeGuard(ctx: PlanContext, st: SourceStat, sourcePath: string, range: { offset: number; length: number }): string | null {
  const { settings: s, root } = ctx;
  if (!s.write) return null;
  let facts: WriteTargetFacts;
  if (st.kind === 'block') {
    const name = blockNameFor(st.major, st.minor, root) ?? sourcePath.split('/').pop()!;
    facts = gatherBlockFacts(sourcePath, name, { root, readHead });
  } else {
    facts = { path: sourcePath, kind: 'file', blockName: null, isPartition: false, partitions: [], partitionTableSignature: null, mounts: [], holders: [], swap: false };
  }
  const d = decideWrite(facts, { write: true, force: s.force, offset: range.offset, length: range.length });
  if (!d.allowed) throw new UserError(d.reason ?? 'write refused');
  return d.warning ?? null;
}

function engineSettings(s: BenchSettings, range: { offset: number; length: number }): EngineSettings {
  return {
    blockSize: s.bs, queueDepth: s.qd, workers: s.workers, totalBytes: s.total, durationMs: Math.round(s.durationSec * 1000),
    rangeOffset: range.offset, rangeLength: range.length, pattern: s.pattern, engine: s.engine, registerBuffers: s.register, oDirect: true,
    verifySlots: s.verifySlots, seed: s.seed,
    ...(s.testCorruptByte !== undefined ? { testCorruptByte: s.testCorruptByte } : {}),
  };
}

async function planStorage(ctx: PlanContext, sourceDev: Device | null): Promise<StoragePlan> {
  const { opts, settings: s, deps } = ctx;
  const sourcePath = await resolveSourcePath(ctx, sourceDev);
  const st = statChecked(deps, sourcePath);
  const range = sourceRange(opts, s, st, sourcePath);
  const destSpec = opts.dest ?? 'host';
  const { plan, ceiling } = destSpec === 'host'
    ? { plan: planDestination({ spec: 'host', device: null, root: ctx.root, kernelRelease: null, kernelP2pdma: null, allocateExists: false, cufile: null, pairVerdict: null }), ceiling: s.ceiling }
    : isMemoryDestination(destSpec) ? { plan: memoryDestination(ctx, destSpec), ceiling: s.ceiling }
    : await planDeviceDestination(ctx, st, destSpec);
  const { paths, directSkipped, notes } = choosePaths(ctx, plan, destSpec);
  checkP2pmemCapacity(s, plan, paths);
  const warning = writeGuard(ctx, st, sourcePath, range);
  const engine = engineSettings(s, range);
  if (s.sweep) engine.rangeLength = range.raw;
  return {
    kind: 'storage', settings: s,
    source: { spec: opts.source, path: sourcePath, kind: st.kind, size: st.size },
    destination: { spec: destSpec, label: plan.label },
    dest: plan, paths, directSkipped, notes, warnings: warning ? [warning] : [], ceiling,
    target: { path: sourcePath, write: s.write }, engine,
  };
}

// ---- GPU copy benches ----

function gpuEnd(spec: string, dev: Device, probe: GpuProbe): GpuEnd {
  const ordinal = probe.devices.findIndex((g) => g.pciBusId !== null && g.pciBusId.toLowerCase().endsWith(dev.bdf.slice(-7)));
  const label = labelWithBdf(dev);
  if (ordinal < 0) throw new UserError(`${probe.runtime === 'cuda' ? 'CUDA' : 'HIP'} does not list ${label} among its ${probe.devices.length} device(s)`);
  return { spec, label, bdf: dev.bdf, ordinal };
}

async function planGpu(ctx: PlanContext, srcDev: Device | null, dstDev: Device): Promise<GpuPlan> {
  const { opts, settings: s, deps } = ctx;
  const runtime = gpuRuntimeOf(dstDev) ?? (srcDev && gpuRuntimeOf(srcDev));
  if (!runtime) throw new UserError(`${shortLabel(dstDev)} is not a CUDA or ROCm GPU`);
  if (srcDev && gpuRuntimeOf(srcDev) !== runtime) throw new UserError(`${opts.source} and ${opts.dest} are not GPUs of the same runtime (CUDA or ROCm)`);
  const lib = runtime === 'cuda' ? s.libs.cuda : s.libs.hip;
  const probe = deps.probeGpus(runtime, lib);
  if (!probe.available) throw new UserError(`${runtime === 'cuda' ? 'CUDA' : 'ROCm (HIP)'} unavailable (${probe.stage ?? 'load'}): ${probe.reason ?? 'unknown reason'}`);
  const b = gpuEnd(opts.dest ?? '', dstDev, probe);
  const a: GpuEnd = srcDev ? gpuEnd(opts.source, srcDev, probe) : { spec: 'host', label: 'host', bdf: null, ordinal: -1 };
  if (a.ordinal === b.ordinal) throw new UserError(`source and destination are the same GPU (${b.label})`);
  const bytes = size('size', opts.size, 64 << 20);
  if (bytes < 4096 || bytes > 2 ** 40) throw new UserError('--size for a GPU copy bench must be from 4k to 1T');
  const f = await ctx.getFabric();
  const pair = srcDev ? await deps.pairVerdict(f, srcDev, dstDev).catch(() => null) : null;
  return { kind: 'gpu', settings: s, runtime, lib, what: srcDev ? 'gpu-gpu' : 'host-gpu', a, b, bytes, notes: [], warnings: [], pair };
}

/** Source and destination devices when the source names a device (not a path); 'host' is host memory. */
async function endpoints(ctx: PlanContext): Promise<{ src: Device | null | 'host'; dst: Device | null }> {
  const { opts, root } = ctx;
  const destSpec = opts.dest ?? 'host';
  const dst = destSpec === 'host' || isMemoryDestination(destSpec) ? null : await ctx.device(destSpec);
  if (opts.source === 'host') return { src: 'host', dst };
  let spec;
  try {
    spec = resolveSourceSpec(opts.source, { root, devDir: '/dev', list: listDir, exists: existsSync });
  } catch (e) {
    if (e instanceof SourceError) throw new UserError(e.message);
    throw e;
  }
  return { src: spec.kind === 'path' ? null : await ctx.device(opts.source), dst };
}

/** Plan one bench: argv checks, the live-source guard, then an HMM, a storage or a GPU memory plan. */
export async function planBench(opts: BenchOptions, deps: BenchDeps): Promise<BenchPlan> {
  const settings = checkSettings(opts, deps.env ?? process.env);
  // Bench measures the machine p2p runs on: a --dump or --root source is refused by the source object.
  openSource(opts).requireLive('p2p bench');
  if (opts.hmm !== undefined) return planHmm(opts);
  if (opts.source === undefined) throw new UserError('p2p bench needs a SOURCE (nvme0, a block device, a file, host or a GPU), or --hmm DEVICE');
  const ctx = new PlanContext({ ...opts, source: opts.source }, deps, settings, deps.root ?? '/');
  const { src, dst } = await endpoints(ctx);
  if (src === 'host') {
    if (!dst) throw new UserError('host -> host is not a bench: name a GPU as the destination (p2p bench host gpu0)');
    return planGpu(ctx, null, dst);
  }
  if (src && gpuRuntimeOf(src)) {
    if (!dst) return planGpu(ctx, null, src);
    if (gpuRuntimeOf(dst)) return planGpu(ctx, src, dst);
  }
  return planStorage(ctx, src);
}
