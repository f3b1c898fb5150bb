// What p2p reads in a PCI function's sysfs directory, in sys/class and machine-wide, named once: the
// readers ask these lists and `p2p snapshot` captures the same ones, so a snapshot holds what a scan of it reads.
import { AER_COUNTER_FILES, AER_ROOTPORT_FILES } from './aer-counters.js';

/** The reader's pass 1, for every function (with FUNCTION_LINKS and config). */
export const BASE_FILES = ['numa_node'] as const;
/** Read only when a view asks (FILL_LOCAL_CPUS, FILL_RESOURCES: show, doctor, the matrix's CPU affinity): `topo` never does. */
export const LATE_FILES = ['local_cpulist', 'resource'] as const;
/** Link state: needed from sysfs only when config stops before the Express capability (< 256 bytes). */
export const LINK_FILES = ['current_link_speed', 'current_link_width', 'max_link_speed', 'max_link_width'] as const;
/** IDs: needed from sysfs only when config has no header (< 64 bytes). */
export const ID_FILES = ['vendor', 'device', 'class', 'subsystem_vendor', 'subsystem_device', 'revision'] as const;
/** An SR-IOV VF's header has all but these (they read 0xffff); needed when its PF's config cannot give them. */
export const VF_ID_FILES = ['vendor', 'device'] as const satisfies readonly (typeof ID_FILES)[number][];
export const P2PMEM_FILES = ['p2pmem/size', 'p2pmem/available', 'p2pmem/published'] as const;
/** Symlinks in a function's directory whose names or targets p2p reads. */
export const FUNCTION_LINKS = ['driver', 'iommu_group', 'physfn'] as const;
/** Attributes no view reads yet, captured for whoever reads a snapshot (docs/snapshots.md lists them). */
const SNAPSHOT_EXTRA_FILES = ['local_cpus', 'sriov_numvfs', 'sriov_totalvfs', 'ari_enabled'] as const;

/** Every attribute file a snapshot keeps of a function's directory (config is captured separately). */
export const SNAPSHOT_FUNCTION_FILES: readonly string[] = [
  ...ID_FILES, ...BASE_FILES, ...LATE_FILES, ...LINK_FILES, ...P2PMEM_FILES,
  ...AER_COUNTER_FILES, ...AER_ROOTPORT_FILES, ...SNAPSHOT_EXTRA_FILES,
];

/**
 * Class directories whose links name the kernel devices bound to PCI functions (nvme0, nvme0n1, eth0,
 * mlx5_0, card0); video4linux and dvb mark capture cards (model/classify.ts).
 */
export const CLASS_DIRS = ['nvme', 'block', 'net', 'infiniband', 'drm', 'video4linux', 'dvb'] as const;

/** Machine-wide files the readers look at under a root (host-info.ts, doctor-facts.ts). */
export const HOST_FILE = {
  cpuinfo: 'proc/cpuinfo',
  cmdline: 'proc/cmdline',
  version: 'proc/version',
  modules: 'proc/modules',
  kernelConfig: 'proc/config.gz',
  osrelease: 'proc/sys/kernel/osrelease',
  hostname: 'proc/sys/kernel/hostname',
  ioUringDisabled: 'proc/sys/kernel/io_uring_disabled',
  cufile: 'etc/cufile.json',
  /** A saved kernel log in a captured tree (live captures read /dev/kmsg into it instead). */
  savedKernelLog: 'dmesg.txt',
  numaOnline: 'sys/devices/system/node/online',
} as const;

/** Machine-wide files a snapshot keeps: [path under the root, size cap in bytes]. The doctor's facts are here too. */
export const SNAPSHOT_HOST_FILES: readonly (readonly [string, number])[] = [
  [HOST_FILE.cpuinfo, 32 << 20],
  [HOST_FILE.cmdline, 64 << 10],
  [HOST_FILE.version, 64 << 10],
  [HOST_FILE.modules, 4 << 20],
  [HOST_FILE.kernelConfig, 16 << 20],
  [HOST_FILE.osrelease, 4096],
  [HOST_FILE.hostname, 4096],
  [HOST_FILE.ioUringDisabled, 4096],
  [HOST_FILE.cufile, 4 << 20],
  [HOST_FILE.savedKernelLog, 16 << 20],
  [HOST_FILE.numaOnline, 64 << 10],
  // Not read by any view yet; kept for whoever reads the snapshot (docs/snapshots.md).
  ['sys/devices/system/node/possible', 64 << 10],
  ['sys/devices/system/node/has_cpu', 64 << 10],
  ['sys/devices/system/node/has_memory', 64 << 10],
  ['sys/devices/system/cpu/online', 64 << 10],
  ['sys/devices/system/cpu/possible', 64 << 10],
  ['sys/devices/system/cpu/present', 64 << 10],
];
