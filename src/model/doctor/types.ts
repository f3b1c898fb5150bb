// `p2p doctor` data: what the checks read (DoctorInput) and what they say (Finding). Pure types.
import type { Device, Fabric } from '../types.js';
import type { P2pdmaVerdict } from '../p2p/types.js';
import type { RawMemMechanisms } from '../mem-mechanisms.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
export const STATUSES: readonly Status[] = ['ok', 'warn', 'fail', 'skip'];

/**
 * A fact gathered outside the fabric (a /proc file, a config file, a probe). Known facts carry
 * where they came from; unknown ones say why, and a check that needs them reports `skip` with that reason.
 */
export type Fact<T> = { known: true; value: T; source: string } | { known: false; reason: string };

export function known<T>(value: T, source: string): Fact<T> {
  return { known: true, value, source };
}
export function unknown<T = never>(reason: string): Fact<T> {
  return { known: false, reason };
}

/** The kernel's AER counters of one function (sysfs aer_dev_correctable / _nonfatal / _fatal). */
export interface AerCounters {
  /** Error name -> count ("RxErr" -> 3); TOTAL_ERR_* lines are kept out of these maps. */
  correctable: Record<string, number> | null;
  nonfatal: Record<string, number> | null;
  fatal: Record<string, number> | null;
  /** TOTAL_ERR_COR / TOTAL_ERR_NONFATAL / TOTAL_ERR_FATAL (or the sum of the entries when absent). */
  totals: { correctable: number | null; nonfatal: number | null; fatal: number | null };
}

/** Result of opening a file with O_DIRECT on the live machine. */
export interface ODirectProbe {
  path: string;
  ok: boolean;
  /** errno code and message when it failed: "EINVAL: invalid argument". */
  error?: string;
  /** Filesystem type holding the file (from mountinfo), when known. */
  fsType?: string | null;
  mountPoint?: string | null;
}

/** The NVIDIA kernel module: version and whether it is the open one (from modinfo license, the version banner or the taint). */
export interface NvidiaDriverFacts {
  version: string | null;
  open: boolean | null;
  /** Where `open` was read. */
  openSource: string | null;
}

/** The GPU side's facts (src/access/gpu-facts.ts). */
export interface GpuEnvFacts {
  nvidiaDriver: Fact<NvidiaDriverFacts>;
  /** p2pdma_pgmap_ops in /proc/kallsyms: the running kernel can make a GPU BAR a P2PDMA provider. */
  p2pdmaPgmapOps: Fact<boolean>;
  /** NVreg_RegistryDwords has RMForceStaticBar1=1 (/proc/driver/nvidia/params). */
  staticBar1: Fact<boolean>;
  /** nvme_core multipath=Y (native NVMe multipath). */
  nvmeMultipath: Fact<boolean>;
  /** GPU memory in bytes by BDF (CUDA driver, live only). */
  gpuMemory: Fact<Map<string, number>>;
}

/** Facts the access layer gathers besides the fabric (src/access/doctor-facts.ts). */
export interface EnvFacts {
  /** The machine being diagnosed is the one running p2p (not a --root capture or a dump). */
  live: boolean;
  /** Loaded kernel modules (names as /proc/modules writes them: nvidia_fs, nvidia_peermem). */
  modules: Fact<string[]>;
  /** /etc/cufile.json text; value null when the file does not exist. */
  cufile: Fact<{ path: string; text: string } | null>;
  /** kernel.io_uring_disabled (0, 1, 2); value null when the sysctl does not exist (kernels before 6.6). */
  ioUringDisabled: Fact<number | null>;
  /** A real io_uring_setup attempt (live machine with the native addon only). */
  ioUringProbe: Fact<{ available: boolean; reason?: string }>;
  /** Kernel log text (dmesg). */
  dmesg: Fact<string>;
  /** AER counters by BDF, for functions whose sysfs has them. */
  aerCounters: Fact<Map<string, AerCounters>>;
  /** O_DIRECT probe of a bench file given with --file. */
  odirect: Fact<ODirectProbe>;
  /** GPU side (GDS mode, BAR1, driver); absent when not gathered. */
  gpu?: GpuEnvFacts;
  /** Device-DAX, HMM, RDMA and V4L2/DVB nodes as read (decoded by the devmem checks). */
  memMechanisms: Fact<RawMemMechanisms>;
}

export interface DoctorInput {
  fabric: Fabric;
  env: EnvFacts;
}

export type CheckGroup = 'kernel' | 'iommu' | 'acs' | 'link' | 'mem' | 'numa' | 'driver' | 'sw' | 'priv' | 'p2p' | 'gpu' | 'dax' | 'hmm' | 'rdma' | 'capture' | 'dmabuf' | 'cxl';

export interface Finding {
  /** Stable check id ("acs.redirect"); the group is the part before the dot. */
  id: string;
  group: CheckGroup;
  title: string;
  status: Status;
  /** One line each: what was looked at and what it showed (or why it could not be looked at). */
  evidence: string[];
  /** What to change, when something should change. May be several lines. */
  fix?: string[];
  /** BDFs this finding concerns (so a UI can jump to them). */
  devices: string[];
}

/** A check: a pure function of the input, one Finding out. */
export interface CheckDef {
  id: string;
  group: CheckGroup;
  title: string;
  /** One line for docs and `--help`: what it looks at. */
  describe: string;
  run(input: DoctorInput, ctx: DoctorContext): Omit<Finding, 'id' | 'group' | 'title'> & { title?: string };
}

/** Shared, lazily computed facts that several checks need (pair verdicts, candidate devices). */
export interface DoctorContext {
  /** GPU, NVMe, NIC, accelerator functions and p2pmem providers (the P2P candidates), in display order. */
  candidates(): Device[];
  /** Every unordered candidate pair with the kernel's verdict (provider = the one with p2pmem when only one has it). */
  pairs(): PairVerdict[];
  /** Short label for a device: alias/kernel name and BDF. */
  label(bdf: string): string;
}

export interface PairVerdict {
  client: string;
  provider: string;
  verdict: P2pdmaVerdict;
}

export interface DoctorSummary {
  ok: number;
  warn: number;
  fail: number;
  skip: number;
}

export interface DoctorReport {
  findings: Finding[];
  summary: DoctorSummary;
  /** 0 all ok (skips allowed), 1 at least one warning, 2 at least one failure. */
  exitCode: 0 | 1 | 2;
}

export interface DoctorSelection {
  /** Check ids or group names to run (others are not run at all). */
  only?: readonly string[];
  /** Check ids or group names not to run. */
  skip?: readonly string[];
}
