// Page Request Interface extended capability (ID 0x0013).
import type { ConfigSpace } from '../config-space.js';
import { bit, nul } from './bits.js';

export const PRI_EXT_CAP_ID = 0x0013;

export interface PriInfo {
  enabled: boolean | null;
  reset: boolean | null;
  responseFailure: boolean | null;
  unexpectedGroupIndex: boolean | null;
  stopped: boolean | null;
  pasidRequired: boolean | null;
  outstandingCapacity: number | null;
  outstandingAllocation: number | null;
}

export function decodePri(cfg: ConfigSpace, offset: number): PriInfo {
  const ctl = cfg.u16(offset + 4);
  const sta = cfg.u16(offset + 6);
  return {
    enabled: bit(ctl, 0),
    reset: bit(ctl, 1),
    responseFailure: bit(sta, 0),
    unexpectedGroupIndex: bit(sta, 1),
    stopped: bit(sta, 8),
    pasidRequired: bit(sta, 15),
    outstandingCapacity: nul(cfg.u32(offset + 8)),
    outstandingAllocation: nul(cfg.u32(offset + 0x0c)),
  };
}
