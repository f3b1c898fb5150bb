// Machine-wide facts under a filesystem root: CPU vendor/family, kernel, command line, config, NUMA, IOMMU.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FILL_IOMMU_TYPES, FILL_KERNEL_CONFIG, FILL_NONE, type HostInfo } from './types.js';
import { readSysfsDirWithFs, type SysfsDirReader } from './sysfs-dir-reader.js';
import { loadZlib } from './tar.js';
import { HOST_FILE } from './sysfs-files.js';

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** `CONFIG_X=y` lines into a map; `# CONFIG_X is not set` becomes "n". */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) out.set(set[1], set[2].replace(/^"(.*)"$/, '$1'));
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set/.exec(line);
    if (unset) out.set(unset[1], 'n');
  }
  return out;
}

/** First processor's vendor_id and cpu family from /proc/cpuinfo text. */
export function parseCpuinfo(text: string): { vendor: string | null; family: number | null } {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(text)?.[1] ?? null;
  const fam = /^cpu family\s*:\s*(\d+)/m.exec(text)?.[1];
  return { vendor, family: fam === undefined ? null : parseInt(fam, 10) };
}

/** The architecture a /proc/cpuinfo was written on: each kernel port prints its own fields. */
export function archFromCpuinfo(text: string): string | null {
  if (/^vendor_id\s*:\s*IBM\/S390/m.test(text)) return 's390x';
  if (/^vendor_id\s*:/m.test(text) || /^flags\s*:.*\b(fpu|sse2)\b/m.test(text)) return 'x64';
  if (/^CPU implementer\s*:/m.test(text)) return 'arm64';
  if (/^cpu\s*:\s*POWER/m.test(text)) return 'ppc64';
  if (/^isa\s*:\s*rv/m.test(text)) return 'riscv64';
  return null;
}

/** "0-1,3" -> [0,1,3] */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => parseInt(x, 10));
    if (Number.isNaN(a)) continue;
    for (let i = a; i <= (Number.isNaN(b) || b === undefined ? a : b); i++) out.push(i);
  }
  return out;
}

/** The kernel release in /proc/version's text ("Linux version 6.12.1-foo (...)"), for when osrelease is absent. */
export function kernelReleaseFromVersion(text: string): string | null {
  return /Linux version (\S+)/.exec(text)?.[1] ?? null;
}

/**
 * Host facts under `root`, with the FILL_KERNEL_CONFIG / FILL_IOMMU_TYPES facts `fill` asks (the rest
 * stay null until fillHostInfo); `readDir` batches the IOMMU group reads (plain fs unless the addon's is given).
 */
export function readHostInfo(root: string, live: boolean, readDir: SysfsDirReader = readSysfsDirWithFs, fill = FILL_NONE): HostInfo {
  const cpu = readText(path.join(root, HOST_FILE.cpuinfo));
  const { vendor, family } = cpu ? parseCpuinfo(cpu) : { vendor: null, family: null };
  const cmdline = readText(path.join(root, HOST_FILE.cmdline))?.trim() ?? null;
  let release = readText(path.join(root, HOST_FILE.osrelease))?.trim() ?? null;
  if (!release) {
    const version = readText(path.join(root, HOST_FILE.version));
    release = version ? kernelReleaseFromVersion(version) : null;
  }
  // Live: uname -r, when /proc is not mounted (a container) or hides the files.
  if (!release && live) release = os.release();
  const online = readText(path.join(root, HOST_FILE.numaOnline));
  const numaNodes = online ? parseCpuList(online) : null;

  let iommuEnabled: boolean | null;
  try {
    iommuEnabled = fs.readdirSync(path.join(root, 'sys/class/iommu')).length > 0;
  } catch {
    iommuEnabled = null;
  }
  const groups = listIommuGroups(root);
  if (iommuEnabled === null && groups !== null) iommuEnabled = groups.length > 0;
  const host: HostInfo = {
    cpuVendor: vendor,
    cpuFamily: family,
    arch: cpu ? archFromCpuinfo(cpu) : live ? process.arch : null,
    cmdline,
    kernelRelease: release,
    kernelConfig: null,
    numaNodes,
    iommuEnabled,
    iommuGroupTypes: null,
    isRoot: live ? process.getuid?.() === 0 : null,
  };
  fillHostInfo(host, root, fill, readDir);
  return host;
}

function listIommuGroups(root: string): string[] | null {
  try {
    return fs.readdirSync(path.join(root, 'sys/kernel/iommu_groups'));
  } catch {
    return null; // no iommu_groups: either no IOMMU or not captured
  }
}

/**
 * Reads the host facts `fields` asks into `host`: the kernel config (a gunzip and ~10k lines) and
 * every group's domain type (a file per group). `p2p topo` needs neither, `p2p doctor` and `p2p show` do.
 */
export function fillHostInfo(host: HostInfo, root: string, fields: number, readDir: SysfsDirReader = readSysfsDirWithFs): void {
  if (fields & FILL_KERNEL_CONFIG) host.kernelConfig = readKernelConfig(root, host.kernelRelease);
  if (fields & FILL_IOMMU_TYPES) {
    const groups = listIommuGroups(root);
    host.iommuGroupTypes = groups === null ? null : readIommuGroupTypes(path.join(root, 'sys/kernel/iommu_groups'), groups, readDir);
  }
}

/** /proc/config.gz, else /boot/config-RELEASE, under root; null when neither is there. */
function readKernelConfig(root: string, release: string | null): Map<string, string> | null {
  try {
    const gz = fs.readFileSync(path.join(root, HOST_FILE.kernelConfig));
    return parseKernelConfig(loadZlib().gunzipSync(gz).toString('utf8'));
  } catch {
    const text = release ? readText(path.join(root, 'boot', `config-${release}`)) : null;
    return text ? parseKernelConfig(text) : null;
  }
}

/** Every group's `type` in one batch: machines have hundreds of groups. */
function readIommuGroupTypes(groupsDir: string, groups: string[], readDir: SysfsDirReader): Map<string, string> {
  const types = new Map<string, string>();
  const r = readDir(groupsDir, groups.map((g) => `${g}/type`), [], 0);
  groups.forEach((g, i) => {
    const t = 'error' in r ? null : r.files[i]?.trim();
    if (t) types.set(g, t);
  });
  return types;
}
