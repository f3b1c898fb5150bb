// Driver and software checks: bound drivers, NVIDIA modules, cuFile configuration, io_uring, O_DIRECT.
import type { CheckDef, DoctorInput, Status } from './types.js';
import { capped, deviceLabel, isNvidiaGpu, parseKernelVersion, versionAtLeast, worst } from './util.js';

export const driverBoundCheck: CheckDef = {
  id: 'driver.bound',
  group: 'driver',
  title: 'Drivers bound',
  describe: 'GPUs, NVMe drives, NICs and accelerators without a bound driver (nothing can do DMA with them), and devices bound to vfio-pci (owned by a VM).',
  run({ fabric }, ctx) {
    if (fabric.source.method === 'dump') return { status: 'skip', evidence: ['an lspci dump does not record bound drivers'], devices: [] };
    const devs = ctx.candidates().filter((d) => !d.physfn);
    if (devs.length === 0) return { status: 'skip', evidence: ['no GPU, NVMe, NIC or accelerator'], devices: [] };
    const unbound = devs.filter((d) => !d.driver);
    const vfio = devs.filter((d) => d.driver === 'vfio-pci');
    const evidence: string[] = [];
    if (unbound.length) evidence.push(`no driver: ${capped(unbound.map(deviceLabel), 10).join(', ')}`);
    if (vfio.length) evidence.push(`vfio-pci (passed to a VM or userspace driver): ${capped(vfio.map(deviceLabel), 10).join(', ')}`);
    const bound = devs.filter((d) => d.driver && d.driver !== 'vfio-pci');
    if (bound.length) evidence.push(`bound: ${capped(bound.map((d) => `${deviceLabel(d)} ${d.driver}`), 10).join(', ')}`);
    if (!unbound.length) return { status: 'ok', evidence, devices: vfio.map((d) => d.bdf) };
    return {
      status: 'warn',
      evidence,
      fix: ['load the driver (modprobe nvidia / nvme / mlx5_core ...) and check dmesg for why it did not bind; lspci -k shows "Kernel modules" that could'],
      devices: unbound.map((d) => d.bdf),
    };
  },
};

function hasModule(mods: string[], name: string): boolean {
  const n = name.replace(/-/g, '_');
  return mods.some((m) => m.replace(/-/g, '_') === n);
}

export const nvidiaModulesCheck: CheckDef = {
  id: 'driver.nvidia',
  group: 'driver',
  title: 'NVIDIA kernel modules',
  describe: 'With NVIDIA GPUs: nvidia loaded (and bound, not nouveau), nvidia_peermem when RDMA NICs are present (GPUDirect RDMA), nvidia_fs when NVMe drives are present (GPUDirect Storage without compatibility mode).',
  run({ fabric, env }) {
    const gpus = fabric.devices.filter(isNvidiaGpu);
    if (gpus.length === 0) return { status: 'skip', evidence: ['no NVIDIA GPU'], devices: [] };
    if (!env.modules.known) return { status: 'skip', evidence: [`loaded modules unknown: ${env.modules.reason}`], devices: gpus.map((g) => g.bdf) };
    const mods = env.modules.value;
    const evidence: string[] = [];
    const statuses: Status[] = [];
    const fix: string[] = [];
    const nouveau = gpus.filter((g) => g.driver === 'nouveau');
    if (!hasModule(mods, 'nvidia') || nouveau.length) {
      statuses.push('fail');
      evidence.push(nouveau.length ? `${nouveau.map(deviceLabel).join(', ')} bound to nouveau: no GPUDirect` : `nvidia is not loaded (${env.modules.source}): no GPUDirect of any kind`);
      fix.push('install and load the NVIDIA driver (blacklist nouveau)');
    } else {
      evidence.push('nvidia loaded');
    }
    const rdmaNics = fabric.devices.filter((d) => d.kind === 'nic' && (d.vendorId === '15b3' || (d.raw.classNames?.infiniband?.length ?? 0) > 0 || d.classCode?.startsWith('0207')));
    if (rdmaNics.length) {
      if (hasModule(mods, 'nvidia_peermem')) evidence.push('nvidia_peermem loaded: RDMA NICs can register GPU memory');
      else {
        statuses.push('warn');
        evidence.push(`nvidia_peermem not loaded, with ${rdmaNics.length} RDMA-capable NIC(s): ibv_reg_mr on GPU memory fails (unless the application uses DMA-BUF)`);
        fix.push('modprobe nvidia_peermem (ships with the NVIDIA driver; add it to /etc/modules-load.d/) or use DMA-BUF registration (ibv_reg_dmabuf_mr, kernel 5.12+)');
      }
    }
    const nvme = fabric.devices.filter((d) => d.kind === 'nvme');
    if (nvme.length) {
      if (hasModule(mods, 'nvidia_fs')) evidence.push('nvidia_fs loaded: GPUDirect Storage can use its own P2P path');
      else {
        statuses.push('warn');
        evidence.push(`nvidia_fs not loaded, with ${nvme.length} NVMe drive(s): cuFile falls back to compatibility mode (bounce buffers) unless cufile.json has use_pci_p2pdma on a P2PDMA kernel (see sw.cufile)`);
        fix.push('install nvidia-fs (nvidia-gds package) and modprobe nvidia_fs, or enable properties.use_pci_p2pdma in /etc/cufile.json on a kernel >= 6.2 with CONFIG_PCI_P2PDMA');
      }
    }
    const st = worst([...statuses, 'ok']);
    return { status: st, evidence, fix: fix.length ? fix : undefined, devices: gpus.map((g) => g.bdf) };
  },
};

/** JSON with // and /* *\/ comments, as NVIDIA ships cufile.json. Strings are respected. */
export function parseJsonWithComments(text: string): unknown {
  let out = '';
  let i = 0;
  let inStr = false;
  while (i < text.length) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '"') inStr = false;
      i++;
      continue;
    }
    if (c === '"') {
      inStr = true;
      out += c;
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    out += c;
    i++;
  }
  // NVIDIA's sample also tolerates trailing commas.
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

function prop(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function p2pdmaKernel(input: DoctorInput): boolean | null {
  const v = parseKernelVersion(input.fabric.host.kernelRelease);
  const cfg = input.fabric.host.kernelConfig?.get('CONFIG_PCI_P2PDMA') ?? null;
  const providers = input.fabric.devices.some((d) => d.p2pmem);
  if (v && !versionAtLeast(v, 6, 2)) return false;
  if (cfg === 'y' || providers) return v ? true : null;
  if (cfg !== null || input.fabric.host.kernelConfig) return false;
  return null;
}

export const cufileCheck: CheckDef = {
  id: 'sw.cufile',
  group: 'sw',
  title: 'cuFile (GPUDirect Storage) configuration',
  describe: '/etc/cufile.json when present: a parse error, force_compat_mode, or neither nvidia_fs nor use_pci_p2pdma usable (silent compatibility mode when allow_compat_mode is true, failing I/O when false).',
  run(input) {
    const { env } = input;
    if (!env.cufile.known) return { status: 'skip', evidence: [env.cufile.reason], devices: [] };
    if (env.cufile.value === null) return { status: 'skip', evidence: [`no cufile.json (${env.cufile.source}): GPUDirect Storage is not installed or uses CUFILE_ENV_PATH_JSON`], devices: [] };
    const { path, text } = env.cufile.value;
    let json: unknown;
    try {
      json = parseJsonWithComments(text);
    } catch (e) {
      return {
        status: 'fail',
        evidence: [`${path} is not valid JSON: ${(e as Error).message}`, 'libcufile refuses to initialise with a broken configuration'],
        fix: [`fix the syntax of ${path} (comments are allowed, other extensions are not)`],
        devices: [],
      };
    }
    const allowCompat = prop(json, 'properties', 'allow_compat_mode');
    const forceCompat = prop(json, 'properties', 'force_compat_mode');
    const useP2pdma = prop(json, 'properties', 'use_pci_p2pdma');
    const evidence = [
      `${path}: properties.allow_compat_mode=${allowCompat ?? '(default true)'}, force_compat_mode=${forceCompat ?? '(default false)'}, use_pci_p2pdma=${useP2pdma ?? '(default false)'}`,
    ];
    if (forceCompat === true) {
      return {
        status: 'fail',
        evidence: [...evidence, 'force_compat_mode=true: every cuFile read/write goes through host bounce buffers, never direct'],
        fix: [`set "force_compat_mode": false in ${path}`],
        devices: [],
      };
    }
    const nvfs = env.modules.known ? hasModule(env.modules.value, 'nvidia_fs') : null;
    const kernelP2p = p2pdmaKernel(input);
    if (useP2pdma === true && kernelP2p === false) evidence.push('use_pci_p2pdma=true, but this kernel has no usable P2PDMA (needs >= 6.2 with CONFIG_PCI_P2PDMA; see kernel.*)');
    const direct = nvfs === true || (useP2pdma === true && kernelP2p === true);
    if (direct) {
      evidence.push(nvfs ? 'nvidia_fs is loaded: direct path available' : 'use_pci_p2pdma on a P2PDMA kernel: direct path available');
      if (allowCompat !== false) evidence.push('allow_compat_mode is on: if the direct path fails for a file, cuFile falls back silently (set it false while validating)');
      return { status: 'ok', evidence, devices: [] };
    }
    if (nvfs === null && (useP2pdma !== true || kernelP2p === null)) {
      return { status: 'skip', evidence: [...evidence, `cannot tell whether a direct path exists: ${env.modules.known ? 'kernel P2PDMA support unknown' : env.modules.reason}`], devices: [] };
    }
    const fix = [
      'load nvidia_fs (nvidia-gds), or on a kernel >= 6.2 with CONFIG_PCI_P2PDMA set "use_pci_p2pdma": true under "properties" (and under fs/block nvme where your cufile.json has them)',
    ];
    if (allowCompat === false) {
      return { status: 'fail', evidence: [...evidence, 'no direct path (nvidia_fs not loaded, P2PDMA not usable) and allow_compat_mode=false: cuFile I/O fails'], fix, devices: [] };
    }
    return {
      status: 'warn',
      evidence: [...evidence, 'no direct path (nvidia_fs not loaded, P2PDMA not usable): cuFile silently runs in compatibility mode through host bounce buffers'],
      fix,
      devices: [],
    };
  },
};

export const ioUringCheck: CheckDef = {
  id: 'sw.io-uring',
  group: 'sw',
  title: 'io_uring',
  describe: 'Whether io_uring can be used: kernel.io_uring_disabled (0 ok, 1 only privileged or io_uring_group, 2 off), CONFIG_IO_URING, and on the live machine a real io_uring_setup.',
  run({ fabric, env }) {
    if (env.ioUringProbe.known) {
      const p = env.ioUringProbe.value;
      if (p.available) return { status: 'ok', evidence: [`io_uring_setup succeeded (${env.ioUringProbe.source})`], devices: [] };
      return {
        status: 'fail',
        evidence: [`io_uring_setup failed: ${p.reason ?? 'unknown reason'}`, ...(env.ioUringDisabled.known && env.ioUringDisabled.value !== null ? [`kernel.io_uring_disabled=${env.ioUringDisabled.value}`] : [])],
        fix: ['sysctl kernel.io_uring_disabled=0 (or add the user to kernel.io_uring_group when it is 1); containers: allow io_uring_* syscalls in the seccomp profile; p2p bench falls back to psync'],
        devices: [],
      };
    }
    const cfg = fabric.host.kernelConfig?.get('CONFIG_IO_URING') ?? null;
    if (cfg === 'n') {
      return { status: 'fail', evidence: ['# CONFIG_IO_URING is not set: the kernel has no io_uring'], fix: ['use a kernel with CONFIG_IO_URING=y; p2p bench falls back to psync'], devices: [] };
    }
    if (!env.ioUringDisabled.known) return { status: 'skip', evidence: [env.ioUringDisabled.reason], devices: [] };
    const v = env.ioUringDisabled.value;
    if (v === null) {
      if (cfg === 'y') return { status: 'ok', evidence: ['CONFIG_IO_URING=y and no kernel.io_uring_disabled sysctl (kernels before 6.6): io_uring enabled'], devices: [] };
      return { status: 'skip', evidence: ['no kernel.io_uring_disabled sysctl and CONFIG_IO_URING unknown'], devices: [] };
    }
    if (v === 0) return { status: 'ok', evidence: [`kernel.io_uring_disabled=0 (${env.ioUringDisabled.source}): io_uring available to all`], devices: [] };
    if (v === 1) {
      return {
        status: 'warn',
        evidence: ['kernel.io_uring_disabled=1: only processes with CAP_SYS_ADMIN or in kernel.io_uring_group may create rings'],
        fix: ['run as root, add the user to the group named by kernel.io_uring_group, or sysctl kernel.io_uring_disabled=0'],
        devices: [],
      };
    }
    return {
      status: 'fail',
      evidence: [`kernel.io_uring_disabled=${v}: io_uring is off for everyone`],
      fix: ['sysctl kernel.io_uring_disabled=0 (security policy permitting); p2p bench falls back to psync'],
      devices: [],
    };
  },
};

export const odirectCheck: CheckDef = {
  id: 'sw.odirect',
  group: 'sw',
  title: 'O_DIRECT on the bench file',
  describe: 'Whether the file given with --file opens with O_DIRECT (needed for P2P reads into p2pmem or GPU memory; tmpfs before 6.6, overlayfs and some FUSE filesystems refuse it). Live machine only.',
  run({ env }) {
    if (!env.odirect.known) return { status: 'skip', evidence: [env.odirect.reason], devices: [] };
    const p = env.odirect.value;
    const where = p.fsType ? ` (${p.fsType}${p.mountPoint ? ` on ${p.mountPoint}` : ''})` : '';
    if (p.ok) return { status: 'ok', evidence: [`${p.path}${where} opens with O_DIRECT`], devices: [] };
    return {
      status: 'fail',
      evidence: [`${p.path}${where}: open with O_DIRECT failed: ${p.error ?? 'unknown error'}`, 'without O_DIRECT the page cache sits between storage and the peer: no P2P DMA'],
      fix: ['put the bench file on a filesystem that supports O_DIRECT (ext4, xfs, a raw NVMe namespace), not tmpfs/overlayfs'],
      devices: [],
    };
  },
};
