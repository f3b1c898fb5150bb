// Address Translation Service extended capability (ID 0x000f): invalidate queue, STU, enable.
import type { ConfigSpace } from '../config-space.js';
import { bit, field } from './bits.js';

export const ATS_EXT_CAP_ID = 0x000f;

export interface AtsInfo {
  /** Invalidate Queue Depth (0 in the register means 32). */
  invalidateQueueDepth: number | null;
  pageAlignedRequest: boolean | null;
  globalInvalidate: boolean | null;
  enabled: boolean | null;
  /** Smallest Translation Unit: log2 of the size in 4 KiB pages. */
  smallestTranslationUnit: number | null;
}

export function decodeAts(cfg: ConfigSpace, offset: number): AtsInfo {
  const cap = cfg.u16(offset + 4);
  const ctl = cfg.u16(offset + 6);
  const depth = field(cap, 0, 5);
  return {
    invalidateQueueDepth: depth === null ? null : depth === 0 ? 32 : depth,
    pageAlignedRequest: bit(cap, 5),
    globalInvalidate: bit(cap, 6),
    enabled: bit(ctl, 15),
    smallestTranslationUnit: field(ctl, 0, 5),
  };
}
