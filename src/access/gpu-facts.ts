// The GPU side's facts for `p2p doctor`, read under a filesystem root (live `/` or a captured tree):
// the NVIDIA kernel module (version, open or proprietary), its registry parameters, P2PDMA support in
// the running kernel (p2pdma_pgmap_ops in kallsyms), NVMe native multipath, and GPU memory sizes when
// the live machine's CUDA driver can be asked. Unknown facts say why.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { known, unknown, type GpuEnvFacts, type NvidiaDriverFacts } from '../model/doctor/types.js';

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build ..." -> facts. */
export function parseNvidiaVersion(text: string): { version: string | null; open: boolean | null } {
  const line = text.split('\n').find((l) => l.startsWith('NVRM version:')) ?? '';
  const version = /\b(\d{3,}\.\d+(?:\.\d+)?)\b/.exec(line)?.[1] ?? null;
  const open = line ? /Open Kernel Module/i.test(line) : null;
  return { version, open: line ? open : null };
}

/** A registry key from /proc/driver/nvidia/params (`RegistryDwords: "RMForceStaticBar1=1;..."`). */
export function registryDword(paramsText: string, key: string): string | null {
  const line = paramsText.split('\n').find((l) => /^RegistryDwords\s*:/.test(l));
  if (!line) return null;
  const v = line.replace(/^RegistryDwords\s*:\s*/, '').replace(/^"|"$/g, '');
  for (const kv of v.split(/[;,]/)) {
    const [k, val] = kv.split('=').map((x) => x.trim());
    if (k === key) return val ?? null;
  }
  return null;
}

/** modinfo -F license nvidia (live only): "Dual MIT/GPL" for the open modules, "NVIDIA" for the proprietary. */
function modinfoLicense(): string | null {
  try {
    return execFileSync('modinfo', ['-F', 'license', 'nvidia'], { encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function driverFacts(at: (p: string) => string, rel: (p: string) => string, live: boolean) {
  const procVersion = readText(at('proc/driver/nvidia/version'));
  const sysVersion = readText(at('sys/module/nvidia/version'))?.trim() ?? null;
  const taint = readText(at('sys/module/nvidia/taint'))?.trim() ?? null;
  if (procVersion === null && sysVersion === null) return unknown<NvidiaDriverFacts>(`no nvidia module (${rel('proc/driver/nvidia/version')} and ${rel('sys/module/nvidia/version')} absent)`);
  const p = procVersion ? parseNvidiaVersion(procVersion) : { version: null, open: null };
  const license = live ? modinfoLicense() : null;
  // The open modules are GPL-compatible (no 'P' taint); the proprietary ones taint the kernel with 'P'.
  let open = p.open;
  let how = procVersion ? rel('proc/driver/nvidia/version') : '';
  if (license) { open = license === 'Dual MIT/GPL'; how = `modinfo license "${license}"`; }
  else if (open === null && taint !== null) { open = !taint.includes('P'); how = `${rel('sys/module/nvidia/taint')} "${taint}"`; }
  return known<NvidiaDriverFacts>({ version: p.version ?? sysVersion, open, openSource: open === null ? null : how }, procVersion ? rel('proc/driver/nvidia/version') : rel('sys/module/nvidia/version'));
}

export interface GpuFactOptions {
  root: string;
  live: boolean;
  rel(p: string): string;
  /** GPU memory by BDF from the CUDA driver (live with the addon); injected so tests need none. */
  gpuMemory?: () => Map<string, number> | null;
}

export function gatherGpuFacts(o: GpuFactOptions): GpuEnvFacts {
  const at = (p: string) => path.join(o.root, p);
  const kallsyms = readText(at('proc/kallsyms'));
  const params = readText(at('proc/driver/nvidia/params'));
  const mp = readText(at('sys/module/nvme_core/parameters/multipath'));
  let gpuMemory = unknown<Map<string, number>>(o.live ? 'the CUDA driver could not be asked (no libcuda or no addon)' : 'GPU memory sizes come from the CUDA driver of the live machine');
  const mem = o.live && o.gpuMemory ? o.gpuMemory() : null;
  if (mem) gpuMemory = known(mem, 'cuDeviceTotalMem');
  return {
    nvidiaDriver: driverFacts(at, o.rel, o.live),
    p2pdmaPgmapOps: kallsyms === null ? unknown(`${o.rel('proc/kallsyms')} is not readable`) : known(/\sp2pdma_pgmap_ops\b/.test(kallsyms), o.rel('proc/kallsyms')),
    staticBar1: params === null ? unknown(`no ${o.rel('proc/driver/nvidia/params')}`) : known(registryDword(params, 'RMForceStaticBar1') === '1', o.rel('proc/driver/nvidia/params')),
    nvmeMultipath: mp === null ? unknown(`no ${o.rel('sys/module/nvme_core/parameters/multipath')}`) : known(/^\s*[Y1]/.test(mp), o.rel('sys/module/nvme_core/parameters/multipath')),
    gpuMemory,
  };
}

/** GPU memory by BDF from the live CUDA driver through the addon; undefined when the addon cannot load. */
export async function nativeGpuMemory(): Promise<(() => Map<string, number> | null) | undefined> {
  const addon = await import('../native/addon.js');
  if (!addon.addonStatus().loaded) return undefined;
  return () => {
    const p = addon.probeGpus('cuda', process.env.P2P_LIBCUDA ?? 'libcuda.so.1');
    if (!p.available) return null;
    const out = new Map<string, number>();
    for (const d of p.devices) {
      const m = d.pciBusId ? /([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/i.exec(d.pciBusId) : null;
      if (m && d.totalMem) out.set(`${d.pciBusId!.slice(-12, -8).toLowerCase()}:${m[1].toLowerCase()}`, d.totalMem);
    }
    return out;
  };
}
