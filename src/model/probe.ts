// `p2p probe`, pure: the consumers in their order, what "accepted" means for each, what an errno from
// each means for the memory under test, and the typed report (the text and JSON views render it).
// The answers themselves come from the kernel (native/src/probe.cc); nothing here guesses one.

export type ProbeProviderKind = 'host' | 'p2pmem' | 'dax' | 'udmabuf';
export type ProbeOutcome = 'accepted' | 'refused' | 'mismatch' | 'skipped';

/** One consumer's answer as the native probe gives it. */
export interface ProbeAnswer {
  consumer: string;
  outcome: ProbeOutcome;
  errno: string | null;
  bytesVerified: number;
  call: string | null;
  detail: string;
}

export interface ConsumerInfo {
  id: string;
  /** What the consumer is, in a few words. */
  title: string;
  /** What "accepted" proves for it. */
  accepted: string;
}

const MOVES_BYTES = 'the call succeeded and the bytes that landed equal the same range read through a host buffer';

/** Every consumer, in the order the probe asks them. */
export const CONSUMERS: readonly ConsumerInfo[] = [
  { id: 'odirect-read-block', title: 'O_DIRECT pread from the block device into the memory', accepted: MOVES_BYTES },
  { id: 'odirect-write-block', title: 'O_DIRECT pwrite from the memory to the block device (--write)', accepted: 'the call succeeded and a host-buffer read-back of the device equals what the memory held' },
  { id: 'odirect-read-file', title: 'O_DIRECT pread from a scratch file in --file DIR into the memory', accepted: MOVES_BYTES },
  { id: 'odirect-write-file', title: 'O_DIRECT pwrite from the memory to the scratch file (--write)', accepted: 'the call succeeded and a host-buffer read-back of the file equals what the memory held' },
  { id: 'io_uring-read', title: 'io_uring IORING_OP_READ (O_DIRECT) into the memory', accepted: MOVES_BYTES },
  { id: 'io_uring-read-fixed', title: 'io_uring IORING_REGISTER_BUFFERS of the memory, then IORING_OP_READ_FIXED', accepted: `the registration was taken (pages pinned long-term), then ${MOVES_BYTES}` },
  { id: 'vmsplice', title: 'vmsplice of the memory into a pipe, read back from the pipe', accepted: 'the kernel took references on the pages and the pipe delivered the bytes the memory held' },
  { id: 'ibv_reg_mr', title: 'RDMA memory registration (ibv_reg_mr) on --rdma DEV', accepted: 'the memory region was registered: the kernel pinned the pages and mapped them for the device; no bytes are moved' },
  { id: 'ibv_reg_dmabuf_mr', title: 'RDMA dma-buf registration (ibv_reg_dmabuf_mr) of a udmabuf', accepted: 'the RDMA driver imported the dma-buf as a memory region; no bytes are moved' },
  { id: 'v4l2-userptr', title: 'V4L2 V4L2_MEMORY_USERPTR: VIDIOC_REQBUFS, then VIDIOC_QBUF of the memory on --video', accepted: 'the driver queued the memory as a frame buffer (videobuf2 pinned its pages); no frame is captured' },
  { id: 'v4l2-dmabuf', title: 'V4L2 V4L2_MEMORY_DMABUF: VIDIOC_REQBUFS, then VIDIOC_QBUF of the udmabuf fd', accepted: 'the driver attached and mapped the dma-buf as a frame buffer; no frame is captured' },
];

const byId = new Map(CONSUMERS.map((c) => [c.id, c]));

export function consumerInfo(id: string): ConsumerInfo {
  return byId.get(id) ?? { id, title: id, accepted: 'the call succeeded' };
}

type Family = 'block-io' | 'register' | 'vmsplice' | 'rdma' | 'rdma-dmabuf' | 'v4l2-userptr' | 'v4l2-dmabuf';

function familyOf(consumer: string, call: string | null): Family {
  if (consumer === 'io_uring-read-fixed' && call?.startsWith('io_uring_register')) return 'register';
  if (consumer.startsWith('odirect-') || consumer.startsWith('io_uring-')) return 'block-io';
  if (consumer === 'vmsplice') return 'vmsplice';
  if (consumer === 'ibv_reg_mr') return 'rdma';
  if (consumer === 'ibv_reg_dmabuf_mr') return 'rdma-dmabuf';
  if (consumer === 'v4l2-userptr') return 'v4l2-userptr';
  return 'v4l2-dmabuf';
}

const NO_PAGES = 'there are no struct pages the kernel can pin behind this mapping (a PFN or I/O mapping: a udmabuf\'s dma-buf mmap is one on Linux 6.12), so get_user_pages fails';
const GUP_P2P = 'get_user_pages refuses P2PDMA pages to callers that do not pass FOLL_PCI_P2PDMA';
/** p2pmem pages are ZONE_DEVICE pages with struct pages; a caller that pins without FOLL_PCI_P2PDMA is refused and says EFAULT. */
const P2P_PIN = 'p2pmem pages are P2PDMA pages: this caller pins them without FOLL_PCI_P2PDMA, get_user_pages refuses, and it reports EFAULT';

/** errno -> meaning, per family; a provider-specific entry wins over the generic one. */
const MEANINGS: Record<Family, Record<string, string | Partial<Record<ProbeProviderKind | '*', string>>>> = {
  'block-io': {
    EREMOTEIO: {
      p2pmem: "P2PDMA refused the pair: the kernel's distance check found no common upstream bridge or allow-listed host bridge between the disk's DMA function and the provider (dmesg names both), or the disk's queue does not take P2PDMA pages and " + GUP_P2P,
      '*': 'the block layer refused the pages as peer memory (' + GUP_P2P + ')',
    },
    EFAULT: { p2pmem: P2P_PIN, '*': NO_PAGES },
    EINVAL: "the buffer, length or offset breaks the device's O_DIRECT alignment, or the filesystem does not do O_DIRECT",
    EOPNOTSUPP: 'the driver under the file does not take this kind of memory for direct I/O',
    EIO: 'the device failed the transfer (dmesg has the driver\'s error)',
    ENOMEM: 'the kernel could not allocate for the request (or pin the pages)',
    EPERM: 'not permitted (root needed for the device?)',
    EACCES: 'not permitted (root needed for the device?)',
  },
  register: {
    EFAULT: {
      p2pmem: 'IORING_REGISTER_BUFFERS pins long-term without FOLL_PCI_P2PDMA, so p2pmem pages are refused; plain io_uring reads (io_uring-read) still take them',
      '*': 'IORING_REGISTER_BUFFERS could not pin the pages long-term (' + NO_PAGES + ')',
    },
    EOPNOTSUPP: 'this kernel registers only anonymous, shmem or hugetlb memory as fixed buffers, not file-backed mappings of this kind',
    ENOMEM: 'the registration exceeds RLIMIT_MEMLOCK (raise it, or run as root)',
    EINVAL: 'the kernel refused the buffer (length over 1 GiB, or unaligned)',
    EREMOTEIO: GUP_P2P,
  },
  vmsplice: {
    EREMOTEIO: GUP_P2P + ': vmsplice takes page references without it',
    EFAULT: { p2pmem: P2P_PIN, '*': NO_PAGES },
    ENOMEM: 'the kernel could not take the page references',
  },
  rdma: {
    EFAULT: {
      p2pmem: 'ibv_reg_mr (ib_umem_get) pins without FOLL_PCI_P2PDMA, so p2pmem pages are refused: peer memory reaches RDMA through a dma-buf MR or a peer-memory client instead',
      '*': 'ibv_reg_mr could not pin the range: no struct pages, or not pinnable long-term (ib_umem_get failed)',
    },
    EREMOTEIO: 'ib_umem_get pins without FOLL_PCI_P2PDMA: ' + GUP_P2P + ' (peer memory goes to RDMA through a dma-buf or a peer-memory client instead)',
    ENOMEM: 'the registration exceeds RLIMIT_MEMLOCK, or the device ran out of MR resources',
    EINVAL: 'the RDMA driver refused the range or the access flags',
    EOPNOTSUPP: 'the RDMA driver does not register user memory this way',
    EPERM: 'not permitted (RLIMIT_MEMLOCK 0 for an unprivileged user?)',
  },
  'rdma-dmabuf': {
    EOPNOTSUPP: 'the RDMA driver imports no dma-buf memory regions (rxe and siw do not; drivers with on-device page tables, such as mlx5, do)',
    EPROTONOSUPPORT: 'the RDMA driver imports no dma-buf memory regions',
    EINVAL: 'the driver refused the dma-buf (size, offset or access flags), or it cannot be attached',
    EBADF: 'the fd is not a dma-buf',
  },
  'v4l2-userptr': {
    EINVAL: 'the driver offers no V4L2_MEMORY_USERPTR queue (VIDIOC_REQBUFS), or refused the buffer (VIDIOC_QBUF: size or alignment)',
    EFAULT: {
      p2pmem: 'videobuf2 pins user pointers without FOLL_PCI_P2PDMA, so p2pmem pages are refused',
      '*': 'videobuf2 could not pin the pages of the user pointer (' + NO_PAGES + ')',
    },
    EREMOTEIO: 'videobuf2 pins user pointers without FOLL_PCI_P2PDMA: ' + GUP_P2P,
    ENOMEM: 'the driver could not map the pinned pages',
    EBUSY: 'the device is streaming for someone else',
    ENOTTY: 'the node is not a V4L2 device',
  },
  'v4l2-dmabuf': {
    EINVAL: 'the driver offers no V4L2_MEMORY_DMABUF queue (VIDIOC_REQBUFS), or could not attach or map the dma-buf, or it is smaller than a frame (VIDIOC_QBUF)',
    EBADF: 'the fd is not a dma-buf',
    ENOMEM: 'the driver could not map the dma-buf',
    EBUSY: 'the device is streaming for someone else',
    ENOTTY: 'the node is not a V4L2 device',
  },
};

/** What a refusal with this errno means for this consumer and this kind of memory. */
export function errnoMeaning(consumer: string, call: string | null, errno: string, provider: ProbeProviderKind): string {
  const m = MEANINGS[familyOf(consumer, call)][errno];
  if (m === undefined) return `the kernel answered ${errno}`;
  if (typeof m === 'string') return m;
  return m[provider] ?? m['*'] ?? `the kernel answered ${errno}`;
}

/** The meaning of one answer, whatever its outcome. */
export function answerMeaning(a: ProbeAnswer, provider: ProbeProviderKind): string {
  switch (a.outcome) {
    case 'accepted': return consumerInfo(a.consumer).accepted;
    case 'refused': return errnoMeaning(a.consumer, a.call, a.errno ?? '?', provider);
    case 'mismatch': return 'the kernel reported success but the bytes did not land where they were read: with an IOMMU in the way a peer write is translated to nowhere (docs/lab.md). Success codes alone lie';
    case 'skipped': return 'not asked: ' + a.detail;
  }
}

export interface ProbeProvider {
  /** What the user typed: a BDF, /dev/daxX.Y, udmabuf or host. */
  spec: string;
  kind: ProbeProviderKind;
  /** The file mapped (allocate file, DAX node, udmabuf device), null for host memory. */
  path: string | null;
  /** "p2pmem /sys/bus/pci/devices/.../allocate" etc. */
  what: string;
  mappedBytes: number;
  dmabuf: boolean;
}

export interface ProbeEntry {
  consumer: string;
  accepted: boolean;
  errno: string | null;
  bytesVerified: number;
  outcome: ProbeOutcome;
  call: string | null;
  detail: string;
  meaning: string;
}

/** `p2p probe --json` (schema p2p.probe/1). */
export interface ProbeReport {
  schema: 'p2p.probe/1';
  provider: ProbeProvider;
  /** Bytes each consumer moved. */
  size: number;
  write: boolean;
  results: ProbeEntry[];
}

/** The typed report from the native answers, in CONSUMERS order (unknown consumers last). */
export function buildProbeReport(provider: ProbeProvider, size: number, write: boolean, answers: readonly ProbeAnswer[]): ProbeReport {
  const rank = (id: string) => {
    const i = CONSUMERS.findIndex((c) => c.id === id);
    return i < 0 ? CONSUMERS.length : i;
  };
  const results = [...answers].sort((a, b) => rank(a.consumer) - rank(b.consumer)).map((a) => ({
    consumer: a.consumer,
    accepted: a.outcome === 'accepted',
    errno: a.outcome === 'refused' ? a.errno : null,
    bytesVerified: a.outcome === 'accepted' ? a.bytesVerified : 0,
    outcome: a.outcome,
    call: a.call,
    detail: a.detail,
    meaning: answerMeaning(a, provider.kind),
  }));
  return { schema: 'p2p.probe/1', provider, size, write, results };
}

/** Every consumer skipped for one reason (the addon could not load): the report still says what was not asked. */
export function allSkipped(why: string): ProbeAnswer[] {
  return CONSUMERS.map((c) => ({ consumer: c.id, outcome: 'skipped' as const, errno: null, bytesVerified: 0, call: null, detail: why }));
}
