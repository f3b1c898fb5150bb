// Precision Time Measurement extended capability (ID 0x001f).
import type { ConfigSpace } from '../config-space.js';
import { bit, field } from './bits.js';

export const PTM_EXT_CAP_ID = 0x001f;

export interface PtmInfo {
  requester: boolean | null;
  responder: boolean | null;
  root: boolean | null;
  /** Local clock granularity in ns; 0 = not implemented, 255 = more than 254 ns. */
  granularityNs: number | null;
  enabled: boolean | null;
  rootSelected: boolean | null;
  effectiveGranularityNs: number | null;
}

export function decodePtm(cfg: ConfigSpace, offset: number): PtmInfo {
  const cap = cfg.u32(offset + 4);
  const ctl = cfg.u32(offset + 8);
  return {
    requester: bit(cap, 0),
    responder: bit(cap, 1),
    root: bit(cap, 2),
    granularityNs: field(cap, 8, 8),
    enabled: bit(ctl, 0),
    rootSelected: bit(ctl, 1),
    effectiveGranularityNs: field(ctl, 8, 8),
  };
}
