// L1 PM Substates extended capability (ID 0x001e): supported and enabled L1.1/L1.2, timing parameters.
import type { ConfigSpace } from '../config-space.js';
import { type Flags, field, flags } from './bits.js';

export const L1PM_EXT_CAP_ID = 0x001e;

const SUB_FLAGS = [[0, 'PCI-PM_L1.2'], [1, 'PCI-PM_L1.1'], [2, 'ASPM_L1.2'], [3, 'ASPM_L1.1']] as const;
const CAP_FLAGS = [...SUB_FLAGS, [4, 'L1_PM_Substates']] as const;
const SCALE_NS = [2000, 10000, 100000];
const LTR_SCALE_NS = [1, 32, 1024, 32768, 1048576, 33554432];

export interface L1pmInfo {
  supported: Flags | null;
  portCommonModeRestoreTimeUs: number | null;
  /** T_POWER_ON in microseconds; null when unreadable or the scale is reserved. */
  portTPowerOnUs: number | null;
  enabled: Flags | null;
  tCommonModeUs: number | null;
  ltrL12ThresholdNs: number | null;
  tPowerOnUs: number | null;
}

function powerOn(scale: number | null, value: number | null): number | null {
  if (scale === null || value === null || scale > 2) return null;
  return (value * SCALE_NS[scale]) / 1000;
}

export function decodeL1pm(cfg: ConfigSpace, offset: number): L1pmInfo {
  const cap = cfg.u32(offset + 4);
  const ctl1 = cfg.u32(offset + 8);
  const ctl2 = cfg.u32(offset + 0x0c);
  const ltrScale = field(ctl1, 29, 3);
  const ltrValue = field(ctl1, 16, 10);
  return {
    supported: flags(cap, CAP_FLAGS),
    portCommonModeRestoreTimeUs: field(cap, 8, 8),
    portTPowerOnUs: powerOn(field(cap, 16, 2), field(cap, 19, 5)),
    enabled: flags(ctl1, SUB_FLAGS),
    tCommonModeUs: field(ctl1, 8, 8),
    ltrL12ThresholdNs: ltrScale === null || ltrValue === null || ltrScale > 5 ? null : ltrValue * LTR_SCALE_NS[ltrScale],
    tPowerOnUs: powerOn(field(ctl2, 0, 2), field(ctl2, 3, 5)),
  };
}
