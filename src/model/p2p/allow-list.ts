// The kernel's P2PDMA host-bridge allow-list, kept as data. Transcribed (IDs only) by reading
// drivers/pci/p2pdma.c; see docs/p2p-rules.md for the provenance and how entries are matched.

export interface AllowListEntry {
  /** PCI vendor ID, 4 lower-case hex digits. */
  vendor: string;
  /** PCI device ID, 4 lower-case hex digits, or null for "any device of this vendor". */
  device: string | null;
  /** The kernel's REQ_SAME_HOST_BRIDGE flag: allowed only when both devices hang under this one host bridge. */
  sameHostBridgeOnly: boolean;
  /** What the kernel's table says the part is. */
  label: string;
  /** First kernel that carries the entry, where known (older entries predate the lab kernel 6.12). */
  since?: string;
}

export interface AllowList {
  /** Where the table was read. */
  kernel: string;
  source: string;
  entries: readonly AllowListEntry[];
}

const intel = (device: string, label: string, sameHostBridgeOnly = false, since?: string): AllowListEntry =>
  ({ vendor: '8086', device, sameHostBridgeOnly, label, ...(since ? { since } : {}) });

/**
 * Read from drivers/pci/p2pdma.c in the PCI maintainer tree (kernel.org pci/pci.git, commit
 * cd2698d76c31, the code queued after Linux 7.1). The entries without `since` are all present in
 * Linux 6.12 (the lab kernel, 6.12.117); the Intel accelerator IDs arrived upstream in 7.2 and
 * were backported to 7.1-stable (upstream commit 0ba76b19fd4c); the NVIDIA and Zhaoxin rows were
 * queued in the PCI tree after that.
 */
export const KERNEL_ALLOW_LIST: AllowList = {
  kernel: 'Linux pci/pci.git cd2698d76c31 (post-7.1); rows without "since" are identical in 6.12',
  source: 'drivers/pci/p2pdma.c pci_p2pdma_whitelist[]',
  entries: [
    intel('3c00', 'Intel Xeon E5/Core i7', true),
    intel('3c01', 'Intel Xeon E5/Core i7', true),
    intel('2f00', 'Intel Xeon E7 v3/Xeon E5 v3/Core i7', true),
    intel('2f01', 'Intel Xeon E7 v3/Xeon E5 v3/Core i7', true),
    intel('2030', 'Intel Skylake-E (root port A)'),
    intel('2031', 'Intel Skylake-E (root port B)'),
    intel('2032', 'Intel Skylake-E (root port C)'),
    intel('2033', 'Intel Skylake-E (root port D)'),
    intel('2020', 'Intel Skylake-E'),
    intel('09a2', 'Intel Xeon since Ice Lake (first device on a root bus)'),
    intel('0b25', 'Intel DSA (Sapphire Rapids)', false, '7.2 / 7.1-stable'),
    intel('0cfe', 'Intel IAA (Sapphire Rapids)', false, '7.2 / 7.1-stable'),
    intel('11fb', 'Intel DSA (Granite Rapids-D)', false, '7.2 / 7.1-stable'),
    intel('1212', 'Intel DSA (Diamond Rapids)', false, '7.2 / 7.1-stable'),
    intel('1216', 'Intel IAA (Diamond Rapids)', false, '7.2 / 7.1-stable'),
    intel('4940', 'Intel QAT 4xxx', false, '7.2 / 7.1-stable'),
    intel('4942', 'Intel QAT 401xx', false, '7.2 / 7.1-stable'),
    intel('4944', 'Intel QAT 402xx', false, '7.2 / 7.1-stable'),
    intel('4946', 'Intel QAT 420xx', false, '7.2 / 7.1-stable'),
    intel('4948', 'Intel QAT 6xxx', false, '7.2 / 7.1-stable'),
    { vendor: '1ae0', device: null, sameHostBridgeOnly: false, label: 'Google SoCs (any device)' },
    { vendor: '10de', device: '2f95', sameHostBridgeOnly: false, label: 'NVIDIA CPU', since: 'pci.git after 7.1' },
    { vendor: '10de', device: '2f96', sameHostBridgeOnly: false, label: 'NVIDIA CPU', since: 'pci.git after 7.1' },
    { vendor: '10de', device: '2f97', sameHostBridgeOnly: false, label: 'NVIDIA CPU', since: 'pci.git after 7.1' },
    { vendor: '10de', device: '2f98', sameHostBridgeOnly: false, label: 'NVIDIA CPU', since: 'pci.git after 7.1' },
    { vendor: '1d17', device: '1003', sameHostBridgeOnly: true, label: 'Zhaoxin KX-6000/KH-40000', since: 'pci.git after 7.1' },
    { vendor: '1d17', device: '1005', sameHostBridgeOnly: true, label: 'Zhaoxin', since: 'pci.git after 7.1' },
    { vendor: '1d17', device: '1006', sameHostBridgeOnly: true, label: 'Zhaoxin', since: 'pci.git after 7.1' },
    { vendor: '1d17', device: '1007', sameHostBridgeOnly: true, label: 'Zhaoxin', since: 'pci.git after 7.1' },
    { vendor: '1d17', device: '1008', sameHostBridgeOnly: false, label: 'Zhaoxin KH-50000', since: 'pci.git after 7.1' },
  ],
};

/** The AMD rule (cpu_supports_p2pdma): x86 vendor AMD and family >= this. Hygon is a different vendor. */
export const AMD_MIN_FAMILY = 0x17;
export const AMD_VENDOR = 'AuthenticAMD';

/** First entry whose vendor and device match, as the kernel scans the table (first match decides). */
export function findAllowListEntry(list: AllowList, vendor: string, device: string): AllowListEntry | null {
  const v = vendor.toLowerCase();
  const d = device.toLowerCase();
  for (const e of list.entries) {
    if (e.vendor !== v) continue;
    if (e.device !== null && e.device !== d) continue;
    return e;
  }
  return null;
}
