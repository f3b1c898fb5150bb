// Downstream Port Containment extended capability (ID 0x001d).
import type { ConfigSpace } from '../config-space.js';
import { type Flags, field, flags } from './bits.js';

export const DPC_EXT_CAP_ID = 0x001d;

const CAP_FLAGS = [[5, 'RPExt'], [6, 'PoisonedTLP'], [7, 'SwTrigger'], [12, 'DL_ActiveErr']] as const;
const CTL_FLAGS = [[2, 'Cmpl'], [3, 'INT'], [4, 'ErrCor'], [5, 'PoisonedTLP'], [6, 'SwTrigger'], [7, 'DL_ActiveErr']] as const;
const STA_FLAGS = [[0, 'Trigger'], [3, 'INT'], [4, 'RPBusy']] as const;
const TRIGGERS = ['disabled', 'on ERR_FATAL', 'on ERR_NONFATAL or ERR_FATAL', 'reserved'];
const REASONS = ['unmasked uncorrectable error', 'ERR_NONFATAL', 'ERR_FATAL', 'extension'];

export interface DpcInfo {
  interruptMessage: number | null;
  rpPioLogSize: number | null;
  capFlags: Flags | null;
  trigger: string | null;
  ctlFlags: Flags | null;
  staFlags: Flags | null;
  /** Why containment last triggered (meaningful only when staFlags.Trigger). */
  triggerReason: string | null;
  errorSource: string | null;
}

export function decodeDpc(cfg: ConfigSpace, offset: number): DpcInfo {
  const cap = cfg.u16(offset + 4);
  const ctl = cfg.u16(offset + 6);
  const sta = cfg.u16(offset + 8);
  const src = cfg.u16(offset + 0x0a);
  const t = field(ctl, 0, 2);
  const r = field(sta, 1, 2);
  return {
    interruptMessage: field(cap, 0, 5),
    rpPioLogSize: field(cap, 8, 4),
    capFlags: flags(cap, CAP_FLAGS),
    trigger: t === null ? null : TRIGGERS[t],
    ctlFlags: flags(ctl, CTL_FLAGS),
    staFlags: flags(sta, STA_FLAGS),
    triggerReason: r === null ? null : REASONS[r],
    errorSource: src === undefined ? null : src.toString(16).padStart(4, '0'),
  };
}
