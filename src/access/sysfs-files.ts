// What p2p reads in a PCI function's sysfs directory and in sys/class, named once: the sysfs reader asks
// these lists and `p2p snapshot` captures the same ones, so a snapshot holds what a scan of it reads.
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

/** Class directories whose links name the kernel devices bound to PCI functions (nvme0, nvme0n1, eth0, mlx5_0, card0). */
export const CLASS_DIRS = ['nvme', 'block', 'net', 'infiniband', 'drm'] as const;
