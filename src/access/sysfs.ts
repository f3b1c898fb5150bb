// Access method for live sysfs under any filesystem root (`/` or a captured tree given with --root).
// Each PCI function's directory is read with one batch call (see sysfs-dir-reader.ts), which is what
// keeps a scan of thousands of functions cheap.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { UserError } from '../errors.js';
import type { RawDevice, RawFabric, RawP2pmem, RawResource } from './types.js';
import { readHostInfo } from './host-info.js';
import { readSysfsDirWithFs, type SysfsDirReader } from './sysfs-dir-reader.js';

const BDF_RE = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const BDF_IN_PATH = /([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/g;

export type ConfigReader = (file: string, max: number) => { bytes: Uint8Array; length: number };

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

function parseInt10(t: string | null): number | null {
  if (t === null || !/^-?\d+$/.test(t)) return null;
  return parseInt(t, 10);
}

const RESOURCE_LINE = /^0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)$/i;
/** An unused BAR as the kernel prints it ("0x%016llx" three times): most lines of every resource file. */
const UNUSED_LINE = '0x0000000000000000 0x0000000000000000 0x0000000000000000';

function parseResources(text: string | null): RawResource[] | undefined {
  if (text === null) return undefined;
  const out: RawResource[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line === UNUSED_LINE) {
      out.push({ index, start: 0n, end: 0n, flags: 0 });
      continue;
    }
    const m = RESOURCE_LINE.exec(line.trim());
    if (m) out.push({ index, start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), flags: parseInt(m[3], 16) });
  }
  return out;
}

/** path.relative(root, dir) for the normalized paths built here, skipping its general work when dir is plainly inside root. */
function relativeToRoot(root: string, dir: string): string {
  const prefix = root.endsWith('/') ? root : root + '/';
  return dir.startsWith(prefix) && !dir.endsWith('/') ? dir.slice(prefix.length) : path.relative(root, dir);
}

/** Maps a symlink target read under `root` to a path under `root`, even when the link is absolute. */
function resolveUnderRoot(root: string, linkPath: string, target: string | null): string | null {
  if (!target) return null; // unreadable, or not a link at all ("")
  if (path.isAbsolute(target)) return path.join(root, target);
  return path.resolve(path.dirname(linkPath), target);
}

type ClassNames = NonNullable<RawDevice['classNames']>;

/** Kernel names (nvme0, eth0, mlx5_0, card0...) by the BDF their class link points into. */
function readClassNames(root: string, readDir: SysfsDirReader): Map<string, ClassNames> {
  const out = new Map<string, ClassNames>();
  const classes: (keyof ClassNames)[] = ['nvme', 'block', 'net', 'infiniband', 'drm'];
  for (const cls of classes) {
    const dir = path.join(root, 'sys/class', cls);
    let entries: string[];
    try {
      entries = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    const r = readDir(dir, [], entries, 0);
    if ('error' in r) continue;
    entries.forEach((name, i) => {
      const target = r.links[i];
      const bdfs = target ? target.match(BDF_IN_PATH) : null;
      if (!bdfs) return;
      const bdf = bdfs[bdfs.length - 1];
      if (cls === 'block' && !/^nvme\d+n\d+$/.test(name)) {
        // Partitions and virtual disks sit under the same BDF; keep whole namespaces only.
        if (/p\d+$/.test(name) || !/^(sd[a-z]+|vd[a-z]+|nvme\d+n\d+)$/.test(name)) return;
      }
      if (cls === 'drm' && !/^card\d+$/.test(name)) return;
      const entry = out.get(bdf) ?? {};
      (entry[cls] ??= []).push(name);
      out.set(bdf, entry);
    });
  }
  return out;
}

// What one function's directory is asked for. Names are fixed so the batches can be built once.
const BASE_FILES = ['numa_node', 'local_cpulist', 'resource'] as const;
/** Link state: needed from sysfs only when config stops before the Express capability (< 256 bytes). */
const LINK_FILES = ['current_link_speed', 'current_link_width', 'max_link_speed', 'max_link_width'] as const;
/** IDs: needed from sysfs only when config has no header (< 64 bytes) or reads 0xffff (SR-IOV VFs). */
const ID_FILES = ['vendor', 'device', 'class', 'subsystem_vendor', 'subsystem_device', 'revision'] as const;
const P2PMEM_FILES = ['p2pmem/size', 'p2pmem/available', 'p2pmem/published'] as const;
/** `p2pmem` is asked as a link only to learn whether the entry exists ("" for a directory). */
const DEVICE_LINKS = ['driver', 'iommu_group', 'physfn', 'p2pmem'] as const;

/** First-batch file lists by [link attributes wanted][IDs wanted]. */
const FIRST_FILES: readonly (readonly string[])[][] = [
  [[...BASE_FILES], [...BASE_FILES, ...ID_FILES]],
  [[...BASE_FILES, ...LINK_FILES], [...BASE_FILES, ...LINK_FILES, ...ID_FILES]],
];

/** Attribute text by file name, trimmed as the model wants it; absent or unreadable is null. */
type Attrs = Map<string, string | null>;

function collect(attrs: Attrs, names: readonly string[], values: readonly (string | null)[]): void {
  names.forEach((name, i) => attrs.set(name, values[i]?.trim() ?? null));
}

export interface SysfsOptions {
  /** Reads one directory's attributes in a batch; defaults to plain fs. load.ts passes the addon's. */
  readDir?: SysfsDirReader;
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
  const readDir = opts.readDir ?? readSysfsDirWithFs;
  const warnings: string[] = [];
  const classNames = readClassNames(root, readDir);
  const devices = new Map<string, RawDevice>();

  const names = entries.sort().filter((name) => BDF_RE.test(name));
  // Usually symlinks into sys/devices; some captures hold plain directories (readlink: "" here).
  // Whether a target exists is learnt when its directory is opened below.
  const busLinks = readDir(devicesDir, [], names, 0);
  const pending: { bdf: string; dir: string; viaLink: boolean }[] = names.map((name, i) => {
    const link = path.join(devicesDir, name);
    const target = resolveUnderRoot(root, link, 'error' in busLinks ? null : busLinks.links[i]);
    return { bdf: name, dir: target ?? link, viaLink: target !== null };
  });

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

  // Neighbouring functions look alike (a VF run, a non-root reader's 64-byte configs): guess that this
  // one needs what the previous one needed, so the usual device costs a single batch.
  let guessLink = false;
  let guessIds = false;
  for (const { bdf, dir, viaLink } of pending) {
    const first = FIRST_FILES[+guessLink][+guessIds];
    const r = readDir(dir, first, DEVICE_LINKS, 4096);
    if ('error' in r) {
      if (r.error === 'ENOENT') warnings.push(`${bdf}: sys/bus/pci/devices/${bdf} is a dangling link; skipped`);
      else warnings.push(`${bdf}: cannot list ${path.relative(root, dir)} (${r.error}); skipped`);
      continue;
    }
    const attrs: Attrs = new Map();
    collect(attrs, first, r.files);
    const [driverLink, iommuLink, physfnLink, p2pmemLink] = r.links;

    let config = ConfigSpace.empty();
    if (r.config) {
      // A read error after some bytes keeps those bytes without a warning, as the readConfigSpace path did.
      config = new ConfigSpace(r.config, r.configLength);
    } else if (r.configError !== undefined) {
      warnings.push(`${bdf}: cannot read config space (${r.configError.split(':')[0]})`);
    }

    // The header's IDs are in the first 64 bytes, which everyone can read; sysfs is needed only when
    // config is missing, or for SR-IOV VFs whose config reads 0xffff there.
    const idsFromSysfs = config.length < 64 || config.u16(0) === 0xffff;
    // Link registers sit in the Express capability, past 64 bytes: non-root readers need sysfs for them.
    const linkFromSysfs = config.length < 256;
    const p2pmemPresent = p2pmemLink !== null || (r.configError !== undefined && !r.config && listsP2pmem(dir));
    const more: string[] = [];
    if (linkFromSysfs && !guessLink) more.push(...LINK_FILES);
    if (idsFromSysfs && !guessIds) more.push(...ID_FILES);
    if (p2pmemPresent) more.push(...P2PMEM_FILES);
    if (more.length > 0) {
      const r2 = readDir(dir, more, [], 0);
      collect(attrs, more, 'error' in r2 ? [] : r2.files);
    }
    guessLink = linkFromSysfs;
    guessIds = idsFromSysfs;

    const text = (name: string) => attrs.get(name) ?? null;
    const hexAttr = (name: string) => {
      const t = text(name);
      return t !== null && /^0x[0-9a-fA-F]+$/.test(t) ? t.slice(2).toLowerCase() : null;
    };
    const intAttr = (name: string) => parseInt10(text(name));
    const linkBase = (target: string | null) => (target ? path.basename(target) : null);

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
    const physfn = linkBase(physfnLink);
    let p2pmem: RawP2pmem | null = null;
    if (p2pmemPresent) {
      const published = intAttr('p2pmem/published');
      p2pmem = { size: intAttr('p2pmem/size'), available: intAttr('p2pmem/available'), published: published === null ? null : published !== 0 };
    }
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
      driver: linkBase(driverLink),
      numaNode: intAttr('numa_node'),
      iommuGroup: linkBase(iommuLink),
      localCpuList: text('local_cpulist'),
      currentLinkSpeed: linkFromSysfs ? text('current_link_speed') : undefined,
      currentLinkWidth: linkFromSysfs ? intAttr('current_link_width') : undefined,
      maxLinkSpeed: linkFromSysfs ? text('max_link_speed') : undefined,
      maxLinkWidth: linkFromSysfs ? intAttr('max_link_width') : undefined,
      resources: parseResources(text('resource')),
      p2pmem,
      classNames: classNames.get(bdf),
      physfn: physfn && BDF_RE.test(physfn) ? physfn : null,
      origin: relativeToRoot(root, dir) || dir,
    });
  }
  if (devices.size === 0) {
    throw new UserError(`no PCI devices found under ${devicesDir}`);
  }
  return {
    source: { method: 'sysfs', location: rootArg },
    devices: [...devices.values()],
    host: readHostInfo(root, root === '/', readDir),
    warnings,
  };
}

/**
 * Whether `p2pmem` is listed in a directory. Only asked when `config` could not be opened either, as in
 * a directory the reader may list but not enter: there the readlink probe cannot tell absent from
 * present, and a listing can.
 */
function listsP2pmem(dir: string): boolean {
  try {
    return fs.readdirSync(dir).includes('p2pmem');
  } catch {
    return false;
  }
}
