// Alternative Routing-ID Interpretation extended capability (ID 0x000e).
import type { ConfigSpace } from '../config-space.js';
import { bit, field } from './bits.js';

export const ARI_EXT_CAP_ID = 0x000e;

export interface AriInfo {
  mfvcCapable: boolean | null;
  acsCapable: boolean | null;
  nextFunction: number | null;
  mfvcEnabled: boolean | null;
  acsEnabled: boolean | null;
  functionGroup: number | null;
}

export function decodeAri(cfg: ConfigSpace, offset: number): AriInfo {
  const cap = cfg.u16(offset + 4);
  const ctl = cfg.u16(offset + 6);
  return {
    mfvcCapable: bit(cap, 0),
    acsCapable: bit(cap, 1),
    nextFunction: field(cap, 8, 8),
    mfvcEnabled: bit(ctl, 0),
    acsEnabled: bit(ctl, 1),
    functionGroup: field(ctl, 4, 3),
  };
}
