// Access method for live sysfs under any filesystem root (`/` or a captured tree given with --root).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { UserError } from '../errors.js';
import type { RawDevice, RawFabric, RawP2pmem, RawResource } from './types.js';
import { readHostInfo } from './host-info.js';
import { readAttr as readText } from './read-attr.js';

const BDF_RE = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const BDF_IN_PATH = /([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/g;

export type ConfigReader = (file: string, max: number) => { bytes: Uint8Array; length: number };

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

function readP2pmem(dir: string): RawP2pmem {
  const p = path.join(dir, 'p2pmem');
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

  const pending: { bdf: string; dir: string; viaLink: boolean }[] = [];
  for (const name of entries.sort()) {
    if (!BDF_RE.test(name)) continue;
    const link = path.join(devicesDir, name);
    // Usually a symlink into sys/devices; some captures hold plain directories (readlink: EINVAL).
    // Whether the target exists is learnt from the readdir below, which every device needs anyway.
    const target = resolveUnderRoot(root, link);
    pending.push({ bdf: name, dir: target ?? link, viaLink: target !== null });
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
    // One readdir tells which attributes exist: failed opens cost far more than a directory listing.
    let present: Set<string>;
    try {
      present = new Set(fs.readdirSync(dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        warnings.push(`${bdf}: sys/bus/pci/devices/${bdf} is a dangling link; skipped`);
        continue;
      }
      warnings.push(`${bdf}: cannot list ${path.relative(root, dir)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); skipped`);
      continue;
    }
    const file = (name: string) => (present.has(name) ? path.join(dir, name) : null);
    const text = (name: string) => {
      const f = file(name);
      return f ? readText(f) : null;
    };
    let config = ConfigSpace.empty();
    const cfgFile = file('config');
    if (cfgFile) {
      try {
        const r = readConfig(cfgFile, 4096);
        config = new ConfigSpace(r.bytes, r.length);
      } catch (e) {
        warnings.push(`${bdf}: cannot read config space (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
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
    // The header's IDs are in the first 64 bytes, which everyone can read; sysfs is needed only when
    // config is missing, or for SR-IOV VFs whose config reads 0xffff there.
    const idsFromSysfs = config.length < 64 || config.u16(0) === 0xffff;
    // Link registers sit in the Express capability, past 64 bytes: non-root readers need sysfs for them.
    const linkFromSysfs = config.length < 256;
    const hexAttr = (name: string) => {
      const t = text(name);
      return t !== null && /^0x[0-9a-fA-F]+$/.test(t) ? t.slice(2).toLowerCase() : null;
    };
    const intAttr = (name: string) => {
      const f = file(name);
      return f ? readInt(f) : null;
    };
    const linkAttr = (name: string) => {
      const f = file(name);
      return f ? linkBase(f) : null;
    };
    const physfn = linkAttr('physfn');
    devices.set(bdf, {
      bdf,
      config,
      parentBdf,
      hostBridge,
      vendorId: idsFromSysfs ? hexAttr('vendor') : undefined,
      deviceId: idsFromSysfs ? hexAttr('device') : undefined,
      classCode: idsFromSysfs ? hexAttr('class')?.padStart(6, '0') ?? null : undefined,
      subsystemVendorId: idsFromSysfs ? hexAttr('subsystem_vendor') : undefined,
      subsystemDeviceId: idsFromSysfs ? hexAttr('subsystem_device') : undefined,
      revision: idsFromSysfs ? hexAttr('revision') : undefined,
      driver: linkAttr('driver'),
      numaNode: intAttr('numa_node'),
      iommuGroup: linkAttr('iommu_group'),
      localCpuList: text('local_cpulist'),
      currentLinkSpeed: linkFromSysfs ? text('current_link_speed') : undefined,
      currentLinkWidth: linkFromSysfs ? intAttr('current_link_width') : undefined,
      maxLinkSpeed: linkFromSysfs ? text('max_link_speed') : undefined,
      maxLinkWidth: linkFromSysfs ? intAttr('max_link_width') : undefined,
      resources: parseResources(text('resource')),
      p2pmem: present.has('p2pmem') ? readP2pmem(dir) : null,
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
