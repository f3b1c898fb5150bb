// Resizable BAR (ID 0x0015) and VF Resizable BAR (ID 0x0024): per-BAR supported and current sizes.
import type { ConfigSpace } from '../config-space.js';

export const REBAR_EXT_CAP_ID = 0x0015;
export const VF_REBAR_EXT_CAP_ID = 0x0024;

export interface RebarEntry {
  barIndex: number;
  /** Sizes the BAR supports, smallest first ("1MB", "256MB", "16GB"). */
  supportedSizes: string[];
  currentSize: string;
}

export interface RebarInfo {
  virtual: boolean;
  /** Null when the first entry could not be read; shorter than numBars when later ones could not. */
  entries: RebarEntry[] | null;
  numBars: number | null;
}

const UNITS = ['MB', 'GB', 'TB', 'PB', 'EB'];

/** 2^(20+log2mb) bytes, written the way people write BAR sizes. */
export function sizeLabel(log2mb: number): string {
  const unit = Math.floor(log2mb / 10);
  return unit < UNITS.length ? `${2 ** (log2mb % 10)}${UNITS[unit]}` : `2^${log2mb + 20} bytes`;
}

export function decodeRebar(cfg: ConfigSpace, offset: number, virtual = false): RebarInfo {
  const first = cfg.u32(offset + 8);
  if (first === undefined) return { virtual, entries: null, numBars: null };
  const numBars = Math.min(Math.max((first >> 5) & 7, 1), 6);
  const entries: RebarEntry[] = [];
  for (let k = 0; k < numBars; k++) {
    const cap = cfg.u32(offset + 4 + 8 * k);
    const ctl = cfg.u32(offset + 8 + 8 * k);
    if (cap === undefined || ctl === undefined) break;
    const supportedSizes: string[] = [];
    for (let b = 4; b < 32; b++) if ((cap >>> b) & 1) supportedSizes.push(sizeLabel(b - 4));
    for (let b = 16; b < 32; b++) if ((ctl >>> b) & 1) supportedSizes.push(sizeLabel(b + 12));
    entries.push({ barIndex: ctl & 7, supportedSizes, currentSize: sizeLabel((ctl >> 8) & 0x3f) });
  }
  return { virtual, entries, numBars };
}
