// Batch reads of sysfs directories (attributes, links, config) behind one interface: the native addon
// reads one directory, or many on a few threads, per call with no per-file path walk; plain fs gives the
// same answers without it.
import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import type { SysfsDirRead, SysfsDirUnopened } from '../native/addon.js';
import { readAttrText } from './read-attr.js';
import { readConfigRangesWithFs, type ConfigFiles, type ConfigRangeReader } from './config-fetch.js';

export type { SysfsDirRead, SysfsDirUnopened };
export type SysfsDirResult = SysfsDirRead | SysfsDirUnopened;

type ReadOneDir = (dir: string, files: readonly string[], links: readonly string[], configMax: number) => SysfsDirResult;
type ReadManyDirs = (dirs: readonly string[], files: readonly string[], links: readonly string[], configMax: number) => SysfsDirResult[];

/**
 * Reads `files` (raw text, null when absent or unreadable), `links` (target, "" for a non-link, null
 * when absent) and up to `configMax` bytes of `config` under `dir`; `{ error }` when `dir` will not open.
 * `batch` asks many directories the same names at once: one answer per directory, in order. A reader
 * made as a plain function (a test's wrapper) has none; batchOf() then asks directory by directory.
 */
export interface SysfsDirReader extends ReadOneDir {
  batch?: ReadManyDirs;
  /** Ranges of many `config` files in one call (config on demand); plain fs preads when absent. */
  configRanges?: ConfigRangeReader;
}

function dirReader(one: ReadOneDir, batch: ReadManyDirs, configRanges: ConfigRangeReader): SysfsDirReader {
  return Object.assign(one, { batch, configRanges });
}

/** The reader's batch form, or one call per directory when it has none. */
export function batchOf(reader: SysfsDirReader): ReadManyDirs {
  return reader.batch ?? ((dirs, files, links, configMax) => dirs.map((dir) => reader(dir, files, links, configMax)));
}

/** The reader's config range reader, or plain fs preads when it has none. */
export function configRangesOf(reader: SysfsDirReader): ConfigRangeReader {
  return reader.configRanges ?? readConfigRangesWithFs;
}

/** The errno name of a failed fs call ("ENOENT"), or the message when it has none. */
function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** "EACCES: permission denied" for a failed fs call (libuv's wording; the native reader uses strerror's). */
function errorText(e: unknown): string {
  const errno = (e as NodeJS.ErrnoException).errno;
  const text = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return text ? `${errorCode(e)}: ${text}` : errorCode(e);
}

function readLinkOrNull(file: string): string | null {
  try {
    return fs.readlinkSync(file);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EINVAL' ? '' : null;
  }
}

function readConfig(file: string, max: number): Pick<SysfsDirRead, 'config' | 'configLength' | 'configError'> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { config: null, configLength: 0, configError: errorText(e) };
    // A dangling `config` link is worth a warning; no `config` at all is not.
    try {
      fs.lstatSync(file);
    } catch {
      return { config: null, configLength: 0 };
    }
    return { config: null, configLength: 0, configError: errorText(e) };
  }
  const buf = new Uint8Array(max);
  let got = 0;
  let configError: string | undefined;
  try {
    while (got < max) {
      const asked = max - got;
      const n = fs.readSync(fd, buf, got, asked, got);
      if (n <= 0) break;
      got += n;
      if (n < asked) break; // a short read is all this reader may see (non-root: 64 bytes)
    }
  } catch (e) {
    configError = errorText(e); // keep what was read before the error
  } finally {
    fs.closeSync(fd);
  }
  const config = buf.slice(0, got);
  return configError === undefined ? { config, configLength: got } : { config, configLength: got, configError };
}

function readOneDirWithFs(dir: string, files: readonly string[], links: readonly string[], configMax: number): SysfsDirResult {
  // Opening the directory for reading checks what listing it needs, like the native reader does.
  try {
    fs.closeSync(fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
  } catch (e) {
    return { error: errorCode(e) };
  }
  const out: SysfsDirRead = {
    files: files.map((name) => readAttrText(`${dir}/${name}`)),
    links: links.map((name) => readLinkOrNull(`${dir}/${name}`)),
    config: null,
    configLength: 0,
  };
  return configMax > 0 ? { ...out, ...readConfig(`${dir}/config`, configMax) } : out;
}

/** The plain-fs reader: what the native one answers, for when the addon is not loaded. */
export const readSysfsDirWithFs: SysfsDirReader = dirReader(readOneDirWithFs, (dirs, files, links, configMax) =>
  dirs.map((dir) => readOneDirWithFs(dir, files, links, configMax)), readConfigRangesWithFs,
);

/**
 * A reader over the addon's readSysfsDir and readSysfsDirs (the caller has checked that the addon
 * loaded); `threads` fixes the batch's thread count (0: the addon picks).
 */
export function sysfsDirReaderFromAddon(addon: typeof import('../native/addon.js'), threads = 0): SysfsDirReader {
  return dirReader(
    (dir, files, links, configMax) => addon.readSysfsDir(dir, files, links, configMax),
    (dirs, files, links, configMax) => addon.readSysfsDirs(dirs, files, links, configMax, threads),
    // An addon built before readConfigRanges: plain fs preads, the same bytes.
    addon.hasConfigRanges() ? (files) => addonConfigFiles(addon, files, threads) : readConfigRangesWithFs,
  );
}

/** The addon's config files: opened in one call, each round's ranges in one call, closed in one. */
function addonConfigFiles(addon: typeof import('../native/addon.js'), files: readonly string[], threads: number): ConfigFiles {
  const { fds, sizes } = addon.openConfigFiles(files, threads);
  return {
    sizes,
    read: (which, ranges, into) => addon.readConfigRanges(Int32Array.from(which, (i) => fds[i]), Int32Array.from(which, (i) => sizes[i]), ranges, into, threads),
    close: () => addon.closeConfigFiles(fds),
  };
}
