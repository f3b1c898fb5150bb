// GPU checks: which GPUDirect Storage mode cuFile would use and why (P2PDMA, nvidia-fs, compat), BAR1
// against GPU memory, and the lines `gdscheck -p` would print for this machine.
import { formatBytes } from '../units.js';
import { parseJsonWithComments } from './checks-sw.js';
import type { CheckDef, DoctorInput, Fact, Status } from './types.js';
import { deviceLabel, isNvidiaGpu, parseKernelVersion, versionAtLeast } from './util.js';

export type GdsMode = 'p2pdma' | 'nvidia-fs' | 'compat' | 'none';

/** One requirement of the P2PDMA mode: met (true), not met (false) or unknown (null), with what was seen. */
export interface GdsRequirement {
  what: string;
  met: boolean | null;
  seen: string;
}

export interface GdsDecision {
  mode: GdsMode;
  p2pdma: GdsRequirement[];
  nvidiaFs: boolean | null;
  allowCompat: boolean;
  /** One line: why this mode. */
  why: string;
}

function factBool(f: Fact<boolean> | undefined, yes: string, no: string): { met: boolean | null; seen: string } {
  if (!f) return { met: null, seen: 'not gathered' };
  if (!f.known) return { met: null, seen: f.reason };
  return { met: f.value, seen: `${f.value ? yes : no} (${f.source})` };
}

function cufileProps(input: DoctorInput): { useP2pdma: unknown; allowCompat: unknown; seen: string } {
  const c = input.env.cufile;
  if (!c.known) return { useP2pdma: undefined, allowCompat: undefined, seen: c.reason };
  if (c.value === null) return { useP2pdma: undefined, allowCompat: undefined, seen: `no cufile.json (${c.source})` };
  try {
    const j = parseJsonWithComments(c.value.text) as { properties?: Record<string, unknown> };
    return { useP2pdma: j?.properties?.use_pci_p2pdma, allowCompat: j?.properties?.allow_compat_mode, seen: c.value.path };
  } catch {
    return { useP2pdma: undefined, allowCompat: undefined, seen: `${c.value.path} does not parse (see sw.cufile)` };
  }
}

function hasModule(input: DoctorInput, name: string): boolean | null {
  return input.env.modules.known ? input.env.modules.value.some((m) => m.replace(/-/g, '_') === name) : null;
}

/** The P2PDMA mode's requirements, each with what was seen. */
export function p2pdmaRequirements(input: DoctorInput): GdsRequirement[] {
  const gpu = input.env.gpu;
  const v = parseKernelVersion(input.fabric.host.kernelRelease);
  const drv = gpu?.nvidiaDriver;
  const major = drv?.known && drv.value.version ? Number(drv.value.version.split('.')[0]) : null;
  const cf = cufileProps(input);
  const mp = factBool(gpu?.nvmeMultipath, 'multipath=Y', 'multipath=N');
  return [
    { what: 'kernel >= 6.2', met: v ? versionAtLeast(v, 6, 2) : null, seen: input.fabric.host.kernelRelease ?? 'kernel release unknown' },
    { what: 'p2pdma_pgmap_ops in kallsyms', ...factBool(gpu?.p2pdmaPgmapOps, 'present', 'absent: the kernel has no P2PDMA provider support') },
    {
      what: 'open GPU kernel modules',
      met: drv?.known ? drv.value.open : null,
      seen: !drv ? 'not gathered' : drv.known ? `${drv.value.open === null ? 'open or proprietary unknown' : drv.value.open ? 'open' : 'proprietary'}${drv.value.openSource ? ` (${drv.value.openSource})` : ''}` : drv.reason,
    },
    { what: 'NVIDIA driver >= 565', met: major === null ? null : major >= 565, seen: drv?.known ? `version ${drv.value.version ?? 'unknown'}` : drv ? drv.reason : 'not gathered' },
    { what: 'use_pci_p2pdma in cufile.json', met: cf.useP2pdma === undefined && !input.env.cufile.known ? null : cf.useP2pdma === true, seen: `use_pci_p2pdma=${cf.useP2pdma ?? '(unset)'} (${cf.seen})` },
    { what: 'NVMe native multipath off', met: mp.met === null ? null : !mp.met, seen: mp.seen },
    { what: 'RMForceStaticBar1=1 in NVreg_RegistryDwords', ...factBool(gpu?.staticBar1, 'set', 'not set') },
  ];
}

/** Which mode cuFile would run in: P2PDMA when every requirement holds, else nvidia-fs when loaded, else compat. */
export function decideGdsMode(input: DoctorInput): GdsDecision {
  const p2pdma = p2pdmaRequirements(input);
  const nvidiaFs = hasModule(input, 'nvidia_fs');
  const allowCompat = cufileProps(input).allowCompat !== false;
  const unmet = p2pdma.filter((r) => r.met === false);
  const unknownReq = p2pdma.filter((r) => r.met === null);
  if (!unmet.length && !unknownReq.length) return { mode: 'p2pdma', p2pdma, nvidiaFs, allowCompat, why: 'every P2PDMA requirement holds: the GPU BAR is a kernel P2PDMA provider, no nvidia-fs needed' };
  const notP2p = unmet.length ? `not P2PDMA mode: ${unmet.map((r) => r.what).join(', ')} not met` : `P2PDMA mode undecided: ${unknownReq.map((r) => r.what).join(', ')} unknown`;
  if (nvidiaFs) return { mode: 'nvidia-fs', p2pdma, nvidiaFs, allowCompat, why: `nvidia_fs is loaded (${notP2p})` };
  const nofs = nvidiaFs === false ? 'nvidia_fs not loaded' : 'nvidia_fs unknown';
  if (allowCompat) return { mode: 'compat', p2pdma, nvidiaFs, allowCompat, why: `${nofs} and ${notP2p}: reads go through host bounce buffers` };
  return { mode: 'none', p2pdma, nvidiaFs, allowCompat, why: `${nofs}, ${notP2p} and allow_compat_mode=false: cuFile I/O fails` };
}

const nvidiaGpus = (input: DoctorInput) => input.fabric.devices.filter((d) => isNvidiaGpu(d) && !d.physfn);

export const gdsModeCheck: CheckDef = {
  id: 'gpu.gds-mode',
  group: 'gpu',
  title: 'GPUDirect Storage mode',
  describe: 'Which mode cuFile would use: P2PDMA (kernel >= 6.2 with p2pdma_pgmap_ops, open modules >= 565, use_pci_p2pdma, no NVMe multipath, RMForceStaticBar1=1), nvidia-fs, or compatibility mode through host memory.',
  run(input) {
    const gpus = nvidiaGpus(input);
    if (!gpus.length) return { status: 'skip', evidence: ['no NVIDIA GPU'], devices: [] };
    const d = decideGdsMode(input);
    const mark = (m: boolean | null) => (m === null ? '?' : m ? 'yes' : 'no');
    const evidence = [
      `mode: ${d.mode === 'none' ? 'none (I/O fails)' : d.mode}: ${d.why}`,
      ...d.p2pdma.map((r) => `P2PDMA needs ${r.what}: ${mark(r.met)} — ${r.seen}`),
      `nvidia_fs loaded: ${mark(d.nvidiaFs)}`,
    ];
    const fix: string[] = [];
    for (const r of d.p2pdma.filter((x) => x.met === false)) {
      if (r.what.startsWith('kernel')) fix.push('P2PDMA mode: boot a kernel >= 6.2 with CONFIG_PCI_P2PDMA=y and CONFIG_ZONE_DEVICE=y');
      else if (r.what.startsWith('open')) fix.push('P2PDMA mode: install the open GPU kernel modules (nvidia-open, 565 or later)');
      else if (r.what.startsWith('NVIDIA driver')) fix.push('P2PDMA mode: upgrade to NVIDIA driver 565 or later (and CUDA 12.8 or later)');
      else if (r.what.startsWith('use_pci_p2pdma')) fix.push('P2PDMA mode: set "use_pci_p2pdma": true under "properties" in /etc/cufile.json');
      else if (r.what.startsWith('NVMe')) fix.push('P2PDMA mode: boot with nvme_core.multipath=N');
      else if (r.what.startsWith('RMForceStaticBar1')) fix.push('P2PDMA mode: options nvidia NVreg_RegistryDwords="RMForceStaticBar1=1" in /etc/modprobe.d/, then reload the driver');
      else if (r.what.startsWith('p2pdma_pgmap_ops')) fix.push('P2PDMA mode: the kernel lacks P2PDMA (CONFIG_PCI_P2PDMA): use a kernel built with it');
    }
    if (d.mode === 'compat' || d.mode === 'none') fix.push('or nvidia-fs mode: install nvidia-gds and modprobe nvidia_fs');
    const status: Status = d.mode === 'p2pdma' || d.mode === 'nvidia-fs' ? 'ok' : d.mode === 'compat' ? 'warn' : 'fail';
    return { status, evidence, fix: status === 'ok' ? undefined : fix, devices: gpus.map((g) => g.bdf) };
  },
};

/** BAR1 of an NVIDIA GPU: the BAR at index 1 (the 64-bit prefetchable window onto GPU memory). */
function bar1(d: DoctorInput['fabric']['devices'][number]): bigint | null {
  const b = d.bars.find((x) => x.index === 1 && x.kind === 'mem');
  return b ? b.size : null;
}

export const bar1Check: CheckDef = {
  id: 'gpu.bar1',
  group: 'gpu',
  title: 'GPU BAR1 against GPU memory',
  describe: 'NVIDIA GPUs whose BAR1 is smaller than their memory: peers (NVMe, NICs) reach only a window of it, and the P2PDMA mode (static BAR1) cannot map it all.',
  run(input) {
    const gpus = nvidiaGpus(input);
    if (!gpus.length) return { status: 'skip', evidence: ['no NVIDIA GPU'], devices: [] };
    const mem = input.env.gpu?.gpuMemory;
    const evidence: string[] = [];
    const statuses: Status[] = [];
    const devices: string[] = [];
    for (const g of gpus) {
      const b = bar1(g);
      const m = mem?.known ? mem.value.get(g.bdf) ?? null : null;
      if (b === null) { statuses.push('skip'); evidence.push(`${deviceLabel(g)}: BAR1 size unknown`); continue; }
      if (m === null) { statuses.push('ok'); evidence.push(`${deviceLabel(g)}: BAR1 ${formatBytes(b)}; GPU memory unknown (${mem ? (mem.known ? 'not listed by CUDA' : mem.reason) : 'not gathered'})`); continue; }
      if (b >= BigInt(m)) { statuses.push('ok'); evidence.push(`${deviceLabel(g)}: BAR1 ${formatBytes(b)} covers its ${formatBytes(BigInt(m))} of memory`); continue; }
      statuses.push('warn');
      devices.push(g.bdf);
      evidence.push(`${deviceLabel(g)}: BAR1 ${formatBytes(b)} is smaller than its ${formatBytes(BigInt(m))} of memory: peers see a window, static BAR1 (P2PDMA mode) cannot map it all`);
    }
    const status: Status = statuses.includes('warn') ? 'warn' : statuses.every((s) => s === 'skip') ? 'skip' : 'ok';
    return {
      status, evidence, devices,
      fix: status === 'warn' ? ['enable Resizable BAR and Above 4G Decoding in the BIOS (see mem.gpu-bar); datacenter GPUs: nvidia-smi -q -d MEMORY shows BAR1 total; some need a mode switch (displaymodeselector) for a large BAR1'] : undefined,
    };
  },
};

export const gdscheckCheck: CheckDef = {
  id: 'gpu.gdscheck',
  group: 'gpu',
  title: 'What gdscheck -p would report',
  describe: 'The platform lines of NVIDIA\'s gdscheck -p as this machine\'s facts give them: NVMe P2PDMA and nvidia-fs support, IOMMU, the driver, nvidia_peermem for GPUDirect RDMA.',
  run(input) {
    const gpus = nvidiaGpus(input);
    if (!gpus.length) return { status: 'skip', evidence: ['no NVIDIA GPU'], devices: [] };
    const d = decideGdsMode(input);
    const drv = input.env.gpu?.nvidiaDriver;
    const iommu = input.fabric.host.iommuEnabled;
    const peermem = hasModule(input, 'nvidia_peermem');
    const sup = (x: boolean | null) => (x === null ? 'Unknown' : x ? 'Supported' : 'Unsupported');
    const evidence = [
      `NVMe P2PDMA        : ${sup(d.mode === 'p2pdma' ? true : d.p2pdma.some((r) => r.met === false) ? false : null)}`,
      `NVMe               : ${sup(d.nvidiaFs)}${d.nvidiaFs ? ' (nvidia_fs)' : ''}`,
      `IOMMU              : ${iommu === null ? 'unknown' : iommu ? 'enabled' : 'disabled'}`,
      `Nvidia Driver Info : ${drv?.known ? `${drv.value.version ?? 'version unknown'}${drv.value.open === null ? '' : drv.value.open ? ' (Nvidia Open Driver Installed)' : ' (proprietary driver)'}` : drv ? drv.reason : 'not gathered'}`,
      `nvidia_peermem     : ${peermem === null ? 'unknown' : peermem ? 'loaded (GPUDirect RDMA through ibv_reg_mr)' : 'not loaded (GPUDirect RDMA only through DMA-BUF)'}`,
      `compat mode        : ${d.allowCompat ? 'allowed' : 'disallowed'}; cuFile would run in ${d.mode === 'none' ? 'no' : d.mode} mode`,
    ];
    // gdscheck rejects nvidia-fs mode with the IOMMU on (DMA addresses are remapped); P2PDMA mode copes with it.
    const iommuBlocks = iommu === true && d.mode === 'nvidia-fs';
    if (iommuBlocks) evidence.push('the IOMMU is enabled: gdscheck reports the nvidia-fs path as unsupported (iommu=off or iommu=pt)');
    const status: Status = d.mode === 'p2pdma' || (d.mode === 'nvidia-fs' && !iommuBlocks) ? 'ok' : 'warn';
    return { status, evidence, devices: [], fix: iommuBlocks ? ['boot with iommu=pt (intel_iommu=on iommu=pt) or switch to the P2PDMA mode (see gpu.gds-mode)'] : undefined };
  },
};
