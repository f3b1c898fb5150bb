// Access method for live sysfs under any filesystem root (`/` or a captured tree given with --root).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { UserError } from '../errors.js';
import type { RawDevice, RawFabric, RawP2pmem, RawResource } from './types.js';
import { readHostInfo } from './host-info.js';

const BDF_RE = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const BDF_IN_PATH = /([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/g;

export type ConfigReader = (file: string, max: number) => { bytes: Uint8Array; length: number };

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'latin1').trim();
  } catch {
    return null;
  }
}

function readHexId(file: string): string | null {
  const t = readText(file);
  if (t === null || !/^0x[0-9a-fA-F]+$/.test(t)) return null;
  return t.slice(2).toLowerCase();
}

function readInt(file: string): number | null {
  const t = readText(file);
  if (t === null || !/^-?\d+$/.test(t)) return null;
  return parseInt(t, 10);
}

function linkBase(file: string): string | null {
  try {
    return path.basename(fs.readlinkSync(file));
  } catch {
    return null;
  }
}

/** Reads a config file through plain fs; the kernel returns 64 bytes to non-root readers. */
export function readConfigWithFs(file: string, max: number): { bytes: Uint8Array; length: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = new Uint8Array(max);
    let got = 0;
    while (got < max) {
      const n = fs.readSync(fd, buf, got, max - got, got);
      if (n <= 0) break;
      got += n;
    }
    return { bytes: buf, length: got };
  } finally {
    fs.closeSync(fd);
  }
}

function parseResources(text: string | null): RawResource[] | undefined {
  if (text === null) return undefined;
  const out: RawResource[] = [];
  text.split('\n').forEach((line, index) => {
    const m = /^0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)$/i.exec(line.trim());
    if (m) out.push({ index, start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), flags: parseInt(m[3], 16) });
  });
  return out;
}

function readP2pmem(dir: string): RawP2pmem | null {
  const p = path.join(dir, 'p2pmem');
  if (!fs.existsSync(p)) return null;
  const published = readInt(path.join(p, 'published'));
  return {
    size: readInt(path.join(p, 'size')),
    available: readInt(path.join(p, 'available')),
    published: published === null ? null : published !== 0,
  };
}

/** Maps a symlink under `root` to a path under `root`, even when the link is absolute. */
function resolveUnderRoot(root: string, linkPath: string): string | null {
  let target: string;
  try {
    target = fs.readlinkSync(linkPath);
  } catch {
    return null;
  }
  if (path.isAbsolute(target)) return path.join(root, target);
  return path.resolve(path.dirname(linkPath), target);
}

type ClassNames = NonNullable<RawDevice['classNames']>;

/** Kernel names (nvme0, eth0, mlx5_0, card0...) by the BDF their class link points into. */
function readClassNames(root: string): Map<string, ClassNames> {
  const out = new Map<string, ClassNames>();
  const classes: (keyof ClassNames)[] = ['nvme', 'block', 'net', 'infiniband', 'drm'];
  for (const cls of classes) {
    const dir = path.join(root, 'sys/class', cls);
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of entries.sort()) {
      let target: string;
      try {
        target = fs.readlinkSync(path.join(dir, name));
      } catch {
        continue;
      }
      const bdfs = target.match(BDF_IN_PATH);
      if (!bdfs) continue;
      const bdf = bdfs[bdfs.length - 1];
      if (cls === 'block' && !/^nvme\d+n\d+$/.test(name)) {
        // Partitions and virtual disks sit under the same BDF; keep whole namespaces only.
        if (/p\d+$/.test(name) || !/^(sd[a-z]+|vd[a-z]+|nvme\d+n\d+)$/.test(name)) continue;
      }
      if (cls === 'drm' && !/^card\d+$/.test(name)) continue;
      const entry = out.get(bdf) ?? {};
      (entry[cls] ??= []).push(name);
      out.set(bdf, entry);
    }
  }
  return out;
}

export interface SysfsOptions {
  /** Reads config space; defaults to plain fs. The native addon supplies one that reports bytes read. */
  readConfig?: ConfigReader;
}

export function readSysfsFabric(rootArg: string, opts: SysfsOptions = {}): RawFabric {
  const root = path.resolve(rootArg);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    throw new UserError(`--root ${rootArg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new UserError(`--root ${rootArg}: not a directory`);
  const devicesDir = path.join(root, 'sys/bus/pci/devices');
  let entries: string[];
  try {
    entries = fs.readdirSync(devicesDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`no PCI devices: ${devicesDir} does not exist (is ${rootArg} a filesystem root with sys/?)`);
    if (code === 'EACCES') throw new UserError(`cannot list ${devicesDir}: permission denied`);
    throw new UserError(`cannot list ${devicesDir}: ${(e as Error).message}`);
  }
  const readConfig = opts.readConfig ?? readConfigWithFs;
  const warnings: string[] = [];
  const classNames = readClassNames(root);
  const devices = new Map<string, RawDevice>();
  const dirs = new Map<string, string>();

  const pending: { bdf: string; dir: string; viaLink: boolean }[] = [];
  for (const name of entries.sort()) {
    if (!BDF_RE.test(name)) continue;
    const link = path.join(devicesDir, name);
    let dir: string | null = link;
    let viaLink = false;
    try {
      if (fs.lstatSync(link).isSymbolicLink()) {
        dir = resolveUnderRoot(root, link);
        viaLink = true;
      }
    } catch {
      dir = null;
    }
    if (!dir || !fs.existsSync(dir)) {
      warnings.push(`${name}: sys/bus/pci/devices/${name} is a dangling link; skipped`);
      continue;
    }
    pending.push({ bdf: name, dir, viaLink });
  }

  // Bridges that the kernel lists under sys/devices but not under bus/pci/devices (seen on real
  // machines): without them the tree would break, so read them from their directories.
  const known = new Set(pending.map((p) => p.bdf));
  for (const p of [...pending]) {
    if (!p.viaLink) continue;
    const parts = p.dir.split(path.sep);
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      if (BDF_RE.test(part) && !known.has(part)) {
        const dir = parts.slice(0, i + 1).join(path.sep);
        if (fs.existsSync(path.join(dir, 'config')) || fs.existsSync(path.join(dir, 'class'))) {
          warnings.push(`${part}: present in sys/devices but missing from sys/bus/pci/devices; read from ${path.relative(root, dir)}`);
          known.add(part);
          pending.push({ bdf: part, dir, viaLink: true });
        }
      }
    }
  }

  for (const { bdf, dir, viaLink } of pending) {
    dirs.set(bdf, dir);
    let config = ConfigSpace.empty();
    const cfgFile = path.join(dir, 'config');
    try {
      const r = readConfig(cfgFile, 4096);
      config = new ConfigSpace(r.bytes, r.length);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') warnings.push(`${bdf}: cannot read config space (${code ?? (e as Error).message})`);
    }
    let parentBdf: string | null | undefined;
    let hostBridge: string | null = null;
    if (viaLink) {
      // The directory path is the kernel's own hierarchy: .../pci0000:00/0000:00:01.0/0000:01:00.0
      const parts = dir.split(path.sep);
      const self = parts.lastIndexOf(bdf);
      const above = self > 0 ? parts[self - 1] : '';
      parentBdf = BDF_RE.test(above) ? above : null;
      const hb = parts.find((p) => /^pci[0-9a-f]{4,8}:[0-9a-f]{2}$/.test(p));
      hostBridge = hb ?? null;
    }
    const iommuGroup = linkBase(path.join(dir, 'iommu_group'));
    const physfn = linkBase(path.join(dir, 'physfn'));
    devices.set(bdf, {
      bdf,
      config,
      parentBdf,
      hostBridge,
      vendorId: readHexId(path.join(dir, 'vendor')),
      deviceId: readHexId(path.join(dir, 'device')),
      classCode: readHexId(path.join(dir, 'class'))?.padStart(6, '0') ?? null,
      subsystemVendorId: readHexId(path.join(dir, 'subsystem_vendor')),
      subsystemDeviceId: readHexId(path.join(dir, 'subsystem_device')),
      revision: readHexId(path.join(dir, 'revision')),
      driver: linkBase(path.join(dir, 'driver')),
      numaNode: readInt(path.join(dir, 'numa_node')),
      iommuGroup,
      localCpuList: readText(path.join(dir, 'local_cpulist')),
      currentLinkSpeed: readText(path.join(dir, 'current_link_speed')),
      currentLinkWidth: readInt(path.join(dir, 'current_link_width')),
      maxLinkSpeed: readText(path.join(dir, 'max_link_speed')),
      maxLinkWidth: readInt(path.join(dir, 'max_link_width')),
      resources: parseResources(readText(path.join(dir, 'resource'))),
      p2pmem: readP2pmem(dir),
      classNames: classNames.get(bdf),
      physfn: physfn && BDF_RE.test(physfn) ? physfn : null,
      origin: path.relative(root, dir) || dir,
    });
  }
  if (devices.size === 0) {
    throw new UserError(`no PCI devices found under ${devicesDir}`);
  }
  return {
    source: { method: 'sysfs', location: rootArg },
    devices: [...devices.values()],
    host: readHostInfo(root, root === '/'),
    warnings,
  };
}
