// Memory, BAR and NUMA checks: p2pmem providers, NVMe CMBs, GPU BAR1 / Resizable BAR, BAR placement, NUMA.
import { decodeRebar, REBAR_EXT_CAP_ID } from '../caps/rebar.js';
import { findCapability } from '../caps/walk.js';
import type { Device, Fabric } from '../types.js';
import type { CheckDef, Status } from './types.js';
import { capped, deviceLabel, uniq, worst } from './util.js';
import { formatBytes } from '../units.js';

const GIB4 = 4n << 30n;
const MIB256 = 256n << 20n;

export const p2pmemCheck: CheckDef = {
  id: 'mem.p2pmem',
  group: 'mem',
  title: 'p2pmem providers',
  describe: 'Devices that expose memory for P2PDMA (sysfs p2pmem/): size, available and published; exhausted pools warn.',
  run({ fabric }) {
    if (fabric.source.method === 'dump') return { status: 'skip', evidence: ['an lspci dump carries no sysfs p2pmem attributes'], devices: [] };
    const providers = fabric.devices.filter((d) => d.p2pmem);
    if (providers.length === 0) {
      return {
        status: 'ok',
        evidence: ['no function exposes p2pmem: nothing offers its memory to P2PDMA (NVMe drives with a CMB do; GPUs use nvidia-fs / nvidia_peermem instead)'],
        devices: [],
      };
    }
    const evidence: string[] = [];
    const statuses: Status[] = [];
    for (const d of providers) {
      const p = d.p2pmem!;
      const line = `${deviceLabel(d)}: size ${formatBytes(p.size)}, available ${formatBytes(p.available)}, published ${p.published === null ? '?' : p.published ? 'yes' : 'no'}`;
      evidence.push(line);
      if (p.size === 0 || p.available === 0) statuses.push('warn');
      else statuses.push('ok');
    }
    const st = worst(statuses);
    return {
      status: st,
      evidence,
      fix: st === 'warn' ? ['available 0: every byte is allocated (a running nvmet target or a leaked mapping holds it); stop the user or pick another provider'] : undefined,
      devices: providers.map((d) => d.bdf),
    };
  },
};

export const nvmeCmbCheck: CheckDef = {
  id: 'mem.nvme-cmb',
  group: 'mem',
  title: 'NVMe controller memory buffers',
  describe: 'NVMe drives whose CMB is registered as p2pmem but not published (the controller lacks WDS/RDS support), so in-kernel users cannot find it.',
  run({ fabric }) {
    if (fabric.source.method === 'dump') return { status: 'skip', evidence: ['an lspci dump carries no sysfs p2pmem attributes'], devices: [] };
    const nvme = fabric.devices.filter((d) => d.kind === 'nvme');
    if (nvme.length === 0) return { status: 'skip', evidence: ['no NVMe drive'], devices: [] };
    const withCmb = nvme.filter((d) => d.p2pmem);
    if (withCmb.length === 0) {
      return { status: 'ok', evidence: [`${nvme.length} NVMe drive(s), none exposes a CMB as p2pmem (most drives have none; it is only needed for P2P into the drive's own memory)`], devices: [] };
    }
    const unpublished = withCmb.filter((d) => d.p2pmem!.published === false);
    const unknownPub = withCmb.filter((d) => d.p2pmem!.published === null);
    if (unpublished.length) {
      return {
        status: 'warn',
        evidence: [
          ...unpublished.map((d) => `${deviceLabel(d)}: CMB of ${formatBytes(d.p2pmem!.size)} registered but not published`),
          'the nvme driver publishes a CMB only when the controller supports both Write Data and Read Data in it (CMBSZ.WDS and CMBSZ.RDS); otherwise only userspace mmap of p2pmem/allocate can use it',
        ],
        fix: ['check the drive\'s CMBSZ (nvme show-regs /dev/nvmeX -H) and firmware; drives without WDS/RDS cannot serve as published providers (nvmet, cuFile)'],
        devices: unpublished.map((d) => d.bdf),
      };
    }
    if (unknownPub.length) return { status: 'skip', evidence: [`p2pmem/published unreadable for ${unknownPub.map((d) => d.bdf).join(', ')}`], devices: unknownPub.map((d) => d.bdf) };
    return { status: 'ok', evidence: withCmb.map((d) => `${deviceLabel(d)}: CMB ${formatBytes(d.p2pmem!.size)} published`), devices: [] };
  },
};

/** "256MB" / "16GB" (rebar.ts labels) -> bytes. */
export function parseSizeLabel(label: string): bigint | null {
  const m = /^(\d+)(MB|GB|TB|PB|EB)$/.exec(label);
  if (!m) return null;
  const shift = { MB: 20n, GB: 30n, TB: 40n, PB: 50n, EB: 60n }[m[2] as 'MB'];
  return BigInt(m[1]) << shift;
}

/** The largest memory BAR of a device (the GPU's aperture: BAR1 on NVIDIA, BAR0 on AMD). */
export function largestMemBar(d: Device): Device['bars'][number] | null {
  const mems = d.bars.filter((b) => b.kind === 'mem');
  if (!mems.length) return null;
  return mems.reduce((a, b) => (b.size > a.size ? b : a));
}

export interface RebarShortfall {
  barIndex: number;
  current: bigint;
  max: bigint;
}

/** Resizable BAR entries whose current size is below the largest the device supports. */
export function rebarOf(d: Device): { known: boolean; entries: RebarShortfall[] } {
  const cap = findCapability(d.capabilities, REBAR_EXT_CAP_ID, true);
  if (!cap) return { known: d.capabilities.complete, entries: [] };
  const info = decodeRebar(d.config, cap.offset);
  if (!info.entries) return { known: false, entries: [] };
  const out: RebarShortfall[] = [];
  for (const e of info.entries) {
    const sizes = e.supportedSizes.map(parseSizeLabel).filter((x): x is bigint => x !== null);
    const cur = parseSizeLabel(e.currentSize);
    if (!sizes.length || cur === null) continue;
    const max = sizes.reduce((a, b) => (b > a ? b : a));
    out.push({ barIndex: e.barIndex, current: cur, max });
  }
  return { known: true, entries: out };
}

export const gpuBarCheck: CheckDef = {
  id: 'mem.gpu-bar',
  group: 'mem',
  title: 'GPU BAR1 / Resizable BAR',
  describe: 'GPUs whose Resizable BAR is set below the largest size they support, or whose largest BAR is 256 MiB or less: GPUDirect RDMA/Storage then work through a small window of GPU memory.',
  run({ fabric }) {
    const gpus = fabric.devices.filter((d) => d.kind === 'gpu' && !d.physfn);
    if (gpus.length === 0) return { status: 'skip', evidence: ['no GPU'], devices: [] };
    const evidence: string[] = [];
    const statuses: Status[] = [];
    const devices: string[] = [];
    for (const g of gpus) {
      const rb = rebarOf(g);
      const bar = largestMemBar(g);
      const short = rb.entries.filter((e) => e.current < e.max);
      if (short.length) {
        statuses.push('warn');
        devices.push(g.bdf);
        evidence.push(`${deviceLabel(g)}: Resizable BAR ${short.map((e) => `BAR${e.barIndex} ${formatBytes(e.current)} of up to ${formatBytes(e.max)}`).join(', ')}`);
      } else if (rb.entries.length) {
        statuses.push('ok');
        evidence.push(`${deviceLabel(g)}: Resizable BAR at its largest size (${rb.entries.map((e) => `BAR${e.barIndex} ${formatBytes(e.current)}`).join(', ')})`);
      } else if (bar) {
        if (bar.size <= MIB256) {
          statuses.push('warn');
          devices.push(g.bdf);
          evidence.push(`${deviceLabel(g)}: largest BAR is BAR${bar.index} of ${formatBytes(bar.size)}${rb.known ? ' and it has no Resizable BAR capability' : '; Resizable BAR unknown (extended config space needs root)'}`);
        } else {
          statuses.push('ok');
          evidence.push(`${deviceLabel(g)}: BAR${bar.index} ${formatBytes(bar.size)}`);
        }
      } else {
        statuses.push('skip');
        evidence.push(`${deviceLabel(g)}: BAR sizes unknown (${fabric.source.method === 'dump' ? 'an lspci dump has no sysfs resource file' : 'no resource file'}) and Resizable BAR ${rb.known ? 'absent' : 'unknown'}`);
      }
    }
    const st = worst(statuses);
    return {
      status: st,
      evidence,
      fix: st === 'warn'
        ? [
            'enable "Above 4G Decoding" and "Resizable BAR" (Re-Size BAR Support) in the BIOS; for NVIDIA datacenter GPUs the BAR1 size is also set by the GPU\'s mode (nvidia-smi -q -d MEMORY shows BAR1 total)',
            'Linux 6.1+ can resize from userspace when nothing uses the device: echo SIZE_BIT > /sys/bus/pci/devices/BDF/resourceN_resize',
            'trade-off: a large BAR needs 64-bit address space from firmware; old BIOSes may fail to boot with many large BARs',
          ]
        : undefined,
      devices,
    };
  },
};

export const barPlacementCheck: CheckDef = {
  id: 'mem.bar-placement',
  group: 'mem',
  title: 'Large BARs above 4 GiB',
  describe: 'GPUs and accelerators whose big prefetchable BAR sits below 4 GiB (or is 32-bit): firmware ran without Above 4G Decoding, which caps BAR sizes.',
  run({ fabric }) {
    const devs = fabric.devices.filter((d) => (d.kind === 'gpu' || d.kind === 'accelerator') && !d.physfn);
    if (devs.length === 0) return { status: 'skip', evidence: ['no GPU or accelerator'], devices: [] };
    const withBars = devs.flatMap((d) => {
      const b = largestMemBar(d);
      return b ? [{ d, b }] : [];
    });
    if (withBars.length === 0) return { status: 'skip', evidence: [`BAR addresses unknown for ${devs.length} device(s): ${fabric.source.method === 'dump' ? 'an lspci dump has no sysfs resource file' : 'no resource file in sysfs'}`], devices: [] };
    const low = withBars.filter(({ b }) => b.start + b.size <= GIB4);
    if (low.length === 0) {
      return { status: 'ok', evidence: withBars.map(({ d, b }) => `${deviceLabel(d)}: BAR${b.index} ${formatBytes(b.size)} at 0x${b.start.toString(16)}`), devices: [] };
    }
    return {
      status: 'warn',
      evidence: low.map(({ d, b }) => `${deviceLabel(d)}: largest BAR (BAR${b.index}, ${formatBytes(b.size)}${b.is64 ? '' : ', 32-bit'}) at 0x${b.start.toString(16)}, below 4 GiB`),
      fix: ['enable "Above 4G Decoding" (and "Resizable BAR") in the BIOS so firmware maps large BARs in 64-bit space; pci=realloc can help the kernel reassign them'],
      devices: low.map(({ d }) => d.bdf),
    };
  },
};

function multiSocket(fabric: Fabric): boolean | null {
  const n = fabric.host.numaNodes;
  if (n === null) return null;
  return n.length > 1;
}

export const numaUnknownCheck: CheckDef = {
  id: 'numa.unknown',
  group: 'numa',
  title: 'NUMA node of devices',
  describe: 'On a machine with several NUMA nodes, P2P candidates whose numa_node is -1: firmware did not say where they are, so CPU/memory affinity and nvidia-smi topo are blind.',
  run({ fabric }, ctx) {
    const multi = multiSocket(fabric);
    if (multi === null) return { status: 'skip', evidence: [`NUMA layout unknown: ${fabric.source.method === 'dump' ? 'an lspci dump has no sysfs' : 'no sys/devices/system/node/online in the source'}`], devices: [] };
    if (!multi) return { status: 'ok', evidence: [`one NUMA node (${fabric.host.numaNodes!.join(',')}): device placement does not matter`], devices: [] };
    const cands = ctx.candidates();
    if (cands.length === 0) return { status: 'skip', evidence: ['no P2P candidate'], devices: [] };
    const minus = cands.filter((d) => d.numaNode === -1 || d.numaNode === null);
    if (minus.length === 0) return { status: 'ok', evidence: [`${fabric.host.numaNodes!.length} NUMA nodes; every candidate has a node: ${capped(cands.map((d) => `${ctx.label(d.bdf)}→${d.numaNode}`), 8).join(', ')}`], devices: [] };
    return {
      status: 'warn',
      evidence: [
        `${fabric.host.numaNodes!.length} NUMA nodes, but numa_node is ${minus.every((d) => d.numaNode === -1) ? '-1' : 'unknown'} for: ${capped(minus.map((d) => deviceLabel(d)), 8).join(', ')}`,
        'firmware (ACPI _PXM) did not place them; schedulers, nvidia-smi topo and cuFile cannot pick the near CPU and memory',
      ],
      fix: [
        'update the BIOS or enable its NUMA/SNC reporting options; as a stopgap (root, taints the kernel): echo NODE > /sys/bus/pci/devices/BDF/numa_node',
      ],
      devices: minus.map((d) => d.bdf),
    };
  },
};

const PARTNER_KINDS: Record<string, string[]> = { gpu: ['nvme', 'nic'], nvme: ['gpu'], nic: ['gpu'] };

export const numaPairsCheck: CheckDef = {
  id: 'numa.pairs',
  group: 'numa',
  title: 'P2P partners on the same NUMA node',
  describe: 'GPUs with no NVMe or NIC on their NUMA node (and vice versa): their P2P traffic has to cross the inter-socket link (SYS in nvidia-smi topo), which most CPUs refuse or slow down.',
  run({ fabric }, ctx) {
    const multi = multiSocket(fabric);
    if (multi === null) return { status: 'skip', evidence: ['NUMA layout unknown'], devices: [] };
    if (!multi) return { status: 'ok', evidence: ['one NUMA node: every pair is local'], devices: [] };
    const cands = ctx.candidates().filter((d) => PARTNER_KINDS[d.kind]);
    const placed = cands.filter((d) => d.numaNode !== null && d.numaNode >= 0);
    if (placed.length < 2) return { status: 'skip', evidence: ['fewer than two GPUs/NVMe/NICs with a known NUMA node'], devices: [] };
    const evidence: string[] = [];
    const devices: string[] = [];
    let checked = 0;
    for (const d of placed) {
      const wanted = PARTNER_KINDS[d.kind].filter((k) => placed.some((x) => x.kind === k));
      for (const k of wanted) {
        checked++;
        const local = placed.filter((x) => x.kind === k && x.numaNode === d.numaNode);
        if (local.length === 0) {
          const remote = placed.filter((x) => x.kind === k);
          evidence.push(`${deviceLabel(d)} (node ${d.numaNode}): no ${k.toUpperCase()} on its node; the nearest are on node ${uniq(remote.map((x) => x.numaNode)).join(',')} (${capped(remote.map((x) => ctx.label(x.bdf)), 3).join(', ')})`);
          devices.push(d.bdf);
        }
      }
    }
    if (checked === 0) return { status: 'skip', evidence: ['no GPU together with an NVMe drive or NIC'], devices: [] };
    if (evidence.length === 0) return { status: 'ok', evidence: ['every GPU has an NVMe drive / NIC on its own NUMA node, and every NVMe/NIC a GPU'], devices: [] };
    return {
      status: 'warn',
      evidence: [...capped(evidence, 10), 'cross-node P2P goes over UPI/xGMI: Intel host bridges refuse it in the kernel (NOT_SUPPORTED), AMD allows it at lower bandwidth'],
      fix: ['move cards so each GPU shares a NUMA node (ideally a PCIe switch) with the NVMe drives and NICs it works with; otherwise stage through host memory on the GPU\'s node'],
      devices: uniq(devices),
    };
  },
};
