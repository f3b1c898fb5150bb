// Physical Layer 16.0 GT/s (ID 0x0026), 32.0 GT/s (ID 0x002a) and 64.0 GT/s (ID 0x0031) extended capabilities.
import type { ConfigSpace } from '../config-space.js';
import { type Flags, flags, nul } from './bits.js';

export const PHY16_EXT_CAP_ID = 0x0026;
export const PHY32_EXT_CAP_ID = 0x002a;
export const PHY64_EXT_CAP_ID = 0x0031;

const EQ_FLAGS = [
  [0, 'EqualizationComplete'], [1, 'EqualizationPhase1'], [2, 'EqualizationPhase2'], [3, 'EqualizationPhase3'],
  [4, 'LinkEqualizationRequest'],
] as const;
const STA32_FLAGS = [
  ...EQ_FLAGS, [5, 'ModifiedTSReceived'], [8, 'TransmitterPrecodingOn'], [9, 'TransmitterPrecodeRequest'],
  [10, 'NoEqualizationNeededReceived'],
] as const;
const STA64_FLAGS = [
  ...EQ_FLAGS, [5, 'TransmitterPrecodingOn'], [6, 'TransmitterPrecodeRequest'], [7, 'NoEqualizationNeededReceived'],
] as const;
const CAP32_FLAGS = [[0, 'EqBypassToHighestRate'], [1, 'NoEqualizationNeeded']] as const;
const CTL32_FLAGS = [[0, 'EqBypassToHighestRateDisable'], [1, 'NoEqualizationNeededDisable']] as const;

export interface PhyInfo {
  /** 16, 32 or 64 (GT/s). */
  rate: 16 | 32 | 64;
  capFlags: Flags | null;
  ctlFlags: Flags | null;
  status: Flags | null;
  statusRaw: number | null;
  /** 16 GT/s only: per-lane local data parity mismatch bits. */
  localParityMismatch: number | null;
  firstRetimerParityMismatch: number | null;
  secondRetimerParityMismatch: number | null;
}

export function decodePhy(cfg: ConfigSpace, offset: number, rate: 16 | 32 | 64): PhyInfo {
  const cap = cfg.u32(offset + 4);
  const ctl = cfg.u32(offset + 8);
  const sta = cfg.u32(offset + 0x0c);
  const is16 = rate === 16;
  return {
    rate,
    capFlags: rate === 32 ? flags(cap, CAP32_FLAGS) : cap === undefined ? null : {},
    ctlFlags: rate === 32 ? flags(ctl, CTL32_FLAGS) : ctl === undefined ? null : {},
    status: flags(sta, rate === 16 ? EQ_FLAGS : rate === 32 ? STA32_FLAGS : STA64_FLAGS),
    statusRaw: nul(sta),
    localParityMismatch: is16 ? nul(cfg.u32(offset + 0x10)) : null,
    firstRetimerParityMismatch: is16 ? nul(cfg.u32(offset + 0x14)) : null,
    secondRetimerParityMismatch: is16 ? nul(cfg.u32(offset + 0x18)) : null,
  };
}
