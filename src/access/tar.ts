// A small, strict ustar/pax tar writer and reader (regular files, directories, symlinks), gzip via node:zlib.
// Enough for p2p snapshots and for tarballs of captured trees made by GNU tar (pax and GNU long names).
import { createRequire } from 'node:module';

/**
 * node:zlib, loaded when something is really compressed or uncompressed: every `--root DIR` asks
 * whether DIR is an archive, and most commands never need zlib. (Also the kernel config's gunzip.)
 */
export const loadZlib = (): typeof import('node:zlib') => createRequire(import.meta.url)('node:zlib');

export type TarEntry =
  | { type: 'file'; path: string; data: Uint8Array; mode?: number; mtime?: number }
  | { type: 'dir'; path: string; mode?: number; mtime?: number }
  | { type: 'symlink'; path: string; target: string; mtime?: number };

/** A malformed archive: the message is one line, fit for the user. */
export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function writeString(buf: Uint8Array, off: number, len: number, s: string): void {
  const b = enc.encode(s);
  buf.set(b.subarray(0, len), off);
}

/** Octal, NUL-terminated, zero-padded to fill the field. */
function writeOctal(buf: Uint8Array, off: number, len: number, n: number): void {
  const s = Math.max(0, Math.floor(n)).toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new RangeError(`value ${n} does not fit a ${len}-byte tar field`);
  writeString(buf, off, len - 1, s);
  buf[off + len - 1] = 0;
}

function header(name: string, type: string, size: number, mode: number, mtime: number, linkname = ''): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, 156, 1, type);
  writeString(h, 157, 100, linkname);
  writeString(h, 257, 6, 'ustar');
  h[262] = 0;
  writeString(h, 263, 2, '00');
  writeString(h, 265, 32, 'root');
  writeString(h, 297, 32, 'root');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  writeString(h, 148, 7, sum.toString(8).padStart(6, '0') + '\0');
  h[155] = 0x20;
  return h;
}

/** One pax record: "LEN key=value\n" where LEN counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = enc.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rem = data.length % BLOCK;
  return rem === 0 ? [data] : [data, new Uint8Array(BLOCK - rem)];
}

function normalizePath(p: string, dir: boolean): string {
  let s = p.replace(/^\.\//, '').replace(/\/+$/, '');
  if (dir) s += '/';
  return s;
}

/** Serialises entries as a POSIX (pax) tar: long or non-ASCII names and link targets go in pax headers. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = normalizePath(e.path, e.type === 'dir');
    if (!name || name === '/') throw new TarError('empty entry name');
    const target = e.type === 'symlink' ? e.target : '';
    const mtime = e.mtime ?? 0;
    const pax: string[] = [];
    if (enc.encode(name).length > 100 || !isAscii(name)) pax.push(paxRecord('path', name));
    if (enc.encode(target).length > 100 || !isAscii(target)) pax.push(paxRecord('linkpath', target));
    const data = e.type === 'file' ? e.data : new Uint8Array(0);
    if (data.length > 0o77777777777) pax.push(paxRecord('size', String(data.length)));
    if (pax.length) {
      const body = enc.encode(pax.join(''));
      const paxName = `PaxHeaders/${name.replace(/\/$/, '').split('/').pop() ?? 'x'}`.slice(0, 99);
      parts.push(header(paxName, 'x', body.length, 0o644, mtime), ...padded(body));
    }
    const shortName = isAscii(name) ? name.slice(0, 100) : name.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
    const shortTarget = isAscii(target) ? target.slice(0, 100) : '';
    if (e.type === 'file') {
      parts.push(header(shortName, '0', data.length > 0o77777777777 ? 0 : data.length, e.mode ?? 0o644, mtime), ...padded(data));
    } else if (e.type === 'dir') {
      parts.push(header(shortName, '5', 0, e.mode ?? 0o755, mtime));
    } else {
      parts.push(header(shortName, '2', 0, 0o777, mtime, shortTarget));
    }
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function readString(buf: Uint8Array, off: number, len: number): string {
  const slice = buf.subarray(off, off + len);
  const nul = slice.indexOf(0);
  return dec.decode(nul < 0 ? slice : slice.subarray(0, nul));
}

function readOctal(buf: Uint8Array, off: number, len: number, what: string): number {
  // GNU base-256 for large values: high bit of the first byte set.
  if (buf[off] & 0x80) {
    let n = buf[off] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + buf[off + i];
    return n;
  }
  const s = readString(buf, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`bad ${what} field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function parsePax(body: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < body.length) {
    let sp = off;
    while (sp < body.length && body[sp] !== 0x20) sp++;
    const len = parseInt(dec.decode(body.subarray(off, sp)), 10);
    if (!Number.isFinite(len) || len <= 0 || off + len > body.length) throw new TarError('bad pax extended header');
    const rec = dec.decode(body.subarray(sp + 1, off + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

export interface ReadTarOptions {
  /** Stop with TarError past this many entries (default 1,000,000). */
  maxEntries?: number;
}

/**
 * Parses a tar archive. Regular files, directories and symlinks are returned; hard links, devices
 * and FIFOs are reported in `skipped`. Throws TarError on a corrupt or truncated archive.
 */
export function readTar(buf: Uint8Array, opts: ReadTarOptions = {}): { entries: TarEntry[]; skipped: string[] } {
  const maxEntries = opts.maxEntries ?? 1_000_000;
  const entries: TarEntry[] = [];
  const skipped: string[] = [];
  let off = 0;
  let pax: Map<string, string> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  let sawEnd = false;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) {
      sawEnd = true;
      break;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const stored = readOctal(h, 148, 8, 'checksum');
    if (stored !== sum) throw new TarError(`header checksum mismatch at byte ${off} (corrupt archive)`);
    const type = String.fromCharCode(h[156] || 0x30);
    const size = pax?.has('size') ? parseInt(pax.get('size')!, 10) : readOctal(h, 124, 12, 'size');
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) throw new TarError(`archive is truncated (entry at byte ${off} needs ${size} bytes)`);
    const data = buf.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing we use
    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = readString(data, 0, data.length);
      continue;
    }
    const magic = readString(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? readString(h, 345, 155) : '';
    let name = readString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = pax?.get('path') ?? longName ?? name;
    const target = pax?.get('linkpath') ?? longLink ?? readString(h, 157, 100);
    const mode = readOctal(h, 100, 8, 'mode');
    const mtime = readOctal(h, 136, 12, 'mtime');
    pax = null;
    longName = null;
    longLink = null;
    if (entries.length >= maxEntries) throw new TarError(`more than ${maxEntries} entries`);
    if (type === '0' || type === '7') entries.push({ type: 'file', path: name, data, mode, mtime });
    else if (type === '5') entries.push({ type: 'dir', path: name, mode, mtime });
    else if (type === '2') entries.push({ type: 'symlink', path: name, target, mtime });
    else skipped.push(`${name} (tar type ${JSON.stringify(type)})`);
  }
  // GNU tar, bsdtar and Python all end with zero blocks; without them the archive was cut short.
  if (!sawEnd) throw new TarError('archive is truncated (no end-of-archive marker)');
  return { entries, skipped };
}

/** gzip magic bytes. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** A ustar/GNU header at offset 0 ("ustar" magic at 257). */
export function looksLikeTar(buf: Uint8Array): boolean {
  return buf.length >= BLOCK && readString(buf, 257, 5) === 'ustar';
}

export function gzipTar(entries: readonly TarEntry[]): Uint8Array {
  return loadZlib().gzipSync(writeTar(entries), { level: 9 });
}

/** Gunzips (when gzipped) and parses; `maxBytes` caps the uncompressed size (default 1 GiB). */
export function readTarGz(buf: Uint8Array, maxBytes = 1 << 30): { entries: TarEntry[]; skipped: string[] } {
  let raw: Uint8Array = buf;
  if (isGzip(buf)) {
    try {
      raw = loadZlib().gunzipSync(buf, { maxOutputLength: maxBytes });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new TarError(`uncompressed size exceeds ${Math.round(maxBytes / 1048576)} MiB`);
      throw new TarError(code === 'Z_BUF_ERROR' ? 'gzip data is truncated' : `gzip data is corrupt (${(e as Error).message})`);
    }
  }
  return readTar(raw);
}
