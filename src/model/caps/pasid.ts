// Process Address Space ID extended capability (ID 0x001b).
import type { ConfigSpace } from '../config-space.js';
import { bit, field } from './bits.js';

export const PASID_EXT_CAP_ID = 0x001b;

export interface PasidInfo {
  execCapable: boolean | null;
  privCapable: boolean | null;
  /** Max PASID Width in bits. */
  maxWidth: number | null;
  enabled: boolean | null;
  execEnabled: boolean | null;
  privEnabled: boolean | null;
}

export function decodePasid(cfg: ConfigSpace, offset: number): PasidInfo {
  const cap = cfg.u16(offset + 4);
  const ctl = cfg.u16(offset + 6);
  return {
    execCapable: bit(cap, 1),
    privCapable: bit(cap, 2),
    maxWidth: field(cap, 8, 5),
    enabled: bit(ctl, 0),
    execEnabled: bit(ctl, 1),
    privEnabled: bit(ctl, 2),
  };
}
