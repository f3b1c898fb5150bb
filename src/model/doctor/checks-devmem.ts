// Doctor checks for device-memory mechanisms other than P2PDMA: device-DAX, HMM device-private
// memory, RDMA devices and peer-memory modules, V4L2/DVB capture nodes, dma-buf (nodes, bufinfo,
// kernel options, amdgpu/KFD), CXL and /proc/iomem. Evidence names the device node and, where there
// is one, the PCI function behind it. Pure.
import { KERNEL_BDF } from '../bdf.js';
import {
  bytes, decodeMemMechanisms, describeRange, deviceMemoryRanges, parseBufinfo, type MechanismKind, type MemMechanism, type RawMemMechanisms,
} from '../mem-mechanisms.js';
import { formatBytes } from '../units.js';
import type { CheckDef, DoctorInput, Finding, Status } from './types.js';
import { worst } from './util.js';

type Result = Omit<Finding, 'id' | 'group' | 'title'>;

function withKind(input: DoctorInput, kinds: MechanismKind[], none: string, judge: (ms: MemMechanism[]) => Result): Result {
  const fact = input.env.memMechanisms;
  if (!fact.known) return { status: 'skip', evidence: [`device-memory mechanisms unknown: ${fact.reason}`], devices: [] };
  const ms = decodeMemMechanisms(fact.value).mechanisms.filter((m) => kinds.includes(m.kind));
  if (ms.length === 0) return { status: 'skip', evidence: [none], devices: [] };
  return judge(ms);
}

const where = (m: MemMechanism) => (m.pci ? `PCI ${m.pci}` : 'no PCI device (platform/virtual)');
const devicesOf = (ms: MemMechanism[]) => ms.flatMap((m) => (m.pci ? [m.pci] : []));

export const daxDevicesCheck: CheckDef = {
  id: 'dax.devices',
  group: 'dax',
  title: 'Device-DAX memory',
  describe: 'Device-DAX nodes (/sys/bus/dax): size, alignment and target NUMA node; an empty one cannot be mapped as a DMA target.',
  run: (input) => withKind(input, ['dax'], 'no device-DAX devices (/sys/bus/dax/devices is empty or absent)', (ms) => {
    const empty = ms.filter((m) => m.sizeBytes === 0);
    return {
      status: empty.length ? 'warn' : 'ok',
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, where(m)].join(', ')}`),
      fix: empty.length ? [`${empty.map((m) => m.node).join(', ')} has no capacity: ndctl create-namespace -f -e NAMESPACE -m devdax -a 2M (or daxctl reconfigure-device)`] : undefined,
      devices: devicesOf(ms),
    };
  }),
};

export const hmmDevicesCheck: CheckDef = {
  id: 'hmm.devices',
  group: 'hmm',
  title: 'HMM device-private memory',
  describe: 'HMM device-private memory (the test driver\'s /dev/hmm_dmirror*): the CPU cannot address it and peers cannot DMA into it; pages migrate back on access.',
  run: (input) => withKind(input, ['hmm'], 'no HMM device-private memory nodes (/dev/hmm_dmirror*)', (ms) => ({
    status: 'ok',
    evidence: ms.map((m) => `${m.node}: device-private memory; O_DIRECT or RDMA into it migrates the pages back to system memory first (no peer DMA)`),
    devices: [],
  })),
};

export const rdmaDevicesCheck: CheckDef = {
  id: 'rdma.devices',
  group: 'rdma',
  title: 'RDMA devices',
  describe: 'RDMA devices (/sys/class/infiniband) and their netdevs; software ones (rxe, siw) copy with the CPU, so no NIC reaches peer memory.',
  run: (input) => withKind(input, ['rdma'], 'no RDMA devices (/sys/class/infiniband is empty or absent)', (ms) => {
    const soft = ms.filter((m) => m.pci === null);
    const statuses: Status[] = soft.length ? ['warn'] : ['ok'];
    return {
      status: worst(statuses),
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, m.pci ? `PCI ${m.pci}` : 'software RDMA (no PCI device): memory is copied by the CPU'].join(', ')}`),
      fix: soft.length ? [`${soft.map((m) => m.node).join(', ')} ${soft.length > 1 ? 'are' : 'is'} software RDMA: fine for testing ibv_reg_mr, but GPUDirect RDMA needs a hardware RNIC (its PCI function then appears here)`] : undefined,
      devices: devicesOf(ms),
    };
  }),
};

export const captureDevicesCheck: CheckDef = {
  id: 'capture.devices',
  group: 'capture',
  title: 'V4L2 and DVB capture devices',
  describe: 'V4L2 and DVB nodes and their PCI parents; a capture device with no PCI function (vivid, vidtv, USB) cannot DMA to a peer.',
  run: (input) => withKind(input, ['capture', 'dvb'], 'no V4L2 or DVB devices (/sys/class/video4linux, /sys/class/dvb)', (ms) => {
    const nonPci = ms.filter((m) => m.pci === null);
    return {
      status: nonPci.length === ms.length ? 'warn' : 'ok',
      evidence: ms.map((m) => `${m.node}: ${[...m.detail, where(m)].join(', ')}`),
      fix: nonPci.length === ms.length ? ['no capture node has a PCI function: frames pass through system memory; capture -> GPU/NVMe P2P needs a PCIe capture card'] : undefined,
      devices: devicesOf(ms),
    };
  }),
};

// ---- dma-buf ----

function rawFact(input: DoctorInput): { raw: RawMemMechanisms } | { skip: Result } {
  const fact = input.env.memMechanisms;
  if (!fact.known) return { skip: { status: 'skip', evidence: [`device-memory mechanisms unknown: ${fact.reason}`], devices: [] } };
  return { raw: fact.value };
}

export const dmabufDevicesCheck: CheckDef = {
  id: 'dmabuf.devices',
  group: 'dmabuf',
  title: 'dma-buf exporter nodes',
  describe: 'dma-buf exporters user space can open: /dev/udmabuf (memfd pages as a dma-buf) and the DMA-BUF heaps under /dev/dma_heap.',
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const d = r.raw.dmabuf;
    if (!d) return { status: 'skip', evidence: ['dma-buf nodes not captured in this source (an older snapshot)'], devices: [] };
    const evidence: string[] = [];
    if (d.udmabuf) evidence.push('/dev/udmabuf: memfd pages exported as a dma-buf (host memory: a peer importing it reaches system RAM, not device memory)');
    for (const h of d.heaps) evidence.push(`/dev/dma_heap/${h}: DMA-BUF heap`);
    if (!evidence.length) {
      return {
        status: 'skip', evidence: ['no /dev/udmabuf and no /dev/dma_heap/*'], devices: [],
        fix: ['for user-space dma-buf tests: a kernel with CONFIG_UDMABUF=y and CONFIG_DMABUF_HEAPS_SYSTEM=y (device-memory exporters are GPU drivers: amdgpu, i915/xe, nvidia)'],
      };
    }
    return { status: 'ok', evidence, devices: [] };
  },
};

const BUFINFO = '/sys/kernel/debug/dma_buf/bufinfo';

export const dmabufBuffersCheck: CheckDef = {
  id: 'dmabuf.buffers',
  group: 'dmabuf',
  title: 'dma-buf buffers and importers',
  describe: `Live dma-bufs from debugfs ${BUFINFO}: each exporter's buffers and sizes, and the devices attached to them (a BDF is a PCI importer).`,
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const info = r.raw.dmabuf?.bufinfo;
    if (!info) return { status: 'skip', evidence: ['bufinfo not captured in this source (an older snapshot)'], devices: [] };
    if (info.text === null) {
      return {
        status: 'skip',
        evidence: [info.error === 'denied' ? `${BUFINFO}: permission denied (debugfs is root-only)` : `${BUFINFO}: absent (debugfs not mounted, or CONFIG_DEBUG_FS / CONFIG_DMA_SHARED_BUFFER off)`],
        fix: [info.error === 'denied' ? 'run p2p doctor as root' : 'mount -t debugfs none /sys/kernel/debug (as root)'],
        devices: [],
      };
    }
    const bufs = parseBufinfo(info.text);
    if (!bufs.length) return { status: 'ok', evidence: [`${BUFINFO}: no dma-buf exported right now`], devices: [] };
    const byExporter = new Map<string, typeof bufs>();
    for (const b of bufs) byExporter.set(b.exporter, [...(byExporter.get(b.exporter) ?? []), b]);
    const evidence = [...byExporter].map(([exp, list]) => {
      const attached = [...new Set(list.flatMap((b) => b.attached))];
      const total = list.reduce((a, b) => a + b.size, 0);
      const who = attached.length ? attached.map((a) => (KERNEL_BDF.test(a) ? `PCI ${a}` : `${a} (no PCI device)`)).join(', ') : 'none';
      return `exporter ${exp}: ${list.length} buffer${list.length === 1 ? '' : 's'}, ${formatBytes(total)}; attached: ${who}`;
    });
    const pci = [...new Set(bufs.flatMap((b) => b.attached.filter((a) => KERNEL_BDF.test(a))))];
    return { status: 'ok', evidence, devices: pci };
  },
};

/** Kernel options a P2P dma-buf importer depends on, with what each does. */
const DMABUF_OPTIONS: readonly { name: string; why: string; needed: boolean }[] = [
  { name: 'CONFIG_DMABUF_MOVE_NOTIFY', why: 'dynamic importers (RDMA ODP, amdgpu) get move notifications; without it every import pins the buffer and amdgpu pins exported VRAM in system memory (GTT), so no peer reads device memory', needed: true },
  { name: 'CONFIG_PCI_P2PDMA', why: 'exporters may hand a peer PCI bus addresses (amdgpu checks pci_p2pdma_distance for each attachment)', needed: true },
  { name: 'CONFIG_DMABUF_HEAPS', why: 'user-space allocation from /dev/dma_heap', needed: false },
  { name: 'CONFIG_UDMABUF', why: '/dev/udmabuf (memfd as dma-buf, for tests)', needed: false },
  { name: 'CONFIG_HSA_AMD_P2P', why: 'amdgpu KFD peer-to-peer over PCIe between GPUs (p2p_links)', needed: false },
];

export const dmabufConfigCheck: CheckDef = {
  id: 'dmabuf.config',
  group: 'dmabuf',
  title: 'Kernel options for P2P dma-buf importers',
  describe: 'CONFIG_DMABUF_MOVE_NOTIFY and CONFIG_PCI_P2PDMA (needed for dma-buf P2P into device memory), CONFIG_DMABUF_HEAPS, CONFIG_UDMABUF, CONFIG_HSA_AMD_P2P, from the kernel configuration; a missing one warns only where a GPU or accelerator (a device-memory exporter) is present.',
  run: ({ fabric }) => {
    const cfg = fabric.host.kernelConfig;
    if (!cfg) return { status: 'skip', evidence: ['kernel configuration unknown (no /proc/config.gz or /boot/config-RELEASE in the source)'], devices: [] };
    const evidence: string[] = [];
    const missing: string[] = [];
    for (const o of DMABUF_OPTIONS) {
      const v = cfg.get(o.name) ?? null;
      evidence.push(`${o.name}=${v ?? 'n (not set)'}: ${o.why}`);
      if (o.needed && v !== 'y') missing.push(o.name);
    }
    // Without a device-memory exporter (GPU, accelerator) the options decide nothing here: said, not warned.
    const exporters = fabric.devices.filter((d) => (d.kind === 'gpu' || d.kind === 'accelerator') && !d.physfn);
    if (missing.length && !exporters.length) evidence.push(`${missing.join(', ')} off, but no GPU or accelerator here exports device memory`);
    const warn = missing.length > 0 && exporters.length > 0;
    return {
      status: warn ? 'warn' : 'ok',
      evidence,
      fix: warn ? [`rebuild the kernel with ${missing.map((m) => `${m}=y`).join(' and ')} (CONFIG_DMABUF_MOVE_NOTIFY is under "DMA-BUF options")`] : undefined,
      devices: exporters.map((d) => d.bdf),
    };
  },
};

export const dmabufAmdgpuCheck: CheckDef = {
  id: 'dmabuf.amdgpu',
  group: 'dmabuf',
  title: 'amdgpu peer links and BAR size',
  describe: 'amdgpu/KFD: each GPU node\'s io_links and p2p_links (/sys/class/kfd/kfd/topology/nodes), and whether its BAR shows all VRAM (mem_info_vis_vram_total against mem_info_vram_total: a large, resizable BAR).',
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const ms = decodeMemMechanisms(r.raw).mechanisms.filter((m) => m.kind === 'kfd' || m.kind === 'vram');
    if (!ms.length) return { status: 'skip', evidence: ['no amdgpu function and no KFD topology (/sys/class/kfd)'], devices: [] };
    const small = ms.filter((m) => m.kind === 'vram' && m.detail[0].startsWith('small BAR'));
    const noPeers = ms.filter((m) => m.kind === 'kfd' && m.detail[1].startsWith('p2p_links: none'));
    const gpus = ms.filter((m) => m.kind === 'kfd').length;
    const fix: string[] = [];
    if (small.length) fix.push(`${small.map((m) => m.pci).join(', ')}: enable Resizable BAR / Above 4G decoding in the firmware setup so the whole VRAM is one BAR (peers reach only the visible part otherwise)`);
    if (noPeers.length && gpus > 1) fix.push('no KFD p2p_links between GPUs: a kernel with CONFIG_HSA_AMD_P2P=y and CONFIG_PCI_P2PDMA=y, large BARs, and GPUs the kernel lets talk (p2p path GPU GPU)');
    return {
      status: fix.length ? 'warn' : 'ok',
      evidence: ms.map((m) => `${m.node}: ${m.detail.join('; ')}`),
      fix: fix.length ? fix : undefined,
      devices: devicesOf(ms),
    };
  },
};

export const rdmaPeerModulesCheck: CheckDef = {
  id: 'rdma.peer-modules',
  group: 'rdma',
  title: 'Peer-memory modules (nvidia-peermem, nvidia-fs)',
  describe: 'Modules that let an RDMA NIC or NVMe reach GPU memory: nvidia_peermem (GPUDirect RDMA through peer memory), nvidia_fs (GPUDirect Storage, /proc/driver/nvidia-fs), amdgpu (dma-buf exporter), from /proc/modules and /sys/module.',
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const rep = decodeMemMechanisms(r.raw).vendorModules;
    if (!rep) return { status: 'skip', evidence: ['/proc/modules unreadable or not captured'], devices: [] };
    const nvfs = r.raw.nvidiaFs?.text?.split('\n')[0]?.trim();
    const evidence = [
      `nvidia_peermem: ${rep.nvidiaPeermem ? 'loaded' : 'not loaded'}`,
      `nvidia_fs: ${rep.nvidiaFs ? `loaded${nvfs ? ` (/proc/driver/nvidia-fs/version: ${nvfs})` : ''}` : 'not loaded'}`,
      `amdgpu: ${rep.amdgpu ? 'loaded' : 'not loaded'}`,
    ];
    const rdmaHw = decodeMemMechanisms(r.raw).mechanisms.filter((m) => m.kind === 'rdma' && m.pci);
    const nvidiaGpu = input.fabric.devices.some((d) => d.kind === 'gpu' && d.vendorId === '10de');
    const want = rdmaHw.length > 0 && nvidiaGpu && !rep.nvidiaPeermem;
    return {
      status: want ? 'warn' : 'ok',
      evidence,
      fix: want ? [`${rdmaHw.map((m) => m.node).join(', ')} with an NVIDIA GPU and no nvidia_peermem: modprobe nvidia_peermem, or register GPU memory as a dma-buf (ibv_reg_dmabuf_mr; needs CONFIG_DMABUF_MOVE_NOTIFY, see dmabuf.config)`] : undefined,
      devices: devicesOf(rdmaHw),
    };
  },
};

// ---- CXL and /proc/iomem ----

export const cxlDevicesCheck: CheckDef = {
  id: 'cxl.devices',
  group: 'cxl',
  title: 'CXL memory devices and regions',
  describe: 'CXL devices on /sys/bus/cxl: memory devices (memN, with their PCI function and RAM/PMEM sizes), ports, decoders and regions; memory with no region is not mapped for anyone.',
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const cxl = r.raw.cxl;
    if (cxl === undefined) return { status: 'skip', evidence: ['/sys/bus/cxl not captured in this source (an older snapshot)'], devices: [] };
    if (cxl === null || cxl.length === 0) return { status: 'skip', evidence: ['no CXL devices (/sys/bus/cxl/devices is empty or absent)'], devices: [] };
    const mems = decodeMemMechanisms(r.raw).mechanisms.filter((m) => m.kind === 'cxl');
    const count = (re: RegExp) => cxl.filter((d) => re.test(d.name)).map((d) => d.name);
    const regions = cxl.filter((d) => /^region\d+$/.test(d.name));
    const evidence = [
      ...mems.map((m) => `${m.node}: ${[...m.detail, where(m)].join(', ')}`),
      ...regions.map((d) => `${d.name}: ${[d.attrs.size && bytes(d.attrs.size) !== undefined ? `size ${formatBytes(bytes(d.attrs.size)!)}` : null, d.attrs.mode ? `mode ${d.attrs.mode}` : null].filter(Boolean).join(', ') || 'no attributes read'}`),
      `ports: ${count(/^(root|port|endpoint)\d+$/).join(', ') || 'none'}; decoders: ${count(/^decoder\d+\.\d+$/).join(', ') || 'none'}`,
    ];
    const unmapped = mems.length > 0 && regions.length === 0;
    return {
      status: unmapped ? 'warn' : 'ok',
      evidence,
      fix: unmapped ? [`${mems.map((m) => m.node).join(', ')} ha${mems.length > 1 ? 've' : 's'} no region: cxl create-region -d decoder0.0 -m ${mems.map((m) => m.node).join(' ')} (ndctl's cxl tool), then daxctl or online the memory`] : undefined,
      devices: devicesOf(mems),
    };
  },
};

export const cxlIomemCheck: CheckDef = {
  id: 'cxl.iomem',
  group: 'cxl',
  title: 'Device memory in /proc/iomem',
  describe: '/proc/iomem ranges that are device memory: CXL windows, Soft Reserved (EFI specific-purpose memory), persistent memory, device-DAX/kmem, the HMM test driver\'s hmm_dmirror. Non-root reads show every address as 0: the ranges are named but not placed.',
  run: (input) => {
    const r = rawFact(input);
    if ('skip' in r) return r.skip;
    const io = r.raw.iomem;
    if (!io) return { status: 'skip', evidence: ['/proc/iomem not captured in this source (an older snapshot)'], devices: [] };
    if (io.text === null) return { status: 'skip', evidence: [`/proc/iomem ${io.error === 'denied' ? 'unreadable (permission denied)' : 'absent'}`], devices: [] };
    const rep = deviceMemoryRanges(io.text);
    if (!rep.ranges.length) return { status: 'skip', evidence: ['no device-memory ranges in /proc/iomem (no CXL window, Soft Reserved, pmem, dax or hmm_dmirror)'], devices: [] };
    const evidence = rep.ranges.map((x) => describeRange(x, rep.addressesHidden));
    if (rep.addressesHidden) evidence.push('addresses hidden: /proc/iomem was read as non-root, and the kernel prints every range as 00000000-00000000');
    return {
      status: 'ok', evidence, devices: [],
      fix: rep.addressesHidden ? ['run p2p doctor as root (or capture the snapshot as root) to see where each range lies'] : undefined,
    };
  },
};
