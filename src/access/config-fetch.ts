// Config space on demand (pciutils' config_fetch, with its map of what was fetched): the 64-byte header
// when the scan read it (or nothing), then, round by round, the next registers a view's decoders read (their ConfigNeeds run over what is
// here, and what they ask for and lack is fetched), never past what the config file holds. Many files go
// through one range reader per round (the addon's batch pread, or plain fs). Bytes not fetched stay
// unknown in the ConfigSpace's present map.
import * as fs from 'node:fs';
import { ConfigSpace } from '../model/config-space.js';
import type { ConfigNeeds, NeedsContext } from '../model/caps/fabric-needs.js';

/** Reads `length` bytes at `offset` into `into` (at the same offset); returns how many it got. */
export type ReadRange = (into: Uint8Array, offset: number, length: number) => number;

/** Config files held open for one fetch (each opened once, read in rounds, closed at the end). */
export interface ConfigFiles {
  /** Each file's size; -1 when it would not open. */
  readonly sizes: Int32Array;
  /**
   * For each file `which[k]`, its ranges (`ranges[k]`: offset, length, offset, length...) read into
   * `into[k]` at those offsets, cut at the file's size: the bytes got per range, all in order (0 past
   * the end or on an error).
   */
  read(which: readonly number[], ranges: readonly Uint32Array[], into: readonly Uint8Array[]): Int32Array;
  close(): void;
}

/** Opens config files for range reads (the addon's, or plain fs). */
export type ConfigRangeReader = (files: readonly string[]) => ConfigFiles;

const CONFIG_MAX = 4096;
/** A bound no list walk comes near (each round fetches at least a byte or ends the file). */
const MAX_ROUNDS = CONFIG_MAX;
const NO_CONTEXT: NeedsContext = { pfOfBlankVf: false };

/** A ConfigSpace that notes each read it cannot answer (inside the file): what the decoders ask next. */
class Asking extends ConfigSpace {
  readonly asked: number[] = [];

  override has(offset: number, size = 1): boolean {
    const ok = super.has(offset, size);
    if (!ok && offset >= 0 && size > 0 && offset + size <= this.length) this.asked.push(offset, size);
    return ok;
  }
}

/** One function's config as fetched so far. */
class FunctionFetch {
  readonly bytes = new Uint8Array(CONFIG_MAX);
  readonly present = new Uint8Array(CONFIG_MAX);
  /** One past the last byte the file can give (its size, cut at the first short read). */
  extent: number;
  /** Bytes the reader returned, for tests and benchmarks. */
  fetched = 0;
  /** Whether a read past the 64-byte header returned bytes; null when none was tried. */
  pastHeader: boolean | null = null;

  constructor(size: number, header?: Uint8Array) {
    this.extent = Math.min(size, CONFIG_MAX);
    if (header && header.length >= 64) {
      // Already read (the scan's first batch): kept, not fetched again.
      this.bytes.set(header.subarray(0, 64));
      this.present.fill(1, 0, 64);
    }
  }

  /**
   * The next range the decoders read and this function lacks: the first read they ask for, with the
   * ones that follow it without a gap (later ones may depend on its value); null when they ask nothing.
   */
  next(needs: ConfigNeeds, ctx: NeedsContext): [number, number] | null {
    const cfg = new Asking(this.bytes, this.extent, this.present);
    needs(cfg, ctx);
    const a = cfg.asked;
    if (a.length === 0) return null;
    let from = a[0];
    let to = from + a[1];
    for (let i = 2; i < a.length && a[i] >= from && a[i] <= to; i += 2) to = Math.max(to, a[i] + a[i + 1]);
    while (from < to && this.present[from]) from++;
    while (to > from && this.present[to - 1]) to--;
    return [from, to - from];
  }

  /** `got` bytes came for the range asked at `offset`; fewer than `length` ends the file there. */
  got(offset: number, length: number, got: number): void {
    const n = Math.max(0, Math.min(got, length));
    this.present.fill(1, offset, offset + n);
    this.fetched += n;
    if (offset + length > 64) this.pastHeader ||= n > 0 && offset + n > 64;
    // EOF: a non-root reader stops at 64.
    if (n < length) this.stopAt(offset + n);
  }

  /**
   * The file ended before `end`. Past the header, the end is one past the last byte read below it, and
   * never below 64 (the kernel's cut for a reader without privilege): a header fetched on demand has
   * holes, and they stay inside.
   */
  private stopAt(end: number): void {
    let e = Math.min(end, this.extent);
    while (e > 64 && !this.present[e - 1]) e--;
    this.extent = e;
  }

  result(): Fetched {
    return { config: new ConfigSpace(this.bytes, this.extent, this.present), fetched: this.fetched, pastHeader: this.pastHeader };
  }
}

/** The config space with what `needs` asks fetched, the bytes the reader returned, and whether it read past the header. */
export interface Fetched {
  config: ConfigSpace;
  fetched: number;
  /** Whether a read past the 64-byte header returned bytes (root); null when none was tried. */
  pastHeader: boolean | null;
}

/** fetchConfig through `read` from a file of `size` bytes, one range at a time. */
export function fetchConfig(read: ReadRange, size: number, needs: ConfigNeeds, header?: Uint8Array, ctx = NO_CONTEXT): Fetched {
  const f = new FunctionFetch(size, header);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const r = f.next(needs, ctx);
    if (!r) break;
    f.got(r[0], r[1], read(f.bytes, r[0], r[1]));
  }
  return f.result();
}

/** One config file to fetch: its path, the header the scan read, and what its decoders depend on. */
export interface FetchJob {
  file: string;
  header?: Uint8Array;
  /** A ConfigSpace already fetched for this file (more is read on top of it). */
  start?: ConfigSpace;
  ctx?: NeedsContext;
}

/**
 * fetchConfig for many files at once: the files are opened once, then each round reads every file's
 * next range in one call. Null for a file that would not open.
 */
export function fetchConfigs(jobs: readonly FetchJob[], needs: ConfigNeeds, open: ConfigRangeReader): (Fetched | null)[] {
  const fetches = jobs.map((j) => startFetch(j));
  const files = open(jobs.map((j) => j.file));
  try {
    // A file's size is the extent a whole read would find.
    fetches.forEach((f, i) => (f.extent = Math.min(f.extent, Math.max(0, files.sizes[i]))));
    let active = jobs.map((_, i) => i).filter((i) => files.sizes[i] >= 0);
    for (let round = 0; round < MAX_ROUNDS && active.length; round++) {
      const asks: [number, [number, number]][] = [];
      for (const i of active) {
        const r = fetches[i].next(needs, jobs[i].ctx ?? NO_CONTEXT);
        if (r) asks.push([i, r]);
      }
      if (!asks.length) break;
      const got = files.read(asks.map(([i]) => i), asks.map(([, r]) => Uint32Array.of(r[0], r[1])), asks.map(([i]) => fetches[i].bytes));
      asks.forEach(([i, [offset, length]], k) => fetches[i].got(offset, length, got[k]));
      active = asks.map(([i]) => i);
    }
  } finally {
    files.close();
  }
  return fetches.map((f, i) => (files.sizes[i] >= 0 ? f.result() : null));
}

function startFetch(job: FetchJob): FunctionFetch {
  const f = new FunctionFetch(CONFIG_MAX, job.header);
  const s = job.start;
  if (s) {
    f.extent = s.length;
    for (let i = 0; i < s.length; i++) {
      const v = s.u8(i);
      if (v !== undefined) {
        f.bytes[i] = v;
        f.present[i] = 1;
      }
    }
  }
  return f;
}

/** ConfigRangeReader with plain fs: open and fstat each file, a pread per range (cut at the size), close. */
export const readConfigRangesWithFs: ConfigRangeReader = (files) => {
  const fds = files.map((file) => {
    try {
      return fs.openSync(file, 'r');
    } catch {
      return -1;
    }
  });
  const sizes = Int32Array.from(fds, (fd) => (fd < 0 ? -1 : Math.min(fs.fstatSync(fd).size, 0x7fffffff)));
  return {
    sizes,
    read(which, ranges, into) {
      const got = new Int32Array(ranges.reduce((n, r) => n + r.length / 2, 0));
      let at = 0;
      which.forEach((i, k) => {
        const r = ranges[k];
        for (let j = 0; j < r.length; j += 2, at++) {
          const length = Math.max(0, Math.min(r[j + 1], sizes[i] - r[j]));
          if (fds[i] >= 0 && length > 0) got[at] = preadAll(fds[i], into[k], r[j], length);
        }
      });
      return got;
    },
    close() {
      for (const fd of fds) if (fd >= 0) fs.closeSync(fd);
    },
  };
};

/** pread until `length` bytes, EOF, a short read (sysfs: no more for this reader) or an error. */
function preadAll(fd: number, into: Uint8Array, offset: number, length: number): number {
  let done = 0;
  while (done < length) {
    const want = length - done;
    let n: number;
    try {
      n = fs.readSync(fd, into, offset + done, want, offset + done);
    } catch {
      break;
    }
    done += n;
    if (n < want) break;
  }
  return done;
}
