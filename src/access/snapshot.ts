// Access method for p2p snapshots (`--root snap.tar.gz`): safe extraction into a private temp dir that
// is removed on exit, then the ordinary sysfs reader on that root. Also the manifest type and the
// sysfs AER counters, which snapshots carry for `p2p diff`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { readSysfsFabric, type SysfsOptions } from './sysfs.js';
import { isGzip, looksLikeTar, readTarGz, TarError, type TarEntry } from './tar.js';
import type { RawFabric } from './types.js';

/** The file at the archive's root describing the capture (docs/snapshots.md). */
export const MANIFEST_NAME = 'p2p-snapshot.json';
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotManifest {
  format: 'p2p-snapshot';
  formatVersion: number;
  tool: { name: string; version: string };
  createdAt: string;
  /** "live": this machine's / ; "root": a captured tree given with --root. */
  source: 'live' | 'root';
  /** The --root the capture read (null for live captures and when redacted). */
  root: string | null;
  /** uid of the capturing process for live captures (0: config space complete); null when unknown. */
  uid: number | null;
  /** Host name (null when redacted or unknown). */
  hostname: string | null;
  kernelRelease: string | null;
  redacted: boolean;
  /** What --redact changed: archive path and what was removed. */
  redactions: { path: string; what: string }[];
  devices: number;
  /** Config-space bytes captured -> number of functions (64 = read as non-root). */
  configBytes: Record<string, number>;
  files: number;
  /** Paths p2p reads that exist but could not be read, with the error code. */
  unreadable: { path: string; error: string }[];
  /** Files cut at the size cap. */
  truncated: { path: string; bytes: number }[];
}

export interface SnapshotHandle {
  /** Filesystem root inside the extraction dir (has sys/). */
  root: string;
  manifest: SnapshotManifest | null;
  /** Entries skipped while extracting (unsafe links, device nodes...). */
  warnings: string[];
  cleanup(): void;
}

/** Names that say "archive", and any regular file (a directory is a captured tree). */
export function isSnapshotPath(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    // Missing: an archive name gets the archive's "no such file", anything else the tree's message.
    return /\.(tar\.gz|tgz|tar)$/i.test(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Temp dirs: removed on normal exit, on errors, and on SIGINT/SIGTERM/SIGHUP.

const openDirs = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const d of openDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
  openDirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeAll();
      process.removeListener(sig, onSignal);
      // Re-raise only when nobody else listens (bench's cancel, the TUI's terminal restore own the
      // signal otherwise); with our listener gone the default action then ends the process.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Safe extraction.

/** "a/./b/" -> "a/b"; null for absolute paths and anything with "..". */
export function safeRelative(name: string): string | null {
  if (name.includes('\0')) return null;
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) return null;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

class Extractor {
  private readonly goodDirs = new Set<string>(['']);
  readonly warnings: string[] = [];
  private readonly links: string[] = [];

  constructor(private readonly dest: string) {}

  /** Creates every component of `rel` as a real directory; refuses to go through a symlink. */
  private ensureDir(rel: string): void {
    if (this.goodDirs.has(rel)) return;
    const parent = path.posix.dirname(rel);
    this.ensureDir(parent === '.' ? '' : parent);
    const abs = path.join(this.dest, rel);
    let st: fs.Stats | null;
    try {
      st = fs.lstatSync(abs);
    } catch {
      st = null;
    }
    if (st === null) fs.mkdirSync(abs, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw new TarError(`unsafe archive: ${rel} is a symlink and an entry is written through it`);
    else if (!st.isDirectory()) throw new TarError(`unsafe archive: ${rel} is both a file and a directory`);
    this.goodDirs.add(rel);
  }

  /** Removes a previous entry of the same name (tar semantics: the last one wins), never a directory. */
  private clear(rel: string): void {
    const abs = path.join(this.dest, rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return;
    }
    if (st.isDirectory()) throw new TarError(`unsafe archive: ${rel} is both a directory and a file or link`);
    fs.unlinkSync(abs);
  }

  add(e: TarEntry): void {
    const rel = safeRelative(e.path);
    if (rel === null) throw new TarError(`unsafe archive: entry ${JSON.stringify(e.path)} is absolute or leaves the archive with ".."`);
    if (rel === '') return;
    const parent = path.posix.dirname(rel);
    this.ensureDir(parent === '.' ? '' : parent);
    const abs = path.join(this.dest, rel);
    if (e.type === 'dir') {
      this.ensureDir(rel);
      return;
    }
    this.clear(rel);
    if (e.type === 'file') {
      const fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
      try {
        fs.writeSync(fd, e.data);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    // Symlinks: absolute targets are made relative to the archive root, so nothing points at this host.
    let target = e.target;
    if (target.includes('\0') || target === '') {
      this.warnings.push(`${rel}: empty or invalid link target; skipped`);
      return;
    }
    if (target.startsWith('/')) {
      const inRoot = safeRelative(target.slice(1)) ?? '';
      target = path.posix.relative(parent === '.' ? '' : parent, inRoot) || '.';
    }
    const resolved = path.posix.normalize(path.posix.join(parent === '.' ? '' : parent, target));
    if (resolved === '..' || resolved.startsWith('../')) {
      this.warnings.push(`${rel}: link to ${e.target} points outside the snapshot; skipped`);
      return;
    }
    fs.symlinkSync(target, abs);
    this.links.push(rel);
  }

  /**
   * Links that resolve (through other links) outside the extraction dir are removed. Uses the libc
   * realpath: node's JS realpath resolves "link/.." lexically and would miss `self/../..` escapes.
   */
  checkLinks(): void {
    const real = fs.realpathSync.native(this.dest);
    for (const rel of this.links) {
      let r: string;
      try {
        r = fs.realpathSync.native(path.join(this.dest, rel));
      } catch {
        continue; // dangling: harmless, readers treat it as missing
      }
      if (r !== real && !r.startsWith(real + path.sep)) {
        fs.unlinkSync(path.join(this.dest, rel));
        this.warnings.push(`${rel}: link resolves outside the snapshot; removed`);
      }
    }
  }
}

function parseManifest(file: string): SnapshotManifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as SnapshotManifest;
    return m && m.format === 'p2p-snapshot' ? m : null;
  } catch {
    return null;
  }
}

/** Finds the filesystem root: the extraction dir, or its single top-level directory. */
function findRoot(dest: string): string | null {
  if (fs.existsSync(path.join(dest, 'sys/bus/pci/devices'))) return dest;
  const top = fs.readdirSync(dest);
  if (top.length === 1) {
    const inner = path.join(dest, top[0]);
    if (fs.lstatSync(inner).isDirectory() && fs.existsSync(path.join(inner, 'sys/bus/pci/devices'))) return inner;
  }
  return null;
}

/**
 * Extracts a snapshot (.tar.gz, .tgz or plain .tar) into a private temp dir. Throws a one-line
 * UserError for missing, corrupt, truncated or unsafe archives; the temp dir is gone by then.
 */
export function openSnapshot(file: string): SnapshotHandle {
  let buf: Buffer;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new UserError(`${file}: is a directory, not a snapshot archive`);
    buf = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (!isGzip(buf) && !looksLikeTar(buf)) {
    throw new UserError(`${file}: not a directory, and not a p2p snapshot (expected a .tar.gz written by p2p snapshot)`);
  }
  let entries: TarEntry[];
  let skipped: string[];
  try {
    ({ entries, skipped } = readTarGz(buf));
  } catch (e) {
    if (e instanceof TarError) throw new UserError(`${file}: corrupt snapshot: ${e.message}`);
    throw e;
  }
  hookExit();
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-snapshot-'));
  openDirs.add(dest);
  const cleanup = (): void => {
    fs.rmSync(dest, { recursive: true, force: true });
    openDirs.delete(dest);
  };
  try {
    const x = new Extractor(dest);
    for (const e of entries) x.add(e);
    x.checkLinks();
    const root = findRoot(dest);
    if (!root) throw new UserError(`${file}: not a p2p snapshot: the archive has no sys/bus/pci/devices`);
    const manifest = parseManifest(path.join(root, MANIFEST_NAME));
    const warnings = [...skipped.map((s) => `snapshot: skipped ${s}`), ...x.warnings.map((w) => `snapshot: ${w}`)];
    return { root, manifest, warnings, cleanup };
  } catch (e) {
    cleanup();
    if (e instanceof TarError) throw new UserError(`${file}: corrupt snapshot: ${e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new UserError(`${file}: no space left in ${os.tmpdir()} to extract the snapshot`);
    throw e;
  }
}

const cache = new Map<string, SnapshotHandle>();

/** openSnapshot, once per file per process (the fabric loader and the doctor share one extraction). */
export function openSnapshotCached(file: string): SnapshotHandle {
  const key = path.resolve(file);
  const hit = cache.get(key);
  if (hit) return hit;
  const h = openSnapshot(file);
  const wrapped: SnapshotHandle = {
    ...h,
    cleanup: () => {
      cache.delete(key);
      h.cleanup();
    },
  };
  cache.set(key, wrapped);
  return wrapped;
}

/**
 * The directory to read for a --root value: the value itself for a directory, the extracted root
 * for a snapshot archive (extracted once, removed at exit). `undefined` means the live machine ("/").
 */
export function sourceRoot(rootArg: string | undefined): { root: string; snapshot: SnapshotHandle | null } {
  if (rootArg === undefined) return { root: '/', snapshot: null };
  if (!isSnapshotPath(rootArg)) return { root: rootArg, snapshot: null };
  const snapshot = openSnapshotCached(rootArg);
  return { root: snapshot.root, snapshot };
}

/** The fabric in a snapshot, as `readSysfsFabric` would have read it on the captured machine. */
export function readSnapshotFabric(file: string, opts: SysfsOptions & { fill?: number } = {}): RawFabric {
  const snap = openSnapshotCached(file);
  let raw: RawFabric;
  try {
    raw = readSysfsFabric(snap.root, opts);
  } catch (e) {
    // Name the archive, not the temp dir that is about to disappear.
    if (e instanceof UserError) throw new UserError(`${file}: ${e.message.split(snap.root + path.sep).join('').split(snap.root).join('')}`, e.exitCode);
    throw e;
  }
  const uid = snap.manifest?.uid;
  raw.host.isRoot = uid === null || uid === undefined ? null : uid === 0;
  return { ...raw, source: { method: 'snapshot', location: file, live: false }, warnings: [...snap.warnings, ...raw.warnings] };
}
