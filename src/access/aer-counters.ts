// The kernel's AER counter files of a PCI function's directory (aer_dev_*: "RxErr 0\nBadTLP 2\n...\nTOTAL_ERR_COR 2",
// aer_rootport_total_err_*: one number), read and parsed in one place for doctor, diff and the snapshot's list.
import * as path from 'node:path';
import { readAttr } from './read-attr.js';

export const AER_COUNTER_FILES = ['aer_dev_correctable', 'aer_dev_fatal', 'aer_dev_nonfatal'] as const;
export const AER_ROOTPORT_FILES = ['aer_rootport_total_err_cor', 'aer_rootport_total_err_fatal', 'aer_rootport_total_err_nonfatal'] as const;
export type AerCounterFile = (typeof AER_COUNTER_FILES)[number];
export type AerRootportFile = (typeof AER_ROOTPORT_FILES)[number];

/** One function's AER files as read; a file that is absent (no AER, not a root port) is left out. */
export interface AerFiles {
  /** Each aer_dev_* file's "Name count" lines, TOTAL_ERR_* included. */
  dev: Partial<Record<AerCounterFile, Record<string, number>>>;
  /** Each aer_rootport_total_err_* count. */
  rootport: Partial<Record<AerRootportFile, number>>;
}

/** Every "Name count" line of an aer_dev_* file, TOTAL_ERR_* included. */
export function parseAerCounterLines(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The AER files of one function's directory; null when it has none of them. */
export function readAerFiles(dir: string): AerFiles | null {
  const files: AerFiles = { dev: {}, rootport: {} };
  let any = false;
  for (const f of AER_COUNTER_FILES) {
    const text = readAttr(path.join(dir, f));
    if (text === null) continue;
    files.dev[f] = parseAerCounterLines(text);
    any = true;
  }
  for (const f of AER_ROOTPORT_FILES) {
    const text = readAttr(path.join(dir, f));
    if (text === null || !/^\d+$/.test(text)) continue;
    files.rootport[f] = Number(text);
    any = true;
  }
  return any ? files : null;
}

/** The AER files of each function, by BDF, from its directory; functions without any are absent. */
export function readAerCounters(dirs: Iterable<readonly [bdf: string, dir: string]>): Map<string, AerFiles> {
  const out = new Map<string, AerFiles>();
  for (const [bdf, dir] of dirs) {
    const files = readAerFiles(dir);
    if (files) out.set(bdf, files);
  }
  return out;
}

/**
 * Per device (by BDF), counters as "aer_dev_correctable.BadTLP" -> 5 and "aer_rootport_total_err_cor" -> 2,
 * what `p2p diff` compares as "AER counters grown". Reads each device's `origin` (its directory relative to
 * root, as the sysfs reader records it).
 */
export function readAerCounterMap(root: string, devices: readonly { bdf: string; origin?: string }[]): Map<string, Record<string, number>> {
  const dirs = devices
    .filter((d) => d.origin && !path.isAbsolute(d.origin) && !d.origin.startsWith('line '))
    .map((d) => [d.bdf, path.join(root, d.origin!)] as const);
  const out = new Map<string, Record<string, number>>();
  for (const [bdf, files] of readAerCounters(dirs)) {
    const counters: Record<string, number> = {};
    for (const f of AER_COUNTER_FILES) for (const [k, v] of Object.entries(files.dev[f] ?? {})) counters[`${f}.${k}`] = v;
    for (const f of AER_ROOTPORT_FILES) if (files.rootport[f] !== undefined) counters[f] = files.rootport[f];
    if (Object.keys(counters).length) out.set(bdf, counters);
  }
  return out;
}
