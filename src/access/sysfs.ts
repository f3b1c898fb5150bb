// Access method for live sysfs under any filesystem root (`/` or a captured tree given with --root).
// Every PCI function's directory is read in one batch call (see sysfs-dir-reader.ts), then the few that
// need more in a handful of batches, which is what keeps a scan of thousands of functions cheap.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { vfIdsFromPf } from '../model/caps/sriov.js';
import { bdfAncestorDirs, bdfsInPath, KERNEL_BDF as BDF_RE } from '../model/bdf.js';
import { UserError } from '../errors.js';
import { emptyHostInfo, FILL_CONFIG_CHECKS, FILL_CONFIG_FULL, FILL_LOCAL_CPUS, FILL_NONE, FILL_RESOURCES, type RawDevice, type RawFabric, type RawP2pmem, type RawResource } from './types.js';
import { fillHostInfo, readHostInfo } from './host-info.js';
import { fetchConfigs } from './config-fetch.js';
import { bothNeeds, CHECKS_CONFIG_NEEDS, type ConfigNeeds } from '../model/caps/fabric-needs.js';
import { batchOf, configRangesOf, readSysfsDirWithFs, type SysfsDirReader, type SysfsDirResult } from './sysfs-dir-reader.js';
import { BASE_FILES, CLASS_DIRS, FUNCTION_LINKS, ID_FILES, LATE_FILES, LINK_FILES, P2PMEM_FILES, VF_ID_FILES } from './sysfs-files.js';


const INT10 = /^-?\d+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const HOST_BRIDGE = /^pci[0-9a-f]{4,8}:[0-9a-f]{2}$/;

function parseInt10(t: string | null): number | null {
  if (t === null || !INT10.test(t)) return null;
  return parseInt(t, 10);
}

/** "0x10de" -> "10de"; anything else is null. */
function parseHex(t: string | null): string | null;
function parseHex(t: string | null | undefined): string | null | undefined;
function parseHex(t: string | null | undefined): string | null | undefined {
  if (t === undefined) return undefined;
  return t !== null && HEX.test(t) ? t.slice(2).toLowerCase() : null;
}

/** The last path segment of a link target ("../../bus/pci/drivers/nvme/" -> "nvme"), as path.basename gives it. */
function linkBase(target: string | null): string | null {
  if (!target) return null;
  const cut = target.lastIndexOf('/');
  // The usual target ("../../../bus/pci/drivers/nvme") without path.basename's general work.
  return cut < 0 ? target : cut < target.length - 1 ? target.slice(cut + 1) : path.basename(target);
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

/**
 * path.resolve(dir, rel) for an absolute, normalized `dir`: a bus link's usual target
 * ("../../../devices/pci0000:00/...") is resolved with a few string operations, anything else by
 * path.resolve, whose general work costs more than reading a device on a large scan.
 */
export function resolveRelative(dir: string, rel: string): string {
  let base = dir;
  let at = 0;
  while (rel.startsWith('../', at)) {
    base = base.slice(0, base.lastIndexOf('/')); // "/sys" -> "", which stays "": never above the root
    at += 3;
  }
  const rest = rel.slice(at);
  // Left to path.resolve: "." and ".." segments past the leading "../", and empty ones ("a//b", "a/").
  if (rest === '' || rest[0] === '.' || rest[0] === '/' || rest.endsWith('/') || rest.includes('/.') || rest.includes('//')) return path.resolve(dir, rel);
  return (base === '/' ? '' : base) + '/' + rest;
}

/** Maps a symlink target read in `linkDir` under `root` to a path under `root`, even when the link is absolute. */
function resolveUnderRoot(root: string, linkDir: string, target: string | null): string | null {
  if (!target) return null; // unreadable, or not a link at all ("")
  if (path.isAbsolute(target)) return path.join(root, target);
  return resolveRelative(linkDir, target);
}

type ClassNames = NonNullable<RawDevice['classNames']>;

/** Kernel names (nvme0, eth0, mlx5_0, card0...) by the BDF their class link points into. */
function readClassNames(root: string, readDir: SysfsDirReader): Map<string, ClassNames> {
  const out = new Map<string, ClassNames>();
  for (const cls of CLASS_DIRS satisfies readonly (keyof ClassNames)[]) {
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
      const bdf = target ? bdfsInPath(target).at(-1) : undefined;
      if (!bdf) return;
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

// What a function's directory is asked for (the lists live in sysfs-files.ts, which the snapshot
// captures too). Names are fixed so the batches can be built once.
/** `p2pmem` is asked as a link only to learn whether the entry exists ("" for a directory). */
const DEVICE_LINKS = [...FUNCTION_LINKS, 'p2pmem'] as const;

/** What pass 1 showed a function needs from pass 2, as bits: each mix of needs is one batch. */
const NEEDS_LINK = 1;
const NEEDS_IDS = 2;
const NEEDS_P2PMEM = 4;
const NEEDS_VF_IDS = 8;
/** Pass-2 file lists, indexed by needs (NEEDS_IDS covers NEEDS_VF_IDS). */
const MORE_FILES: readonly (readonly string[])[] = Array.from({ length: 16 }, (_, needs) => [
  ...(needs & NEEDS_LINK ? LINK_FILES : []),
  ...(needs & NEEDS_IDS ? ID_FILES : needs & NEEDS_VF_IDS ? VF_ID_FILES : []),
  ...(needs & NEEDS_P2PMEM ? P2PMEM_FILES : []),
]);

/**
 * Attribute text by file name, trimmed as the model wants it; absent or unreadable is null. Pass 1's
 * values, then pass 2's with the names it asked (no per-device Map: a scan makes thousands).
 */
function attrText(o: Opened, name: string): string | null {
  let i = o.firstNames.indexOf(name);
  if (i >= 0) return o.baseFiles[i]?.trim() ?? null;
  i = MORE_FILES[o.needs].indexOf(name);
  return i >= 0 ? o.moreFiles?.[i]?.trim() ?? null : null;
}

/** The LATE_FILES a fill asks for (FILL_LOCAL_CPUS, FILL_RESOURCES). */
function lateFilesFor(fields: number): (typeof LATE_FILES)[number][] {
  return LATE_FILES.filter((_, i) => fields & (i === 0 ? FILL_LOCAL_CPUS : FILL_RESOURCES));
}

/**
 * Reads what `fields` asks of each device's directory (one batch) into the RawDevices: the source's
 * half of pciutils' pci_fill_info. Devices whose directory is unknown keep what they had.
 */
export function fillSysfsDevices(root: string, devices: readonly RawDevice[], fields: number, readDir: SysfsDirReader): void {
  const names = lateFilesFor(fields);
  if (!names.length) return;
  const inTree = devices.filter((d) => d.origin && !path.isAbsolute(d.origin) && !d.origin.startsWith('line '));
  const reads = batchOf(readDir)(inTree.map((d) => path.join(root, d.origin!)), names, [], 0);
  inTree.forEach((d, i) => {
    const r = reads[i];
    const files = 'error' in r ? [] : r.files;
    const file = (name: (typeof LATE_FILES)[number]) => files[names.indexOf(name)] ?? null;
    if (fields & FILL_LOCAL_CPUS) d.localCpuList = file('local_cpulist')?.trim() ?? null;
    if (fields & FILL_RESOURCES) d.resources = parseResources(file('resource'));
  });
}

/** A function whose directory opened in pass 1, with what it gave and what pass 2 must add. */
interface Opened {
  bdf: string;
  dir: string;
  config: ConfigSpace;
  baseFiles: readonly (string | null)[];
  /** The names pass 1 asked (BASE_FILES, with ID_FILES when the header is fetched on demand). */
  firstNames: readonly string[];
  /** The IDs came in pass 1 (header on demand): sysfs's are taken, the header's only where sysfs lacks one. */
  idsInFirst: boolean;
  /** Pass 2's answers for MORE_FILES[needs]. */
  moreFiles?: readonly (string | null)[];
  links: readonly (string | null)[];
  needs: number;
}

export interface SysfsOptions {
  /** Reads directories' attributes in batches; defaults to plain fs. load.ts passes the addon's. */
  readDir?: SysfsDirReader;
  /** The root is this machine: decided by the source object (source.ts), false when not told. */
  live?: boolean;
  /**
   * Config registers to fetch when a read does not ask FILL_CONFIG_FULL (config-fetch.ts); null reads
   * whole spaces. The source sets it for the live machine, where every dword is a config transaction.
   */
  configNeeds?: ConfigNeeds | null;
}

/** A PCI function the bus lists (or a bridge found above one), before its directory is read. */
export interface SysfsFunction {
  bdf: string;
  dir: string;
  /** Reached through a link into sys/devices, whose path is the kernel's own hierarchy. */
  viaLink: boolean;
  /** From that path: the upstream bridge's BDF (null on a root bus), undefined without a link. */
  parentBdf?: string | null;
  hostBridge: string | null;
}

/**
 * What a sysfs root says before any function's directory is read: the functions and where each sits
 * (from the bus's links), and the kernel's class names. readSysfsFabricFromOutline reads every function;
 * the TUI first draws its first screen from the few that screen shows (readSysfsPartial).
 */
export interface SysfsOutline {
  rootArg: string;
  root: string;
  /** As the source decided (SysfsOptions.live). */
  live: boolean;
  configNeeds: ConfigNeeds | null;
  readDir: SysfsDirReader;
  functions: SysfsFunction[];
  classNames: Map<string, ClassNames>;
  warnings: string[];
  /** Host facts with the FILL_KERNEL_CONFIG / FILL_IOMMU_TYPES bits asked, read once each. */
  host(fill?: number): RawFabric['host'];
}

/** A function's parent BDF and host bridge from its directory, by parent directory: siblings (a PF's VFs) share them. */
function placer(): (bdf: string, dir: string) => { parentBdf: string | null; hostBridge: string | null } {
  const placeOf = new Map<string, { parentBdf: string | null; hostBridge: string | null }>();
  return (bdf, dir) => {
    // The directory path is the kernel's own hierarchy: .../pci0000:00/0000:00:01.0/0000:01:00.0
    const cut = dir.lastIndexOf(path.sep);
    const parentDir = dir.slice(0, cut);
    const own = dir.slice(cut + 1) === bdf;
    let place = own ? placeOf.get(parentDir) : undefined;
    if (!place) {
      const parts = dir.split(path.sep);
      const self = parts.lastIndexOf(bdf);
      const above = self > 0 ? parts[self - 1] : '';
      place = { parentBdf: BDF_RE.test(above) ? above : null, hostBridge: parts.find((p) => HOST_BRIDGE.test(p)) ?? null };
      if (own) placeOf.set(parentDir, place);
    }
    return place;
  };
}

function placed(place: ReturnType<typeof placer>, bdf: string, dir: string): SysfsFunction {
  const { parentBdf, hostBridge } = place(bdf, dir);
  return { bdf, dir, viaLink: true, parentBdf, hostBridge };
}

export function readSysfsOutline(rootArg: string, opts: SysfsOptions = {}): SysfsOutline {
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

  const names = entries.sort().filter((name) => BDF_RE.test(name));
  // Usually symlinks into sys/devices; some captures hold plain directories (readlink: "" here).
  // Whether a target exists is learnt when its directory is opened.
  const busLinks = readDir(devicesDir, [], names, 0);
  const place = placer();
  const functions: SysfsFunction[] = names.map((name, i) => {
    const target = resolveUnderRoot(root, devicesDir, 'error' in busLinks ? null : busLinks.links[i]);
    // devicesDir is normalized and a BDF has no '/': the same path that path.join would make.
    return target === null ? { bdf: name, dir: `${devicesDir}/${name}`, viaLink: false, hostBridge: null } : placed(place, name, target);
  });

  // Bridges that the kernel lists under sys/devices but not under bus/pci/devices (seen on real
  // machines): without them the tree would break, so read them from their directories. Each parent
  // directory is looked at once: siblings (a PF's VFs) share theirs.
  const known = new Set(names);
  const seenParents = new Set<string>();
  for (const p of functions.slice()) {
    if (!p.viaLink) continue;
    const parent = p.dir.slice(0, p.dir.lastIndexOf(path.sep));
    if (seenParents.has(parent)) continue;
    seenParents.add(parent);
    for (const { bdf: part, dir } of bdfAncestorDirs(p.dir, path.sep)) {
      if (!known.has(part) && (fs.existsSync(path.join(dir, 'config')) || fs.existsSync(path.join(dir, 'class')))) {
        warnings.push(`${part}: present in sys/devices but missing from sys/bus/pci/devices; read from ${path.relative(root, dir)}`);
        known.add(part);
        functions.push(placed(place, part, dir));
      }
    }
  }
  const live = opts.live ?? false;
  let host: RawFabric['host'] | undefined;
  let hostFilled = FILL_NONE;
  const hostOf = (fill = FILL_NONE) => {
    host ??= readHostInfo(root, live, readDir);
    fillHostInfo(host, root, fill & ~hostFilled, readDir);
    hostFilled |= fill;
    return host;
  };
  return { rootArg, root, live, configNeeds: opts.configNeeds ?? null, readDir, functions, classNames, warnings, host: hostOf };
}

/**
 * Every asked function's directory read, in two passes (one batch for all, then one per mix of needs):
 * the RawDevices of those that opened, in order, and warnings for those that did not.
 */
export function readSysfsFunctions(outline: SysfsOutline, functions: readonly SysfsFunction[], fill = FILL_NONE): { devices: RawDevice[]; warnings: string[] } {
  const { root, readDir, classNames } = outline;
  const readDirs = batchOf(readDir);
  const warnings: string[] = [];
  const devices: RawDevice[] = [];

  // Pass 1: every function's directory with the same names, in one batch: config whole, its header when
  // what the decoders need is fetched after, or none when the header too is fetched on demand (the IDs
  // are then read from sysfs here, the kernel's own view).
  const plan = configNeedsFor(outline.configNeeds, fill);
  const configNeeds = plan?.needs ?? null;
  const headerOnDemand = plan?.headerOnDemand ?? false;
  const firstNames: readonly string[] = headerOnDemand ? [...BASE_FILES, ...ID_FILES] : BASE_FILES;
  const firstRead = readDirs(functions.map((p) => p.dir), firstNames, DEVICE_LINKS, configNeeds ? (headerOnDemand ? 0 : 64) : 4096);
  const fetched = configNeeds ? fetchPastHeaders(functions, firstRead, configNeeds, readDir, headerOnDemand ? firstNames : null) : [];
  if (headerOnDemand) readUnfetchedConfigs(functions, firstRead, fetched, readDirs);
  const opened: (Opened & { fn: SysfsFunction })[] = [];
  functions.forEach((fn, i) => {
    const { bdf, dir } = fn;
    const r = firstRead[i];
    if ('error' in r) {
      warnings.push(unopenedWarning(root, fn, r.error));
      return;
    }
    let config = ConfigSpace.empty();
    if (fetched[i]) {
      config = fetched[i]!;
    } else if (r.config) {
      // A read error after some bytes keeps those bytes, without a warning.
      config = new ConfigSpace(r.config, r.configLength);
    } else if (r.configError !== undefined) {
      warnings.push(`${bdf}: cannot read config space (${r.configError.split(':')[0]})`);
    }
    // Link registers sit in the Express capability, past 64 bytes: non-root readers need sysfs for them.
    const linkFromSysfs = config.length < 256;
    // The header's IDs are in the first 64 bytes, which everyone can read; sysfs is needed only when
    // config is missing (or already read in pass 1). SR-IOV VFs read 0xffff for Vendor and Device ID (settled below).
    const idsFromSysfs = config.length < 64 && !headerOnDemand;
    const [, , , p2pmemLink] = r.links;
    const p2pmemPresent = p2pmemLink !== null || (r.configError !== undefined && !r.config && listsP2pmem(dir));
    const needs = (linkFromSysfs ? NEEDS_LINK : 0) | (idsFromSysfs ? NEEDS_IDS : 0) | (p2pmemPresent ? NEEDS_P2PMEM : 0);
    opened.push({ fn, bdf, dir, config, baseFiles: r.files, firstNames, idsInFirst: headerOnDemand, links: r.links, needs });
  });

  markVfIdNeeds(opened);
  readMoreFiles(readDirs, opened);
  for (const o of opened) devices.push(rawDeviceOf(o, root, classNames));
  fillSysfsDevices(root, devices, fill, readDir);
  return { devices, warnings };
}

/**
 * A VF's Vendor and Device ID: the model takes them from its PF's config as the kernel does
 * (vfIdsFromPf); only when that config falls short (non-root) are the sysfs files read.
 */
function markVfIdNeeds(opened: readonly Opened[]): void {
  const configByBdf = new Map(opened.map((o) => [o.bdf, o.config]));
  const pfHasIds = new Map<string, boolean>();
  for (const o of opened) {
    if (o.needs & NEEDS_IDS || (o.idsInFirst && attrText(o, 'vendor') !== null) || o.config.u16(0) !== 0xffff) continue;
    const pf = linkBase(o.links[2]);
    let fromPf = false;
    if (pf !== null) {
      if (!pfHasIds.has(pf)) {
        const pfConfig = configByBdf.get(pf);
        pfHasIds.set(pf, pfConfig !== undefined && vfIdsFromPf(pfConfig) !== null);
      }
      fromPf = pfHasIds.get(pf)!;
    }
    if (!fromPf) o.needs |= NEEDS_VF_IDS;
  }
}

/** Pass 2: the functions that need more, one batch per mix of needs (a handful in all). */
function readMoreFiles(readDirs: ReturnType<typeof batchOf>, opened: readonly Opened[]): void {
  const byNeeds: Opened[][] = MORE_FILES.map(() => []);
  for (const o of opened) byNeeds[o.needs].push(o);
  byNeeds.forEach((group, needs) => {
    if (needs === 0 || group.length === 0) return;
    const more = MORE_FILES[needs];
    const reads = readDirs(group.map((o) => o.dir), more, [], 0);
    group.forEach((o, i) => {
      const r = reads[i];
      o.moreFiles = 'error' in r ? [] : r.files;
    });
  });
}

/** One opened function's RawDevice: config space first, the sysfs attributes only where its needs asked for them. */
function rawDeviceOf(o: Opened & { fn: SysfsFunction }, root: string, classNames: SysfsOutline['classNames']): RawDevice {
  const { bdf, dir, config, links, needs, fn } = o;
  const [driverLink, iommuLink, physfnLink] = links;
  const linkFromSysfs = (needs & NEEDS_LINK) !== 0;
  const idsFromSysfs = (needs & NEEDS_IDS) !== 0 || o.idsInFirst;
  const vfIdsFromSysfs = idsFromSysfs || (needs & NEEDS_VF_IDS) !== 0;
  // Read in pass 1 (header on demand): a file sysfs lacks leaves the value to the header.
  const text = (name: string) => attrText(o, name);
  const idText = o.idsInFirst ? (name: string) => attrText(o, name) ?? undefined : text;
  const physfn = linkBase(physfnLink);
  let p2pmem: RawP2pmem | null = null;
  if (needs & NEEDS_P2PMEM) {
    const published = parseInt10(text('p2pmem/published'));
    p2pmem = { size: parseInt10(text('p2pmem/size')), available: parseInt10(text('p2pmem/available')), published: published === null ? null : published !== 0 };
  }
  return {
    bdf,
    config,
    parentBdf: fn.parentBdf,
    hostBridge: fn.hostBridge,
    vendorId: vfIdsFromSysfs ? parseHex(idText('vendor')) : undefined,
    deviceId: vfIdsFromSysfs ? parseHex(idText('device')) : undefined,
    classCode: idsFromSysfs ? parseHex(idText('class'))?.padStart(6, '0') ?? null : undefined,
    subsystemVendorId: idsFromSysfs ? parseHex(idText('subsystem_vendor')) : undefined,
    subsystemDeviceId: idsFromSysfs ? parseHex(idText('subsystem_device')) : undefined,
    revision: idsFromSysfs ? parseHex(idText('revision')) : undefined,
    driver: linkBase(driverLink),
    numaNode: parseInt10(text('numa_node')),
    iommuGroup: linkBase(iommuLink),
    currentLinkSpeed: linkFromSysfs ? text('current_link_speed') : undefined,
    currentLinkWidth: linkFromSysfs ? parseInt10(text('current_link_width')) : undefined,
    maxLinkSpeed: linkFromSysfs ? text('max_link_speed') : undefined,
    maxLinkWidth: linkFromSysfs ? parseInt10(text('max_link_width')) : undefined,
    p2pmem,
    classNames: classNames.get(bdf),
    physfn: physfn && BDF_RE.test(physfn) ? physfn : null,
    origin: relativeToRoot(root, dir) || dir,
  };
}

/**
 * What a read with the FILL_* bits `fill` fetches on demand (null reads whole spaces), and whether the
 * header too is fetched on demand: the fabric's views decode only some of it; doctor and show, which
 * ask FILL_CONFIG_CHECKS, read it whole.
 */
function configNeedsFor(base: ConfigNeeds | null, fill: number): { needs: ConfigNeeds; headerOnDemand: boolean } | null {
  if (base === null || fill & FILL_CONFIG_FULL) return null;
  return fill & FILL_CONFIG_CHECKS ? { needs: bothNeeds(base, CHECKS_CONFIG_NEEDS), headerOnDemand: false } : { needs: base, headerOnDemand: true };
}

/**
 * The functions whose config the fetch could not open, read as pass 1 reads a header (for its error,
 * or for no `config` at all), so they say what they said when the header came in pass 1.
 */
function readUnfetchedConfigs(functions: readonly SysfsFunction[], firstRead: SysfsDirResult[], fetched: readonly (ConfigSpace | undefined)[], readDirs: ReturnType<typeof batchOf>): void {
  const left = functions.map((_, i) => i).filter((i) => !('error' in firstRead[i]) && !fetched[i]);
  if (!left.length) return;
  const again = readDirs(left.map((i) => functions[i].dir), [], [], 64);
  left.forEach((i, k) => {
    const r = again[k];
    if ('error' in r) return;
    const first = firstRead[i] as Exclude<SysfsDirResult, { error: string }>;
    firstRead[i] = { ...first, config: r.config, configLength: r.configLength, ...(r.configError !== undefined ? { configError: r.configError } : {}) };
  });
}

/**
 * The config registers `needs` asks, fetched past each header pass 1 read, all functions' in one range
 * read per round. Whether this reader may read past the header at all (root may; others get 64 bytes)
 * shows on the first function with a capability list; a function without one is given the same extent,
 * so `configBytes` says what a whole read would have found. Entries stay undefined where the file would
 * not open again.
 */
function fetchPastHeaders(functions: readonly SysfsFunction[], firstRead: readonly SysfsDirResult[], needs: ConfigNeeds, readDir: SysfsDirReader, idNames: readonly string[] | null): (ConfigSpace | undefined)[] {
  const out: (ConfigSpace | undefined)[] = [];
  // Header on demand (idNames: pass 1's file names): a function lacking an ID file takes the header's IDs.
  const lacksIds = (r: SysfsDirResult) => idNames !== null && !('error' in r) && ID_FILES.some((n) => r.files[idNames.indexOf(n)] == null);
  const blankVfPfs = idNames ? pfsOfVfsWithoutIds(firstRead, lacksIds) : pfsOfBlankVfs(firstRead);
  const asked = functions.map((fn, i) => ({ fn, i, r: firstRead[i] })).filter(({ r }) => !('error' in r) && (idNames !== null || (r.config && r.configLength === 64)));
  const jobs = asked.map(({ fn, r }) => ({ file: `${fn.dir}/config`, header: idNames ? undefined : (r as { config: Uint8Array }).config, ctx: { pfOfBlankVf: blankVfPfs.has(fn.bdf), headerIds: lacksIds(r) } }));
  const got = fetchConfigs(jobs, needs, configRangesOf(readDir));
  let pastHeader: boolean | null = null;
  const untried: number[] = [];
  asked.forEach(({ i }, k) => {
    const g = got[k];
    if (!g) return;
    out[i] = g.config;
    if (g.pastHeader === null) untried.push(i);
    else pastHeader ??= g.pastHeader;
  });
  if (pastHeader === null && untried.length) pastHeader = probePastHeader(`${functions[untried[0]].dir}/config`);
  if (!pastHeader) for (const i of untried) out[i] = out[i]!.withLength(Math.min(64, out[i]!.length));
  return out;
}

/** The PFs named by a VF (a function with a `physfn` link) whose IDs sysfs lacks: its header reads 0xffff. */
function pfsOfVfsWithoutIds(firstRead: readonly SysfsDirResult[], lacksIds: (r: SysfsDirResult) => boolean): Set<string> {
  const out = new Set<string>();
  for (const r of firstRead) {
    if ('error' in r || !lacksIds(r)) continue;
    const pf = linkBase(r.links[2]);
    if (pf !== null) out.add(pf);
  }
  return out;
}

/** The PFs named by a VF whose header reads 0xffff: the fabric takes those VFs' IDs from their PF's SR-IOV capability. */
function pfsOfBlankVfs(firstRead: readonly SysfsDirResult[]): Set<string> {
  const out = new Set<string>();
  for (const r of firstRead) {
    if ('error' in r || !r.config || r.configLength < 2 || (r.config[0] | (r.config[1] << 8)) !== 0xffff) continue;
    const pf = linkBase(r.links[2]);
    if (pf !== null) out.add(pf);
  }
  return out;
}

/**
 * More of some devices' config (what `needs` reads on top of what they hold), for a view that decodes
 * more of a few functions than the scan did (`p2p show`). Devices without a directory keep theirs.
 */
export function fetchMoreConfig(root: string, devices: readonly RawDevice[], needs: ConfigNeeds, readDir: SysfsDirReader): void {
  const inTree = devices.filter((d) => d.origin && !path.isAbsolute(d.origin) && !d.origin.startsWith('line ') && d.config.length > 64);
  const got = fetchConfigs(inTree.map((d) => ({ file: path.join(root, d.origin!, 'config'), start: d.config })), needs, configRangesOf(readDir));
  inTree.forEach((d, i) => {
    if (got[i]) d.config = got[i]!.config;
  });
}

/** One byte past the header read: whether this reader sees more than 64 bytes (only when no function has a capability list). */
function probePastHeader(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return fs.readSync(fd, new Uint8Array(1), 0, 1, 64) === 1;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

function unopenedWarning(root: string, fn: SysfsFunction, error: string): string {
  if (error === 'ENOENT') return `${fn.bdf}: sys/bus/pci/devices/${fn.bdf} is a dangling link; skipped`;
  return `${fn.bdf}: cannot list ${path.relative(root, fn.dir)} (${error}); skipped`;
}

function fabricOf(outline: SysfsOutline, devices: RawDevice[], warnings: string[], fill: number, host?: RawFabric['host']): RawFabric {
  if (devices.length === 0) {
    throw new UserError(`no PCI devices found under ${path.join(outline.root, 'sys/bus/pci/devices')}`);
  }
  return {
    source: { method: 'sysfs', location: outline.rootArg, live: outline.live },
    filled: fill,
    devices,
    host: host ?? outline.host(fill),
    warnings: [...outline.warnings, ...warnings],
  };
}

/** Every function of the outline read, with the FILL_* facts asked. */
export function readSysfsFabricFromOutline(outline: SysfsOutline, fill = FILL_NONE): RawFabric {
  const { devices, warnings } = readSysfsFunctions(outline, outline.functions, fill);
  return fabricOf(outline, devices, warnings, fill);
}

export function readSysfsFabric(rootArg: string, opts: SysfsOptions & { fill?: number } = {}): RawFabric {
  return readSysfsFabricFromOutline(readSysfsOutline(rootArg, opts), opts.fill);
}

/**
 * The functions in `full` read in full, every other one only as the outline places it: its BDF, its
 * parent and host bridge, and its kernel names. Of those others only what a full read would drop is
 * looked for: a directory that will not open (a dangling bus link, a directory the reader may not
 * enter). Host facts are left empty. Null when parents do not come from sysfs paths (they would come
 * from bridges' bus numbers, which need every config).
 */
export function readSysfsPartial(outline: SysfsOutline, full: ReadonlySet<string>): RawFabric | null {
  if (outline.functions.some((fn) => !fn.viaLink)) return null;
  const read = readSysfsFunctions(outline, outline.functions.filter((fn) => full.has(fn.bdf)));
  const fullByBdf = new Map(read.devices.map((d) => [d.bdf, d]));
  const others = outline.functions.filter((fn) => !full.has(fn.bdf));
  const opens = directoriesThatOpen(others.map((fn) => fn.dir), outline.readDir);
  const devices: RawDevice[] = [];
  let at = 0;
  for (const fn of outline.functions) {
    if (full.has(fn.bdf)) {
      const d = fullByBdf.get(fn.bdf);
      if (d) devices.push(d);
    } else if (opens[at++]) {
      devices.push({ bdf: fn.bdf, config: ConfigSpace.empty(), parentBdf: fn.parentBdf, hostBridge: fn.hostBridge, classNames: outline.classNames.get(fn.bdf) });
    }
  }
  return fabricOf(outline, devices, read.warnings, FILL_NONE, emptyHostInfo());
}

/**
 * Whether each directory opens, as a full read would find. Root may enter any directory, so for root
 * a listing of each parent (one per PF's VFs or switch's ports) that shows a real directory answers
 * it; anything else (not listed as a directory, or a reader permissions can stop) is opened.
 */
function directoriesThatOpen(dirs: readonly string[], readDir: SysfsDirReader): boolean[] {
  const out = new Array<boolean>(dirs.length).fill(false);
  const listings = new Map<string, Set<string> | null>();
  const asRoot = process.geteuid?.() === 0;
  const toOpen: number[] = [];
  dirs.forEach((dir, i) => {
    const cut = dir.lastIndexOf(path.sep);
    const parent = dir.slice(0, cut);
    let subdirs = listings.get(parent);
    if (subdirs === undefined && asRoot) {
      try {
        subdirs = new Set(fs.readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
      } catch {
        subdirs = null;
      }
      listings.set(parent, subdirs);
    }
    if (subdirs?.has(dir.slice(cut + 1))) out[i] = true;
    else toOpen.push(i);
  });
  const opened = batchOf(readDir)(toOpen.map((i) => dirs[i]), [], [], 0);
  toOpen.forEach((i, k) => {
    out[i] = !('error' in opened[k]);
  });
  return out;
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
