// The one door to the native addon (build/Release/p2p_native.node). Nothing else imports the binary.
// The binary is loaded lazily on first use; when it cannot load, every call throws AddonUnavailableError
// (a UserError: one line for the user) and addonStatus() says why. `--help` and offline commands never load it.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Result of readSysfsDir when the directory opened. Every entry lines up with the name asked for. */
export interface SysfsDirRead {
  /** Each file's raw contents (Latin-1, untrimmed), or null when it could not be opened or read. */
  files: (string | null)[];
  /** Each link's target as readlink gives it; "" when the name exists but is not a symlink; null when absent or unreadable. */
  links: (string | null)[];
  /** The bytes of `config` really read (length === configLength); null when configMax is 0 or it could not be opened. */
  config: Uint8Array | null;
  configLength: number;
  /** "EACCES: Permission denied": `config` exists but could not be opened, or a read stopped early (config then holds what was read). */
  configError?: string;
}

/** readSysfsDir's answer when the directory itself cannot be opened: the errno name ("ENOENT", "EACCES", "ENOTDIR"...). */
export interface SysfsDirUnopened {
  error: string;
}

export interface AddonStatus {
  loaded: boolean;
  /** Why the addon is not usable (build failed, disabled by P2P_NO_ADDON, ABI mismatch...). */
  error?: string;
  /** Where the binary was looked for / loaded from. */
  path?: string;
}

/** Is io_uring usable by this process right now? (a real io_uring_setup attempt). */
export interface IoUringProbe {
  available: boolean;
  /** Why not: "io_uring_setup: EPERM (...) — kernel.io_uring_disabled=2" etc. */
  reason?: string;
}

/** Facts about a bench source (file or block device), read with fstat/ioctl. */
export interface SourceStat {
  kind: 'file' | 'block' | 'other';
  /** Bytes (file size, or BLKGETSIZE64 for a block device). */
  size: number;
  /** Logical block size (BLKSSZGET) for a block device; 512 assumed for files. */
  logicalBlockSize: number;
  /** Device number of a block device (major:minor), else of the filesystem holding the file. */
  major: number;
  minor: number;
  /** Whether open(O_RDONLY|O_DIRECT) succeeded; if not, why. */
  directOk: boolean;
  directError?: string;
}

/** Result of probing for GPUDirect Storage (libcufile + libcuda loaded with dlopen). */
export interface CuFileProbe {
  available: boolean;
  /** The stage that failed: 'dlopen-cufile', 'dlopen-cuda', 'symbol', 'cuInit', 'no-device', 'driver-open'. */
  stage?: string;
  /** One-line reason (dlerror text, missing symbol name, CUDA/cuFile error code). */
  reason?: string;
  /** Missing symbol, when stage === 'symbol'. */
  missingSymbol?: string;
  cufileLib: string;
  cudaLib: string;
  /** Number of CUDA devices (when cuInit worked). */
  deviceCount?: number;
  /** PCI bus ids of the CUDA devices ("0000:01:00.0"), index = CUDA ordinal. */
  devicePciIds?: string[];
}

export type NativeDestination =
  | { kind: 'host' }
  /** `/sys/bus/pci/devices/BDF/p2pmem/allocate`, mmap'd MAP_SHARED. */
  | { kind: 'p2pmem'; allocatePath: string }
  /** A device-DAX node (`/dev/daxX.Y`), mmap'd MAP_SHARED in multiples of its align. */
  | { kind: 'dax'; path: string }
  /** A udmabuf: a sealed memfd made a dma-buf by /dev/udmabuf (or `path`), its dma-buf mmap'd. */
  | { kind: 'udmabuf'; path?: string }
  /** GPU memory via cuFile (direct) or cuMemcpyHtoD (bounce). */
  | { kind: 'cufile'; gpuOrdinal: number; cufileLib?: string; cudaLib?: string };

export interface NativeBenchOptions {
  /** Source file or block device. */
  path: string;
  /** false (default): source -> destination. true: destination -> source (overwrites the source range!). */
  write: boolean;
  /** Open with O_DIRECT (default true). */
  direct: boolean;
  /** 'auto' uses io_uring when it works and falls back to the pread/pwrite thread pool, saying why. */
  engine: 'auto' | 'io_uring' | 'psync';
  dest: NativeDestination;
  /** 'direct': I/O lands in the destination memory. 'bounce': I/O into host staging, then a CPU copy. */
  mode: 'direct' | 'bounce';
  blockSize: number;
  queueDepth: number;
  workers: number;
  /** Source byte range used; I/O wraps around inside it. */
  rangeOffset: number;
  rangeLength: number;
  /** Stop after this many bytes (0: no byte limit). */
  totalBytes: number;
  /** Stop after this many milliseconds (0: no time limit). At least one limit must be set. */
  durationMs: number;
  pattern: 'seq' | 'rand';
  /** Try IORING_REGISTER_BUFFERS (falls back to plain reads when the kernel refuses, saying why). */
  registerBuffers: boolean;
  /** -1: verify every destination slot after the run; 0: no verification; N>0: N sampled slots. */
  verifySlots: number;
  progressIntervalMs: number;
  seed: number;
  /** Test hook: flip this byte of destination slot 0 after the run, before verification. */
  testCorruptByte?: number;
}

export interface LatencyStats {
  /** Nanoseconds; percentiles come from a log-linear histogram (about 3% resolution). */
  min: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface VerifyResult {
  /** False when verification was skipped (verifySlots 0, or the run failed before data moved). */
  checked: boolean;
  ok: boolean;
  slotsCompared: number;
  bytesCompared: number;
  /** Source byte offset of the first mismatch. */
  firstBadOffset?: number;
  expected?: number;
  actual?: number;
  /** Why verification could not run (read-back error...). */
  error?: string;
}

export interface NativeBenchResult {
  /** Engine that really ran. 'cufile' for GPU direct. */
  engine: 'io_uring' | 'psync' | 'cufile';
  /** Why a different engine than requested ran (fallback reason). */
  engineNote?: string;
  /** Bounce into GPU memory: the staging buffer was pinned (cuMemHostRegister) or stayed pageable. */
  staging?: 'pinned' | 'pageable';
  registeredBuffers: boolean;
  registerNote?: string;
  threads: number;
  bytes: number;
  ios: number;
  elapsedSec: number;
  latencyNs: LatencyStats;
  /** Whole-process CPU (getrusage RUSAGE_SELF) over the run. */
  cpu: { userSec: number; sysSec: number };
  /** CPU of the I/O threads only (RUSAGE_THREAD, summed). */
  threadCpu: { userSec: number; sysSec: number };
  /** Seconds spent in bounce copies (staging <-> destination), summed over threads. */
  copySec: number;
  /** First I/O error (errno name, offset) — the run stops there. */
  error?: string;
  errorCode?: string;
  verify: VerifyResult;
  cancelled: boolean;
}

export interface NativeProgress {
  bytes: number;
  ios: number;
  elapsedSec: number;
}

export interface BenchHandle {
  promise: Promise<NativeBenchResult>;
  /** Ask the engine to stop soon; the promise then resolves with cancelled: true. */
  cancel(): void;
}

/** GPU memory runtime loaded with dlopen: the CUDA driver API (libcuda.so.1) or ROCm HIP (libamdhip64.so). */
export type GpuRuntimeName = 'cuda' | 'hip';

export interface GpuDeviceInfo {
  /** Runtime ordinal (CUDA device / HIP device index). */
  ordinal: number;
  /** cuDeviceGetPCIBusId / hipDeviceGetPCIBusId ("0000:65:00.0"), null when refused. */
  pciBusId: string | null;
  name: string | null;
  totalMem: number | null;
  error?: string;
}

/** probeGpus: devices of one runtime and the driver's peer-access answers. */
export interface GpuProbe {
  runtime: GpuRuntimeName;
  lib: string;
  available: boolean;
  /** 'dlopen', 'symbol', 'init', 'count', 'no-device' when not available. */
  stage?: string;
  reason?: string;
  driverVersion?: number;
  devices: GpuDeviceInfo[];
  /** canAccessPeer[i][j] from cuDeviceCanAccessPeer / hipDeviceCanAccessPeer; null on the diagonal or when the query failed. */
  canAccessPeer: (boolean | null)[][];
}

export type GpuCaseName = 'htod-pinned' | 'dtoh-pinned' | 'htod-pageable' | 'dtoh-pageable' | 'peer-ab' | 'peer-ba' | 'staged-ab' | 'staged-ba';

export interface GpuBenchOptions {
  runtime: GpuRuntimeName;
  lib: string;
  /** GPU ordinal of end A, -1 for host memory (host <-> GPU cases). */
  a: number;
  /** GPU ordinal of end B. */
  b: number;
  /** Bytes per copy (one buffer of this size on each end). */
  bytes: number;
  /** Bytes per case (0: use durationMs). */
  totalBytes: number;
  durationMs: number;
  cases: GpuCaseName[];
}

export interface GpuCaseResult {
  name: GpuCaseName;
  bytes: number;
  copies: number;
  elapsedSec: number;
  /** Fastest single copy (seconds). */
  minCopySec: number;
  /** The destination copied back to host and compared with what was sent. */
  verify: { checked: boolean; ok: boolean; firstBadOffset?: number; expected?: number; actual?: number };
  error?: string;
}

export interface GpuBenchResult {
  cases: GpuCaseResult[];
  /** GPU -> GPU: the driver's peer-access answer A->B and B->A (null: not asked). */
  peerAB: boolean | null;
  peerBA: boolean | null;
  /** Why the peer cases could not run (refused, enabling failed). */
  peerError?: string;
  cancelled: boolean;
}

export interface GpuBenchHandle {
  promise: Promise<GpuBenchResult>;
  cancel(): void;
}

/** startHmmBench: migrations through the kernel's HMM test driver (lib/test_hmm.c, /dev/hmm_dmirrorN). */
export interface HmmBenchOptions {
  device: string;
  /** Bytes per migration, a multiple of the page size. */
  bytes: number;
  reps: number;
  /** The way back: HMM_DMIRROR_MIGRATE_TO_SYS, or one CPU read per page (each page faults back). Default migrate. */
  back?: 'migrate' | 'fault';
  /** Pattern seed; rep i writes the pattern of seed + i. */
  seed?: number;
}

/** A comparison with the pattern written before the migration. */
export interface HmmVerify {
  checked: boolean;
  ok: boolean;
  /** Byte offset in the region of the first mismatch. */
  firstBadOffset?: number;
  expected?: number;
  actual?: number;
}

export interface HmmRepResult {
  /** HMM_DMIRROR_MIGRATE_TO_DEV's time; `pages` is the driver's cpages (pages it read back). */
  toDevice: { sec: number; pages: number };
  /** HMM_DMIRROR_SNAPSHOT after it: pages device-private on this device. */
  onDevicePages: number;
  /** HMM_DMIRROR_READ of the whole region (the device's view, nothing migrates) and its page-table faults. */
  deviceRead: { sec: number; faults: number };
  deviceVerify: HmmVerify;
  /** The way back: MIGRATE_TO_SYS's cpages, or the pages touched when faulting back. */
  toSystem: { sec: number; pages: number };
  /** SNAPSHOT after the way back: pages still on the device. */
  leftOnDevicePages: number;
  /** The region read on the CPU after the way back. */
  cpuVerify: HmmVerify;
}

export interface HmmBenchResult {
  device: string;
  bytes: number;
  pageSize: number;
  back: 'migrate' | 'fault';
  /** Completed reps (one whose step failed is left out; `error` says which step). */
  reps: HmmRepResult[];
  /** "ioctl(HMM_DMIRROR_MIGRATE_TO_DEV) /dev/hmm_dmirror0: ENOMEM (Cannot allocate memory)"; the run stops there. */
  error?: string;
  errorCode?: string;
  failedStep?: 'to-device' | 'device-read' | 'to-system';
  cancelled: boolean;
}

export interface HmmBenchHandle {
  promise: Promise<HmmBenchResult>;
  cancel(): void;
}

/** The memory `p2p probe` maps (native/src/peer_memory.cc) before asking the consumers. */
export type PeerMemoryKind = 'host' | 'p2pmem' | 'dax' | 'udmabuf';

export interface PeerProbeOptions {
  kind: PeerMemoryKind;
  /** p2pmem: the allocate file; dax: /dev/daxX.Y; udmabuf: the udmabuf device (default /dev/udmabuf). */
  path?: string;
  /** Bytes each consumer moves (a multiple of 4096, at most 1 GiB). */
  size: number;
  /** O_DIRECT and io_uring source: a block device. */
  blockDevice?: string;
  /** A directory where one scratch file of `size` bytes is written, read and removed. */
  fileDir?: string;
  /** An RDMA device name (ibv_get_device_name), e.g. rxe0. */
  rdmaDevice?: string;
  /** The libibverbs to dlopen (default libibverbs.so.1). */
  ibverbsLib?: string;
  /** A V4L2 capture or output node. */
  videoDevice?: string;
  /** Run the write consumers (they overwrite the first `size` bytes of the block device / scratch file). */
  write?: boolean;
}

/** accepted: the consumer took the memory (and, where bytes move, they were compared); refused: the kernel's
 *  errno; mismatch: success, but the bytes that landed differ from a host-buffer read; skipped: not asked. */
export type ConsumerOutcome = 'accepted' | 'refused' | 'mismatch' | 'skipped';

export interface NativeConsumerResult {
  /** odirect-read-block, odirect-write-block, odirect-read-file, odirect-write-file, io_uring-read, io_uring-read-fixed,
   *  vmsplice, ibv_reg_mr, ibv_reg_dmabuf_mr, v4l2-userptr, v4l2-dmabuf. */
  consumer: string;
  outcome: ConsumerOutcome;
  /** The kernel's errno name when refused. */
  errno: string | null;
  bytesVerified: number;
  /** The call that answered ("pread(O_DIRECT)", "io_uring_register(IORING_REGISTER_BUFFERS)", "VIDIOC_QBUF"...). */
  call: string | null;
  detail: string;
}

export interface PeerProbeResult {
  provider: { kind: PeerMemoryKind; what: string; mappedBytes: number; align: number; dmabuf: boolean };
  consumers: NativeConsumerResult[];
}

/** The raw binary's shape (checked loosely at load). */
interface NativeBinding {
  abiVersion: number;
  readSysfsDir(dir: string, files: readonly string[], links: readonly string[], configMax: number): SysfsDirRead | SysfsDirUnopened;
  readSysfsDirs(dirs: readonly string[], files: readonly string[], links: readonly string[], configMax: number, threads: number): (SysfsDirRead | SysfsDirUnopened)[];
  ioUringProbe(): IoUringProbe;
  statSource(path: string): SourceStat;
  probeCuFile(cufileLib: string, cudaLib: string): CuFileProbe;
  startBench(opts: NativeBenchOptions, onProgress: ((p: NativeProgress) => void) | undefined): BenchHandle;
  probeGpus(runtime: GpuRuntimeName, lib: string): GpuProbe;
  startGpuBench(opts: GpuBenchOptions): GpuBenchHandle;
  startHmmBench(opts: HmmBenchOptions): HmmBenchHandle;
  probePeerMemory(opts: PeerProbeOptions): PeerProbeResult;
}

const ABI_VERSION = 6;

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** The addon could not be loaded: a one-line user-facing error. */
export class AddonUnavailableError extends UserError {
  constructor(reason: string) {
    super(`native addon unavailable: ${reason} (rebuild it with: npx node-gyp rebuild)`);
    this.name = 'AddonUnavailableError';
  }
}

let binding: NativeBinding | null = null;
let loadError: string | undefined;
let loadedPath: string | undefined;
let tried = false;

function candidatePaths(): string[] {
  if (process.env.P2P_NATIVE_ADDON) return [resolve(process.env.P2P_NATIVE_ADDON)];
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/native/addon.js -> <pkg>/build/Release; src/native/addon.ts (ts loaders) -> <pkg>/build/Release
  return [
    resolve(here, '../../../build/Release/p2p_native.node'),
    resolve(here, '../../build/Release/p2p_native.node'),
  ];
}

function load(): NativeBinding | null {
  if (tried) return binding;
  tried = true;
  if (process.env.P2P_NO_ADDON === '1') {
    loadError = 'disabled by P2P_NO_ADDON=1';
    return null;
  }
  const candidates = candidatePaths();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    // Name the place inside this package (the one with p2p's package.json two levels above build/Release).
    const expected = candidates.find((p) => existsSync(resolve(dirname(p), '../../package.json'))) ?? candidates[0];
    loadedPath = expected;
    loadError = `${expected} not found (node-gyp build failed or was skipped at install)`;
    return null;
  }
  loadedPath = found;
  try {
    const req = createRequire(import.meta.url);
    const b = req(found) as NativeBinding;
    if (typeof b?.readSysfsDir !== 'function') throw new Error('not a p2p_native addon');
    if (b.abiVersion !== ABI_VERSION) throw new Error(`addon ABI ${b.abiVersion}, expected ${ABI_VERSION}: rebuild it`);
    binding = b;
  } catch (e) {
    loadError = `cannot load ${found}: ${(e as Error).message.split('\n')[0]}`;
    binding = null;
  }
  return binding;
}

function native(): NativeBinding {
  const b = load();
  if (!b) throw new AddonUnavailableError(loadError ?? 'unknown reason');
  return b;
}

/** Whether the native addon is loaded (loads it on first call) and, if not, why. Never throws. */
export function addonStatus(): AddonStatus {
  const b = load();
  return b ? { loaded: true, path: loadedPath } : { loaded: false, error: loadError, path: loadedPath };
}

/** Test helper: forget the load attempt so env changes (P2P_NO_ADDON, P2P_NATIVE_ADDON) take effect. */
export function resetAddonForTests(): void {
  binding = null;
  loadError = undefined;
  loadedPath = undefined;
  tried = false;
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/**
 * Read many entries of one directory in one call: each of `files` (names relative to `dir`, '/' allowed:
 * "p2pmem/size") with open/read/close, each of `links` with readlink, and, when `configMax` > 0, up to
 * that many bytes of `dir/config` with pread, stopping at EOF, a short read (a non-root reader of a sysfs
 * `config` gets 64 bytes of 4096: `configLength` says how many, never padded with zeros) or a read error
 * (`configError`, with the bytes read before it). The directory is opened once (read permission needed, as for listing it); when that fails the answer is `{ error }`.
 * Missing or unreadable entries are null, never exceptions; TypeError for bad arguments.
 */
export function readSysfsDir(dir: string, files: readonly string[], links: readonly string[], configMax: number): SysfsDirRead | SysfsDirUnopened {
  return native().readSysfsDir(dir, files, links, configMax);
}

/**
 * readSysfsDir for many directories in one call, asking each the same names: one answer per directory,
 * in order, as readSysfsDir would give it, except that the `config` arrays of one call are views into a
 * single shared ArrayBuffer (same bytes and length; `byteOffset` may be non-zero: slice() one to own it).
 * The reads run on `threads` threads (0: the addon picks, from the CPU count and the number of
 * directories); the answers are made on the calling thread.
 */
export function readSysfsDirs(dirs: readonly string[], files: readonly string[], links: readonly string[], configMax: number, threads = 0): (SysfsDirRead | SysfsDirUnopened)[] {
  return native().readSysfsDirs(dirs, files, links, configMax, threads);
}

/** Try io_uring_setup (P2P_IO_URING_DISABLE=1 simulates a kernel/seccomp refusal). */
export function ioUringProbe(): IoUringProbe {
  return native().ioUringProbe();
}

/** fstat/ioctl facts for a bench source. Throws with `.code` when it cannot be opened. */
export function statSource(path: string): SourceStat {
  return native().statSource(path);
}

/**
 * dlopen libcufile and libcuda, resolve every symbol the bench uses, call cuInit and count devices,
 * then cuFileDriverOpen. Never throws for a missing library or symbol: `available: false` with the stage.
 */
export function probeCuFile(libs: { cufileLib?: string; cudaLib?: string } = {}): CuFileProbe {
  return native().probeCuFile(libs.cufileLib ?? 'libcufile.so.0', libs.cudaLib ?? 'libcuda.so.1');
}

/**
 * Run one bench off the JS thread. Setup failures (open, mmap, ring setup, cuFile) reject the promise
 * with an Error carrying `.code`; I/O errors during the run resolve with `error` set (the run stops there).
 * `onProgress` is called a few times per second from the JS thread.
 */
export function startBench(opts: NativeBenchOptions, onProgress?: (p: NativeProgress) => void): BenchHandle {
  return native().startBench(opts, onProgress);
}

/** dlopen the CUDA driver API or HIP, list the devices (PCI bus id, name, memory) and the peer-access matrix. Never throws for a missing library. */
export function probeGpus(runtime: GpuRuntimeName, lib: string): GpuProbe {
  return native().probeGpus(runtime, lib);
}

/**
 * Host <-> GPU or GPU -> GPU copies off the JS thread, each case verified by copying back. Setup failures
 * (library, no device, out of memory) reject with one line; a failing copy resolves with the case's `error`.
 */
export function startGpuBench(opts: GpuBenchOptions): GpuBenchHandle {
  return native().startGpuBench(opts);
}

/**
 * Migrate anonymous memory to the HMM test driver's device-private memory and back, `reps` times, off
 * the JS thread: each direction timed, the bytes checked in the device's view and on the CPU. Setup
 * failures (open, mmap, a bad size) reject with one line and `.code`; a failing ioctl resolves with `error`.
 */
export function startHmmBench(opts: HmmBenchOptions): HmmBenchHandle {
  return native().startHmmBench(opts);
}

// ---------------------------------------------------------------------------------------------
// Config ranges (config space on demand): typed here, checked at call time so an addon built before
// them still loads (callers fall back to plain fs preads)
// ---------------------------------------------------------------------------------------------

interface ConfigRangesBinding {
  openConfigFiles?(files: readonly string[], threads: number): { fds: Int32Array; sizes: Int32Array };
  readConfigRanges?(fds: Int32Array, sizes: Int32Array, ranges: readonly Uint32Array[], into: readonly Uint8Array[], threads: number): Int32Array;
  closeConfigFiles?(fds: Int32Array): void;
}

/** The loaded addon's config range functions, or an AddonUnavailableError when it has none. */
function configRanges(): Required<ConfigRangesBinding> {
  const b = native() as ConfigRangesBinding;
  if (!b.openConfigFiles || !b.readConfigRanges || !b.closeConfigFiles) throw new AddonUnavailableError('this build has no readConfigRanges');
  return b as Required<ConfigRangesBinding>;
}

/** Whether the loaded addon has openConfigFiles, readConfigRanges and closeConfigFiles. Never throws. */
export function hasConfigRanges(): boolean {
  const b = load() as ConfigRangesBinding | null;
  return typeof b?.openConfigFiles === 'function' && typeof b.readConfigRanges === 'function' && typeof b.closeConfigFiles === 'function';
}

/**
 * Opens each file read-only for readConfigRanges (fd -1 when it will not open) with its size (fstat;
 * -1 unopened), on `threads` threads (0: the addon picks). Close them with closeConfigFiles.
 */
export function openConfigFiles(files: readonly string[], threads = 0): { fds: Int32Array; sizes: Int32Array } {
  return configRanges().openConfigFiles(files, threads);
}

/**
 * For each file fds[i], pread its ranges (`ranges[i]`: offset, length pairs) into `into[i]` at those
 * offsets, each cut at sizes[i] and ended by EOF, a short read or an error: the bytes got per range,
 * all files' in order; on `threads` threads. TypeError or RangeError for bad arguments.
 */
export function readConfigRanges(fds: Int32Array, sizes: Int32Array, ranges: readonly Uint32Array[], into: readonly Uint8Array[], threads = 0): Int32Array {
  return configRanges().readConfigRanges(fds, sizes, ranges, into, threads);
}

/** Closes what openConfigFiles opened (each fd >= 0; set to -1). */
export function closeConfigFiles(fds: Int32Array): void {
  configRanges().closeConfigFiles(fds);
}

/**
 * Map peer memory (p2pmem, device-DAX, udmabuf or host) and ask each DMA consumer whether it takes it,
 * on the calling thread (each consumer moves at most `size` bytes). A mapping failure throws an Error
 * with `.code` (the errno name); every consumer's own answer, refusals included, is in the result.
 */
export function probePeerMemory(opts: PeerProbeOptions): PeerProbeResult {
  return native().probePeerMemory(opts);
}
