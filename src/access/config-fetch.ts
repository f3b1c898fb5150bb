// Config space on demand (pciutils' config_fetch): the 64-byte header, then the capability headers the
// lists need, then only the bodies of the capabilities a decoder reads, each range once, never past
// what the config file holds. Bytes not fetched stay unknown in the ConfigSpace's present map.
import * as fs from 'node:fs';
import { ConfigSpace } from '../model/config-space.js';
import { EXPRESS_CAP_ID, type ConfigNeeds } from '../model/caps/fabric-needs.js';

/** Reads `length` bytes at `offset` into `into` (at the same offset); returns how many it got. */
export type ReadRange = (into: Uint8Array, offset: number, length: number) => number;

const CONFIG_MAX = 4096;
const STATUS_CAP_LIST = 0x10;

class Fetcher {
  readonly bytes = new Uint8Array(CONFIG_MAX);
  readonly present = new Uint8Array(CONFIG_MAX);
  /** One past the last byte the file can give (its size, cut at the first short read). */
  extent: number;
  /** Bytes asked of the reader, for tests and benchmarks. */
  fetched = 0;
  /** Whether a read past the 64-byte header returned bytes; null when none was tried. */
  pastHeader: boolean | null = null;

  constructor(private readonly read: ReadRange, size: number) {
    this.extent = Math.min(size, CONFIG_MAX);
  }

  /** Makes [offset, offset+length) present where the file has it; false when any of it is missing. */
  get(offset: number, length: number): boolean {
    const end = Math.min(offset + length, this.extent);
    let from = offset;
    while (from < end && this.present[from]) from++;
    let to = end;
    while (to > from && this.present[to - 1]) to--;
    if (from < to) {
      const got = this.read(this.bytes, from, to - from);
      this.fetched += to - from;
      this.present.fill(1, from, from + Math.max(0, got));
      if (to > 64) this.pastHeader ||= got > 0 && from + got > 64;
      if (got < to - from) this.stopAt(from + Math.max(0, got)); // EOF: a non-root reader stops at 64
    }
    return offset + length <= this.extent;
  }

  /** The file ended before `end`: the extent is one past the last byte read below it. */
  private stopAt(end: number): void {
    let e = Math.min(end, this.extent);
    while (e > 0 && !this.present[e - 1]) e--;
    this.extent = e;
  }

  u8(o: number): number {
    return this.bytes[o];
  }

  u32(o: number): number {
    const b = this.bytes;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  /** The standard list from the header's pointer; true when it holds an Express capability. */
  standard(needs: ConfigNeeds): boolean {
    if (!this.get(0, 64) || !((this.u8(0x06) | (this.u8(0x07) << 8)) & STATUS_CAP_LIST)) return false;
    let ptr = this.u8((this.u8(0x0e) & 0x7f) === 2 ? 0x14 : 0x34) & ~3;
    const seen = new Set<number>();
    let express = false;
    while (ptr >= 0x40 && ptr <= 0xfc && !seen.has(ptr)) {
      seen.add(ptr);
      if (!this.get(ptr, 2)) break;
      const id = this.u8(ptr);
      const body = needs.standard.get(id);
      if (body !== undefined) this.get(ptr, Math.min(body, 0x100 - ptr));
      express ||= id === EXPRESS_CAP_ID;
      ptr = this.u8(ptr + 1) & ~3;
    }
    return express;
  }

  /** The extended list from 0x100. */
  extended(needs: ConfigNeeds): void {
    let off = 0x100;
    const seen = new Set<number>();
    while (off >= 0x100 && off <= 0xffc && !seen.has(off)) {
      seen.add(off);
      if (!this.get(off, 4)) break;
      const header = this.u32(off);
      if (header === 0 || header === 0xffffffff) break;
      const body = needs.extended.get(header & 0xffff);
      if (body !== undefined) this.get(off, body);
      off = (header >>> 20) & 0xffc;
    }
  }
}

/** The config space with what `needs` asks fetched through `read` from a file of `size` bytes. */
export interface Fetched {
  config: ConfigSpace;
  fetched: number;
  /** Whether a read past the 64-byte header returned bytes (root); null when none was tried. */
  pastHeader: boolean | null;
}

export function fetchConfig(read: ReadRange, size: number, needs: ConfigNeeds, header?: Uint8Array): Fetched {
  const f = new Fetcher(read, size);
  if (header && header.length >= 64) {
    // Already read (the scan's first batch): kept, not fetched again.
    f.bytes.set(header.subarray(0, 64));
    f.present.fill(1, 0, 64);
  }
  if (f.standard(needs)) f.extended(needs);
  return { config: new ConfigSpace(f.bytes, f.extent, f.present), fetched: f.fetched, pastHeader: f.pastHeader };
}

/** fetchConfig on a sysfs `config` file with plain fs preads; null when it will not open. */
export function fetchConfigFile(file: string, needs: ConfigNeeds, header?: Uint8Array): Fetched | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const read: ReadRange = (into, offset, length) => {
      try {
        return fs.readSync(fd, into, offset, length, offset);
      } catch {
        return 0;
      }
    };
    return fetchConfig(read, fs.fstatSync(fd).size, needs, header);
  } finally {
    fs.closeSync(fd);
  }
}
