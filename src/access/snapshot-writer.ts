// `p2p snapshot`: captures exactly what p2p reads under a root (sysfs PCI devices, class links,
// IOMMU groups, NUMA/CPU lists, procfs facts, kernel config) into a .tar.gz. Reads only an explicit
// list of small attribute files, each with a size cap; never writes to sysfs, never reads BARs or ROMs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigSpace } from '../model/config-space.js';
import { findCapability, walkCapabilities } from '../model/caps/walk.js';
import { DSN_EXT_CAP_ID } from '../model/caps/dsn.js';
import { bdfAncestorDirs, bdfsInPath, KERNEL_BDF as BDF_RE } from '../model/bdf.js';
import { UserError } from '../errors.js';
import { toolVersion } from '../version.js';
import { readSysfsDirWithFs, type SysfsDirReader } from './sysfs-dir-reader.js';
import { kernelReleaseFromVersion } from './host-info.js';
import { parseKmsg, readKmsgRecords } from './kmsg.js';
import { gzipTar, type TarEntry } from './tar.js';
import { MANIFEST_NAME, SNAPSHOT_FORMAT_VERSION, type SnapshotManifest } from './snapshot.js';
import { openSource } from './source.js';
import { writeOutputFile } from './output-file.js';
import { CLASS_DIRS, FUNCTION_LINKS, HOST_FILE, SNAPSHOT_FUNCTION_FILES, SNAPSHOT_HOST_FILES } from './sysfs-files.js';
import {
  AMDGPU_DRIVER_DIR, AMDGPU_VRAM_FILES, KFD_NODES, MECHANISM_CLASS_DIRS, MECHANISM_DEV_DIRS, MECHANISM_DEV_PREFIXES, MECHANISM_FILES,
  PEER_MODULES, RDMA_PORT_NETDEV,
} from './mem-mechanisms.js';




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
    for (const f of SNAPSHOT_FUNCTION_FILES) this.addFile(`${rel}/${f}`, ATTR_CAP);
    for (const l of FUNCTION_LINKS) this.addLinkWithTarget(`${rel}/${l}`);
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

const DEVICES_REL = 'sys/bus/pci/devices';

/** The PCI functions the root lists, in BDF order; a root without sys/bus/pci/devices is a user error. */
function listPciFunctions(c: Capturer, rootArg: string): string[] {
  try {
    return fs.readdirSync(c.abs(DEVICES_REL)).filter((n) => BDF_RE.test(n)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`no PCI devices: ${c.abs(DEVICES_REL)} does not exist (is ${rootArg} a filesystem root with sys/?)`);
    throw new UserError(`cannot list ${c.abs(DEVICES_REL)}: ${code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/**
 * Each function's directory, and every PCI function on the path above it (bridges that are
 * missing from bus/pci/devices are read from there too, as the sysfs reader does). Returns how
 * many functions were captured.
 */
function capturePciFunctions(c: Capturer, names: readonly string[]): number {
  c.addDir(DEVICES_REL);
  let deviceCount = 0;
  for (const name of names) {
    const rel = `${DEVICES_REL}/${name}`;
    const st = fs.lstatSync(c.abs(rel));
    let dir: string | null = rel;
    if (st.isSymbolicLink()) dir = c.addLink(rel);
    if (dir === null) continue;
    for (const above of bdfAncestorDirs(dir)) c.addDevice(above.dir);
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
  return deviceCount;
}

/** Kernel names bound to PCI functions (nvme0, nvme0n1, eth0, mlx5_0, card0). */
function captureClassLinks(c: Capturer): void {
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
}

/** IOMMU: units, and each group's default domain type and members. */
function captureIommu(c: Capturer): void {
  for (const n of c.list('sys/class/iommu')) c.addLinkWithTarget(`sys/class/iommu/${n}`);
  for (const g of c.list('sys/kernel/iommu_groups')) {
    const gdir = `sys/kernel/iommu_groups/${g}`;
    if (!c.addDir(gdir)) continue;
    c.addFile(`${gdir}/type`, 4096);
    for (const m of c.list(`${gdir}/devices`)) c.addLink(`${gdir}/devices/${m}`);
  }
}

/** Machine-wide facts (SNAPSHOT_HOST_FILES, the host name replaced under --redact) and each NUMA node's files. */
function captureHostFiles(c: Capturer, redact: boolean): void {
  for (const [rel, cap] of SNAPSHOT_HOST_FILES) {
    // The directory even when the file is absent: "no /etc/cufile.json" differs from "no /etc at all".
    const parent = path.posix.dirname(rel);
    if (parent !== '.' && c.isDir(parent)) c.addDir(parent);
    if (rel === HOST_FILE.hostname && redact) {
      if (c.addFile(rel, cap, () => new TextEncoder().encode('redacted\n'))) c.redactions.push({ path: rel, what: 'host name replaced by "redacted"' });
      continue;
    }
    c.addFile(rel, cap);
  }
  for (const n of c.list('sys/devices/system/node')) {
    if (!/^node\d+$/.test(n)) continue;
    for (const f of NODE_FILES) c.addFile(`sys/devices/system/node/${n}/${f}`, 64 << 10);
  }
}

/** The host's own names (and their short forms), longest first, for redacting free text. */
function hostNamesOf(c: Capturer, opts: CaptureOptions, live: boolean): string[] {
  const hostnames = new Set<string>();
  const hn = c.entries.get(HOST_FILE.hostname);
  if (live) hostnames.add(os.hostname());
  if (opts.hostname) hostnames.add(opts.hostname);
  if (hn?.type === 'file' && !opts.redact) hostnames.add(new TextDecoder().decode(hn.data).trim());
  if (opts.redact) {
    try {
      hostnames.add(fs.readFileSync(c.abs(HOST_FILE.hostname), 'utf8').trim());
    } catch {
      /* no host name in the source */
    }
  }
  return [...hostnames].filter(Boolean).flatMap((h) => [h, h.split('.')[0]]).sort((x, y) => y.length - x.length);
}

/** The kernel log: read from /dev/kmsg on the live machine, a captured tree's dmesg.txt otherwise; redacted under --redact. */
function captureKernelLog(c: Capturer, opts: CaptureOptions, live: boolean): void {
  const hostNames = hostNamesOf(c, opts, live);
  if (live) {
    const log = opts.kernelLog !== undefined ? opts.kernelLog : readKernelLog();
    if (log !== null) {
      const text = opts.redact ? redactText(log, hostNames) : log;
      c.entries.set(HOST_FILE.savedKernelLog, { type: 'file', path: HOST_FILE.savedKernelLog, data: new TextEncoder().encode(text), mode: 0o644, mtime: c.mtime });
      if (opts.redact) c.redactions.push({ path: HOST_FILE.savedKernelLog, what: 'host names and serial numbers in the kernel log replaced by "redacted"' });
    }
  } else if (opts.redact) {
    const saved = c.entries.get(HOST_FILE.savedKernelLog);
    if (saved?.type === 'file') {
      saved.data = new TextEncoder().encode(redactText(new TextDecoder().decode(saved.data), hostNames));
      c.redactions.push({ path: HOST_FILE.savedKernelLog, what: 'host names and serial numbers in the kernel log replaced by "redacted"' });
    }
  }
}

/** The kernel release (osrelease, else /proc/version) and its boot/config-RELEASE; the release, or null. */
function captureBootConfig(c: Capturer): string | null {
  const osrelease = c.entries.get('proc/sys/kernel/osrelease');
  let release = osrelease?.type === 'file' ? new TextDecoder().decode(osrelease.data).trim() : null;
  if (!release) {
    const v = c.entries.get('proc/version');
    release = v?.type === 'file' ? kernelReleaseFromVersion(new TextDecoder().decode(v.data)) : null;
  }
  if (release && /^[\w.+~-]+$/.test(release)) c.addFile(`boot/config-${release}`, 16 << 20);
  return release;
}

/** The host name the manifest names: none under --redact, else the caller's, this machine's, or the tree's. */
function manifestHostname(c: Capturer, opts: CaptureOptions, live: boolean): string | null {
  if (opts.redact) return null;
  if (opts.hostname !== undefined) return opts.hostname;
  if (live) return os.hostname();
  const h = c.entries.get(HOST_FILE.hostname);
  return h?.type === 'file' ? new TextDecoder().decode(h.data).trim() || null : null;
}

/** Reads everything p2p uses under the root into archive entries plus the manifest. */
export function captureSnapshot(opts: CaptureOptions = {}): Capture {
  const rootArg = opts.root ?? '/';
  const root = path.resolve(rootArg);
  // Whether this is the machine p2p runs on is the source's call (source.ts), made here when not given.
  const live = opts.live ?? openSource({ root: opts.root }).live;
  const now = opts.now ?? new Date();
  const c = new Capturer(root, opts, now);
  const names = listPciFunctions(c, rootArg);
  const deviceCount = capturePciFunctions(c, names);
  captureClassLinks(c);
  captureMemMechanisms(c);
  captureIommu(c);
  captureHostFiles(c, Boolean(opts.redact));
  captureKernelLog(c, opts, live);
  const release = captureBootConfig(c);

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
    hostname: manifestHostname(c, opts, live),
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
