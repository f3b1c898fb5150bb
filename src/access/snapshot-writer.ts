// `p2p snapshot`: captures exactly what p2p reads under a root (sysfs PCI devices, class links,
// IOMMU groups, NUMA/CPU lists, procfs facts, kernel config) into a .tar.gz. Reads only an explicit
// list of small attribute files, each with a size cap; never writes to sysfs, never reads BARs or ROMs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { findCapability, walkCapabilities } from '../model/caps/walk.js';
import { DSN_EXT_CAP_ID } from '../model/caps/dsn.js';
import { bdfsInPath, KERNEL_BDF as BDF_RE } from '../model/bdf.js';
import { UserError } from '../errors.js';
import { toolVersion } from '../version.js';
import { readSysfsDirWithFs, type SysfsDirReader } from './sysfs-dir-reader.js';
import { kernelReleaseFromVersion } from './host-info.js';
import { parseKmsg, readKmsgRecords } from './kmsg.js';
import { gzipTar, type TarEntry } from './tar.js';
import { AER_COUNTER_FILES, AER_ROOTPORT_FILES, MANIFEST_NAME, SNAPSHOT_FORMAT_VERSION, type SnapshotManifest } from './snapshot.js';
import { openSource } from './source.js';
import { writeOutputFile } from './output-file.js';
import {
  AMDGPU_DRIVER_DIR, AMDGPU_VRAM_FILES, KFD_NODES, MECHANISM_CLASS_DIRS, MECHANISM_DEV_DIRS, MECHANISM_DEV_PREFIXES, MECHANISM_FILES,
  PEER_MODULES, RDMA_PORT_NETDEV,
} from './mem-mechanisms.js';


/** Attribute files read in every PCI function's directory (config is read separately). */
export const DEVICE_FILES: readonly string[] = [
  'vendor', 'device', 'class', 'subsystem_vendor', 'subsystem_device', 'revision',
  'numa_node', 'local_cpulist', 'local_cpus',
  'current_link_speed', 'current_link_width', 'max_link_speed', 'max_link_width',
  'resource', 'sriov_numvfs', 'sriov_totalvfs', 'ari_enabled',
  ...AER_COUNTER_FILES, ...AER_ROOTPORT_FILES,
  'p2pmem/size', 'p2pmem/available', 'p2pmem/published',
];

/** Symlinks in a function's directory that p2p reads (their names or targets). */
export const DEVICE_LINKS: readonly string[] = ['driver', 'iommu_group', 'physfn'];

/** Class directories whose links name the kernel devices bound to PCI functions. */
export const CLASS_DIRS: readonly string[] = ['nvme', 'block', 'net', 'infiniband', 'drm'];

/** Machine-wide files: [path under the root, size cap in bytes]. The doctor's facts are here too. */
export const HOST_FILES: readonly (readonly [string, number])[] = [
  ['proc/cpuinfo', 32 << 20],
  ['proc/cmdline', 64 << 10],
  ['proc/version', 64 << 10],
  ['proc/modules', 4 << 20],
  ['proc/config.gz', 16 << 20],
  ['proc/sys/kernel/osrelease', 4096],
  ['proc/sys/kernel/hostname', 4096],
  ['proc/sys/kernel/io_uring_disabled', 4096],
  ['etc/cufile.json', 4 << 20],
  // A saved kernel log in a captured tree (live captures read /dev/kmsg into dmesg.txt instead).
  ['dmesg.txt', 16 << 20],
  ['sys/devices/system/node/online', 64 << 10],
  ['sys/devices/system/node/possible', 64 << 10],
  ['sys/devices/system/node/has_cpu', 64 << 10],
  ['sys/devices/system/node/has_memory', 64 << 10],
  ['sys/devices/system/cpu/online', 64 << 10],
  ['sys/devices/system/cpu/possible', 64 << 10],
  ['sys/devices/system/cpu/present', 64 << 10],
];

/**
 * The kernel log as `dmesg` prints it (record headers stripped), read without blocking from
 * /dev/kmsg; null when it is not readable (dmesg_restrict without root). At most `cap` bytes.
 */
export function readKernelLog(cap = 16 << 20): string | null {
  const r = readKmsgRecords(cap);
  if (!('records' in r)) return null;
  const text = parseKmsg(r.records);
  return text ? text + '\n' : '';
}

/** Host names and serial numbers out of free text (kernel log, under --redact). */
export function redactText(text: string, hostnames: readonly string[]): string {
  let out = text.replace(/(SerialNumber:\s*|serial(?: number)?[:=]\s*)\S+/gi, '$1redacted');
  for (const h of hostnames) {
    // Whole names only ("vm" must not turn "kvm" into "kredacted"); one-letter names are left alone.
    if (h.length < 2) continue;
    const re = new RegExp(`(?<![\\w.-])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g');
    out = out.replace(re, 'redacted');
  }
  return out;
}

/** Files in each sys/devices/system/node/nodeN directory. */
const NODE_FILES = ['cpulist', 'distance'];
/** Cap for a device attribute (resource files of SR-IOV PFs are the largest, a few KiB). */
const ATTR_CAP = 64 << 10;

export type SnapshotConfigLevel = 'header' | 'caps' | 'full';
/** Bytes of config space each level captures (as lspci -x, -xxx, -xxxx dump them). */
export const SNAPSHOT_CONFIG_BYTES: Record<SnapshotConfigLevel, number> = { header: 64, caps: 256, full: 4096 };

export interface CaptureOptions {
  /** Filesystem root to read (default "/"). */
  root?: string;
  /** Zero Device Serial Numbers in config space and drop host names. */
  redact?: boolean;
  /** Reads function directories, config space included, as the scan does (the addon's reader, or plain fs). */
  readDir?: SysfsDirReader;
  now?: Date;
  /** How much of each config space: the 64-byte header, the 256 bytes of standard capabilities, or all (default). */
  config?: SnapshotConfigLevel;
  /** The root is this machine (the source's `live`); default: what openSource says of `root`. */
  live?: boolean;
  /** uid of the capturing process; default process.getuid() when live, null for other roots. */
  uid?: number | null;
  /** Host name for the manifest; default os.hostname() for "/", the tree's own for other roots. */
  hostname?: string | null;
  /** Live captures: the kernel log to store as dmesg.txt (default: read /dev/kmsg); null for none. */
  kernelLog?: string | null;
  /** What the manifest says was read (default: "live" for "/", else "root"). */
  sourceLabel?: { source: 'live' | 'root'; root: string | null };
}

export interface Capture {
  entries: TarEntry[];
  manifest: SnapshotManifest;
}

/** Reads at most `cap` bytes; sysfs and procfs files report size 0, so read until EOF. */
function readCapped(file: string, cap: number): { data: Uint8Array; truncated: boolean } {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(65536, cap + 1 - total);
      if (want <= 0) break;
      const b = Buffer.alloc(want);
      const n = fs.readSync(fd, b, 0, want, null);
      if (n <= 0) break;
      chunks.push(b.subarray(0, n));
      total += n;
    }
    const all = Buffer.concat(chunks);
    return all.length > cap ? { data: all.subarray(0, cap), truncated: true } : { data: all, truncated: false };
  } finally {
    fs.closeSync(fd);
  }
}

class Capturer {
  readonly entries = new Map<string, TarEntry>();
  readonly unreadable: { path: string; error: string }[] = [];
  readonly truncated: { path: string; bytes: number }[] = [];
  readonly redactions: { path: string; what: string }[] = [];
  readonly configBytes: Record<string, number> = {};
  private readonly doneDevices = new Set<string>();
  readonly mtime: number;

  constructor(readonly root: string, private readonly opts: CaptureOptions, now: Date) {
    this.mtime = Math.floor(now.getTime() / 1000);
  }

  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  private lstat(rel: string): fs.Stats | null {
    try {
      return fs.lstatSync(this.abs(rel));
    } catch {
      return null;
    }
  }

  /** Adds `rel` and its parents as directories; stops at a component that is a symlink (captures it instead). */
  addDir(rel: string): boolean {
    if (rel === '' || rel === '.') return true;
    const have = this.entries.get(rel);
    if (have) return have.type === 'dir';
    const parent = path.posix.dirname(rel);
    if (!this.addDir(parent === '.' ? '' : parent)) return false;
    const st = this.lstat(rel);
    if (st?.isSymbolicLink()) {
      this.addLink(rel);
      return false;
    }
    if (st && !st.isDirectory()) return false;
    this.entries.set(rel, { type: 'dir', path: rel, mtime: this.mtime });
    return true;
  }

  /** Captures a symlink with a relative target; returns the target path under the root, or null. */
  addLink(rel: string): string | null {
    let target: string;
    try {
      target = fs.readlinkSync(this.abs(rel));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EINVAL') this.unreadable.push({ path: rel, error: code ?? 'error' });
      return null;
    }
    const dir = path.posix.dirname(rel);
    const base = dir === '.' ? '' : dir;
    if (target.startsWith('/')) target = path.posix.relative(base, target.slice(1).replace(/\/+$/, '')) || '.';
    const resolved = path.posix.normalize(path.posix.join(base, target)).replace(/\/+$/, '');
    if (resolved === '..' || resolved.startsWith('../')) return null;
    if (!this.entries.has(rel)) {
      if (!this.addDir(base)) return null;
      this.entries.set(rel, { type: 'symlink', path: rel, target, mtime: this.mtime });
    }
    return resolved;
  }

  /** Captures a link and makes its target directory exist in the archive (empty unless captured otherwise). */
  addLinkWithTarget(rel: string): string | null {
    const resolved = this.addLink(rel);
    if (resolved === null) return null;
    let st: fs.Stats | null;
    try {
      st = fs.statSync(this.abs(resolved));
    } catch {
      st = null;
    }
    if (st?.isDirectory()) this.addDir(resolved);
    return resolved;
  }

  addFile(rel: string, cap: number, transform?: (data: Uint8Array) => Uint8Array): boolean {
    const st = this.lstat(rel);
    if (!st) return false;
    if (st.isSymbolicLink()) {
      this.addLink(rel);
      return true;
    }
    if (!st.isFile()) return false;
    let got: { data: Uint8Array; truncated: boolean };
    try {
      got = readCapped(this.abs(rel), cap);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENOENT') this.unreadable.push({ path: rel, error: code });
      return false;
    }
    if (got.truncated) this.truncated.push({ path: rel, bytes: cap });
    const parent = path.posix.dirname(rel);
    if (!this.addDir(parent === '.' ? '' : parent)) return false;
    this.entries.set(rel, { type: 'file', path: rel, data: transform ? transform(got.data) : got.data, mode: 0o644, mtime: this.mtime });
    return true;
  }

  /**
   * Config space exactly as readable (4096 as root, 64 otherwise) up to the --config level, read the way
   * the scan reads it, with the DSN zeroed under --redact. `rel` is a function directory's `config`.
   */
  addConfig(rel: string): void {
    const st = this.lstat(rel);
    if (!st || !st.isFile()) return;
    const max = SNAPSHOT_CONFIG_BYTES[this.opts.config ?? 'full'];
    const r = (this.opts.readDir ?? readSysfsDirWithFs)(this.abs(path.posix.dirname(rel)), [], [], max);
    if ('error' in r || !r.config) {
      this.unreadable.push({ path: rel, error: 'error' in r ? r.error : (r.configError ?? 'ENOENT').split(':')[0] });
      return;
    }
    const bytes = Uint8Array.from(r.config);
    this.configBytes[String(bytes.length)] = (this.configBytes[String(bytes.length)] ?? 0) + 1;
    if (this.opts.redact) {
      const cfg = new ConfigSpace(bytes, bytes.length);
      const dsn = findCapability(walkCapabilities(cfg), DSN_EXT_CAP_ID, true);
      if (dsn && cfg.has(dsn.offset + 4, 8)) {
        bytes.fill(0, dsn.offset + 4, dsn.offset + 12);
        this.redactions.push({ path: rel, what: `device serial number (extended capability 0x0003 at 0x${dsn.offset.toString(16)}) zeroed` });
      }
    }
    const parent = path.posix.dirname(rel);
    this.addDir(parent);
    this.entries.set(rel, { type: 'file', path: rel, data: bytes, mode: 0o644, mtime: this.mtime });
  }

  /** One PCI function's directory: attributes, config, links. */
  addDevice(rel: string): void {
    if (this.doneDevices.has(rel)) return;
    this.doneDevices.add(rel);
    if (!this.addDir(rel)) return;
    this.addConfig(`${rel}/config`);
    for (const f of DEVICE_FILES) this.addFile(`${rel}/${f}`, ATTR_CAP);
    for (const l of DEVICE_LINKS) this.addLinkWithTarget(`${rel}/${l}`);
  }

  /** An empty file standing for something a tar of sysfs cannot hold (a device node), kept by name. */
  addPlaceholder(rel: string): void {
    const parent = path.posix.dirname(rel);
    if (!this.addDir(parent === '.' ? '' : parent)) return;
    this.entries.set(rel, { type: 'file', path: rel, data: new Uint8Array(0), mode: 0o644, mtime: this.mtime });
  }

  isDir(rel: string): boolean {
    return this.lstat(rel)?.isDirectory() ?? false;
  }

  /** Lists a directory and keeps it in the archive even when empty (an empty sys/class/iommu means "no IOMMU"). */
  list(rel: string): string[] {
    const st = this.lstat(rel);
    if (st?.isDirectory()) this.addDir(rel);
    try {
      return fs.readdirSync(this.abs(rel)).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code && code !== 'ENOENT' && code !== 'ENOTDIR') this.unreadable.push({ path: rel, error: code });
      return [];
    }
  }
}

/**
 * device-DAX, RDMA, V4L2 and DVB entries with the attributes the doctor reads (the reader's own list,
 * access/mem-mechanisms.ts), and the test-driver device nodes by name (an empty file each: a tar of
 * sysfs holds no device nodes).
 */
function captureMemMechanisms(c: Capturer): void {
  for (const { dir, attrs } of MECHANISM_CLASS_DIRS) {
    for (const n of c.list(dir)) {
      const resolved = c.addLinkWithTarget(`${dir}/${n}`) ?? `${dir}/${n}`;
      for (const a of attrs) c.addFile(`${resolved}/${a}`, ATTR_CAP);
      if (dir === 'sys/class/infiniband') {
        for (const p of c.list(`${resolved}/ports`)) c.addFile(`${resolved}/ports/${p}/${RDMA_PORT_NETDEV}`, ATTR_CAP);
      }
    }
  }
  for (const n of c.list('dev')) {
    if (MECHANISM_DEV_PREFIXES.some((p) => n.startsWith(p))) c.addPlaceholder(`dev/${n}`);
  }
  for (const d of MECHANISM_DEV_DIRS) for (const n of c.list(d)) c.addPlaceholder(`${d}/${n}`);
  // Whole files: bufinfo (root-only debugfs), /proc/iomem (zeros as non-root, kept as read), nvidia-fs.
  for (const f of Object.values(MECHANISM_FILES)) c.addFile(f, 16 << 20);
  for (const m of PEER_MODULES) if (c.isDir(`sys/module/${m}`)) c.addDir(`sys/module/${m}`);
  for (const n of c.list(KFD_NODES)) {
    const node = `${KFD_NODES}/${n}`;
    c.addFile(`${node}/properties`, ATTR_CAP);
    for (const sub of ['io_links', 'p2p_links']) for (const l of c.list(`${node}/${sub}`)) c.addFile(`${node}/${sub}/${l}/properties`, ATTR_CAP);
  }
  for (const bdf of c.list(AMDGPU_DRIVER_DIR)) {
    if (!BDF_RE.test(bdf)) continue;
    c.addLink(`${AMDGPU_DRIVER_DIR}/${bdf}`);
    const dir = c.addLink(`sys/bus/pci/devices/${bdf}`) ?? `sys/bus/pci/devices/${bdf}`;
    for (const f of AMDGPU_VRAM_FILES) c.addFile(`${dir}/${f}`, ATTR_CAP);
  }
}

/** Reads everything p2p uses under the root into archive entries plus the manifest. */
export function captureSnapshot(opts: CaptureOptions = {}): Capture {
  const rootArg = opts.root ?? '/';
  const root = path.resolve(rootArg);
  // Whether this is the machine p2p runs on is the source's call (source.ts), made here when not given.
  const live = opts.live ?? openSource({ root: opts.root }).live;
  const now = opts.now ?? new Date();
  const c = new Capturer(root, opts, now);
  const devicesRel = 'sys/bus/pci/devices';
  let names: string[];
  try {
    names = fs.readdirSync(c.abs(devicesRel)).filter((n) => BDF_RE.test(n)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`no PCI devices: ${c.abs(devicesRel)} does not exist (is ${rootArg} a filesystem root with sys/?)`);
    throw new UserError(`cannot list ${c.abs(devicesRel)}: ${code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  c.addDir(devicesRel);

  // Each function's directory, and every PCI function on the path above it (bridges that are
  // missing from bus/pci/devices are read from there too, as the sysfs reader does).
  let deviceCount = 0;
  for (const name of names) {
    const rel = `${devicesRel}/${name}`;
    const st = fs.lstatSync(c.abs(rel));
    let dir: string | null = rel;
    if (st.isSymbolicLink()) dir = c.addLink(rel);
    if (dir === null) continue;
    const parts = dir.split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      if (BDF_RE.test(parts[i])) c.addDevice(parts.slice(0, i + 1).join('/'));
    }
    let isDir: boolean;
    try {
      isDir = fs.statSync(c.abs(dir)).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) continue;
    c.addDevice(dir);
    deviceCount++;
  }

  // Kernel names bound to PCI functions (nvme0, nvme0n1, eth0, mlx5_0, card0).
  for (const cls of CLASS_DIRS) {
    const dir = `sys/class/${cls}`;
    for (const n of c.list(dir)) {
      const rel = `${dir}/${n}`;
      let target: string;
      try {
        target = fs.readlinkSync(c.abs(rel));
      } catch {
        continue;
      }
      if (bdfsInPath(target).length > 0) c.addLinkWithTarget(rel);
    }
  }

  captureMemMechanisms(c);

  // IOMMU: units, and each group's default domain type and members.
  for (const n of c.list('sys/class/iommu')) c.addLinkWithTarget(`sys/class/iommu/${n}`);
  for (const g of c.list('sys/kernel/iommu_groups')) {
    const gdir = `sys/kernel/iommu_groups/${g}`;
    if (!c.addDir(gdir)) continue;
    c.addFile(`${gdir}/type`, 4096);
    for (const m of c.list(`${gdir}/devices`)) c.addLink(`${gdir}/devices/${m}`);
  }

  // Machine-wide facts.
  for (const [rel, cap] of HOST_FILES) {
    // The directory even when the file is absent: "no /etc/cufile.json" differs from "no /etc at all".
    const parent = path.posix.dirname(rel);
    if (parent !== '.' && c.isDir(parent)) c.addDir(parent);
    if (rel === 'proc/sys/kernel/hostname' && opts.redact) {
      if (c.addFile(rel, cap, () => new TextEncoder().encode('redacted\n'))) c.redactions.push({ path: rel, what: 'host name replaced by "redacted"' });
      continue;
    }
    c.addFile(rel, cap);
  }
  for (const n of c.list('sys/devices/system/node')) {
    if (!/^node\d+$/.test(n)) continue;
    for (const f of NODE_FILES) c.addFile(`sys/devices/system/node/${n}/${f}`, 64 << 10);
  }
  // The host's own names, for redacting free text.
  const hostnames = new Set<string>();
  const hn = c.entries.get('proc/sys/kernel/hostname');
  if (live) hostnames.add(os.hostname());
  if (opts.hostname) hostnames.add(opts.hostname);
  if (hn?.type === 'file' && !opts.redact) hostnames.add(new TextDecoder().decode(hn.data).trim());
  if (opts.redact) {
    try {
      hostnames.add(fs.readFileSync(c.abs('proc/sys/kernel/hostname'), 'utf8').trim());
    } catch {
      /* no host name in the source */
    }
  }
  const hostNames = [...hostnames].filter(Boolean).flatMap((h) => [h, h.split('.')[0]]).sort((x, y) => y.length - x.length);
  if (live) {
    const log = opts.kernelLog !== undefined ? opts.kernelLog : readKernelLog();
    if (log !== null) {
      const text = opts.redact ? redactText(log, hostNames) : log;
      c.entries.set('dmesg.txt', { type: 'file', path: 'dmesg.txt', data: new TextEncoder().encode(text), mode: 0o644, mtime: c.mtime });
      if (opts.redact) c.redactions.push({ path: 'dmesg.txt', what: 'host names and serial numbers in the kernel log replaced by "redacted"' });
    }
  } else if (opts.redact) {
    const saved = c.entries.get('dmesg.txt');
    if (saved?.type === 'file') {
      saved.data = new TextEncoder().encode(redactText(new TextDecoder().decode(saved.data), hostNames));
      c.redactions.push({ path: 'dmesg.txt', what: 'host names and serial numbers in the kernel log replaced by "redacted"' });
    }
  }

  const osrelease = c.entries.get('proc/sys/kernel/osrelease');
  let release = osrelease?.type === 'file' ? new TextDecoder().decode(osrelease.data).trim() : null;
  if (!release) {
    const v = c.entries.get('proc/version');
    release = v?.type === 'file' ? kernelReleaseFromVersion(new TextDecoder().decode(v.data)) : null;
  }
  if (release && /^[\w.+~-]+$/.test(release)) c.addFile(`boot/config-${release}`, 16 << 20);

  let hostname: string | null;
  if (opts.redact) hostname = null;
  else if (opts.hostname !== undefined) hostname = opts.hostname;
  else if (live) hostname = os.hostname();
  else {
    const h = c.entries.get('proc/sys/kernel/hostname');
    hostname = h?.type === 'file' ? new TextDecoder().decode(h.data).trim() || null : null;
  }
  const label = opts.sourceLabel ?? { source: live ? 'live' : 'root', root: live ? null : rootArg };
  const files = [...c.entries.values()].filter((e) => e.type === 'file').length;
  const manifest: SnapshotManifest = {
    format: 'p2p-snapshot',
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    tool: { name: 'p2p', version: toolVersion() },
    createdAt: now.toISOString(),
    source: label.source,
    root: opts.redact ? null : label.root,
    uid: opts.uid !== undefined ? opts.uid : live ? process.getuid?.() ?? null : null,
    hostname,
    kernelRelease: release,
    redacted: Boolean(opts.redact),
    redactions: c.redactions,
    devices: deviceCount,
    configBytes: c.configBytes,
    files,
    unreadable: c.unreadable,
    truncated: c.truncated,
  };
  const entries = [...c.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifestEntry: TarEntry = {
    type: 'file', path: MANIFEST_NAME, data: new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'), mode: 0o644, mtime: c.mtime,
  };
  return { entries: [manifestEntry, ...entries], manifest };
}

/** Captures and writes the .tar.gz atomically (temp file + rename). */
export function writeSnapshot(output: string, opts: CaptureOptions = {}): { manifest: SnapshotManifest; bytes: number } {
  const { entries, manifest } = captureSnapshot(opts);
  const gz = gzipTar(entries);
  writeOutputFile(output, gz);
  return { manifest, bytes: gz.length };
}
