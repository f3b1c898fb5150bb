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
  /** First upstream release that carries the entry ("5.18"), or "queued" when it is in no release yet. */
  since: string;
  /** Upstream commit that added it (12 hex digits), or null when not confirmed. */
  commit: string | null;
  /** First release that no longer carries it (the AMD Zen IDs, replaced by the CPU rule). */
  until?: string;
  /** Stable series that backported it ("7.1"), where the commit was marked for stable. */
  stable?: string;
  /** False where the release or commit was inferred, not read (docs/p2p-rules.md says what). */
  confirmed: boolean;
}

export interface AllowList {
  /** Where the table was read. */
  kernel: string;
  source: string;
  entries: readonly AllowListEntry[];
}

type Origin = Pick<AllowListEntry, 'since' | 'commit' | 'confirmed'> & Partial<Pick<AllowListEntry, 'until' | 'stable'>>;
const intel = (device: string, label: string, sameHostBridgeOnly: boolean, origin: Origin): AllowListEntry =>
  ({ vendor: '8086', device, sameHostBridgeOnly, label, ...origin });
const amd = (device: string, label: string, origin: Origin): AllowListEntry =>
  ({ vendor: '1022', device, sameHostBridgeOnly: false, label, ...origin });

// Where each entry came from (see docs/p2p-rules.md for the sources read).
const ZEN_1450: Origin = { since: '5.2', commit: '0f97da831026', until: '5.9', confirmed: false };
const ZEN_APU: Origin = { since: '5.8', commit: '7d5b10fcb81e', until: '5.9', confirmed: false };
const XEON_E5: Origin = { since: '5.4', commit: '494d63b0d5d0', confirmed: true };
const SKX: Origin = { since: '5.6', commit: 'bc123a515cb7', confirmed: false };
const SKX_PORTS: Origin = { since: '5.8', commit: '7b94b53db34f', confirmed: false };
const ICX: Origin = { since: '5.18', commit: 'feaea1fe8b36', confirmed: true };
const XEON_ACCEL: Origin = { since: '7.2', commit: '0ba76b19fd4c', stable: '7.1', confirmed: true };
const GOOGLE: Origin = { since: '7.1', commit: '70cf146a674c', confirmed: true };
const VERA_RUBIN: Origin = { since: '7.3', commit: null, confirmed: false };
const QUEUED: Origin = { since: 'queued', commit: null, confirmed: false };

/**
 * Every entry the upstream table has carried, newest state read from drivers/pci/p2pdma.c in the
 * PCI maintainer tree (kernel.org pci/pci.git, commit cd2698d76c31); the AMD Zen IDs were
 * dropped when the CPU rule replaced them. `allowListFor()` in release-table.ts picks the rows one
 * release carries; this full list is what "latest" sees once the queued rows land.
 */
export const KERNEL_ALLOW_LIST: AllowList = {
  kernel: 'every upstream entry (pci/pci.git cd2698d76c31, queued rows included)',
  source: 'drivers/pci/p2pdma.c pci_p2pdma_whitelist[]',
  entries: [
    amd('1450', 'AMD Zen (family 17h root complex)', ZEN_1450),
    amd('15d0', 'AMD Zen Raven root complex', ZEN_APU),
    amd('1630', 'AMD Zen Renoir root complex', ZEN_APU),
    intel('3c00', 'Intel Xeon E5/Core i7', true, XEON_E5),
    intel('3c01', 'Intel Xeon E5/Core i7', true, XEON_E5),
    intel('2f00', 'Intel Xeon E7 v3/Xeon E5 v3/Core i7', true, XEON_E5),
    intel('2f01', 'Intel Xeon E7 v3/Xeon E5 v3/Core i7', true, XEON_E5),
    intel('2030', 'Intel Skylake-E (root port A)', false, SKX),
    intel('2031', 'Intel Skylake-E (root port B)', false, SKX_PORTS),
    intel('2032', 'Intel Skylake-E (root port C)', false, SKX_PORTS),
    intel('2033', 'Intel Skylake-E (root port D)', false, SKX_PORTS),
    intel('2020', 'Intel Skylake-E', false, SKX),
    intel('09a2', 'Intel Xeon since Ice Lake (first device on a root bus)', false, ICX),
    intel('0b25', 'Intel DSA (Sapphire Rapids)', false, XEON_ACCEL),
    intel('0cfe', 'Intel IAA (Sapphire Rapids)', false, XEON_ACCEL),
    intel('11fb', 'Intel DSA (Granite Rapids-D)', false, XEON_ACCEL),
    intel('1212', 'Intel DSA (Diamond Rapids)', false, XEON_ACCEL),
    intel('1216', 'Intel IAA (Diamond Rapids)', false, XEON_ACCEL),
    intel('4940', 'Intel QAT 4xxx', false, XEON_ACCEL),
    intel('4942', 'Intel QAT 401xx', false, XEON_ACCEL),
    intel('4944', 'Intel QAT 402xx', false, XEON_ACCEL),
    intel('4946', 'Intel QAT 420xx', false, XEON_ACCEL),
    intel('4948', 'Intel QAT 6xxx', false, XEON_ACCEL),
    { vendor: '1ae0', device: null, sameHostBridgeOnly: false, label: 'Google SoCs (any device)', ...GOOGLE },
    { vendor: '10de', device: '2f95', sameHostBridgeOnly: false, label: 'NVIDIA Vera Rubin CPU', ...VERA_RUBIN },
    { vendor: '10de', device: '2f96', sameHostBridgeOnly: false, label: 'NVIDIA Vera Rubin CPU', ...VERA_RUBIN },
    { vendor: '10de', device: '2f97', sameHostBridgeOnly: false, label: 'NVIDIA Vera Rubin CPU', ...VERA_RUBIN },
    { vendor: '10de', device: '2f98', sameHostBridgeOnly: false, label: 'NVIDIA Vera Rubin CPU', ...VERA_RUBIN },
    { vendor: '1d17', device: '1003', sameHostBridgeOnly: true, label: 'Zhaoxin KX-6000/KH-40000', ...QUEUED },
    { vendor: '1d17', device: '1005', sameHostBridgeOnly: true, label: 'Zhaoxin', ...QUEUED },
    { vendor: '1d17', device: '1006', sameHostBridgeOnly: true, label: 'Zhaoxin', ...QUEUED },
    { vendor: '1d17', device: '1007', sameHostBridgeOnly: true, label: 'Zhaoxin', ...QUEUED },
    { vendor: '1d17', device: '1008', sameHostBridgeOnly: false, label: 'Zhaoxin KH-50000', ...QUEUED },
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
