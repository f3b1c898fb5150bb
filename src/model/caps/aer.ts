// Advanced Error Reporting extended capability (ID 0x0001): error status/mask/severity, AER control, header log, root registers.
import type { ConfigSpace } from '../config-space.js';
import { type Flags, field, flags, nul } from './bits.js';

export const AER_EXT_CAP_ID = 0x0001;

/** Uncorrectable error bits, spelled as lspci spells them; the first twelve are what lspci 3.9 prints. */
export const AER_UNCORRECTABLE_BITS = [
  [4, 'DLP'], [5, 'SDES'], [12, 'TLP'], [13, 'FCP'], [14, 'CmpltTO'], [15, 'CmpltAbrt'], [16, 'UnxCmplt'],
  [17, 'RxOF'], [18, 'MalfTLP'], [19, 'ECRC'], [20, 'UnsupReq'], [21, 'ACSViol'],
  [22, 'UncorrIntErr'], [23, 'BlockedTLP'], [24, 'AtomicOpBlocked'], [25, 'TLPBlockedErr'], [26, 'PoisonTLPBlocked'],
] as const;

/** Correctable error bits; the first six are what lspci 3.9 prints. */
export const AER_CORRECTABLE_BITS = [
  [0, 'RxErr'], [6, 'BadTLP'], [7, 'BadDLLP'], [8, 'Rollover'], [12, 'Timeout'], [13, 'AdvNonFatalErr'],
  [14, 'CorrIntErr'], [15, 'HeaderOF'],
] as const;

const AERCAP_FLAGS = [
  [5, 'ECRCGenCap'], [6, 'ECRCGenEn'], [7, 'ECRCChkCap'], [8, 'ECRCChkEn'], [9, 'MultHdrRecCap'],
  [10, 'MultHdrRecEn'], [11, 'TLPPfxPres'], [12, 'HdrLogCap'],
] as const;
const ROOTCMD_FLAGS = [[0, 'CERptEn'], [1, 'NFERptEn'], [2, 'FERptEn']] as const;
const ROOTSTA_FLAGS = [
  [0, 'CERcvd'], [1, 'MultCERcvd'], [2, 'UERcvd'], [3, 'MultUERcvd'], [4, 'FirstFatal'], [5, 'NonFatalMsg'], [6, 'FatalMsg'],
] as const;

/** A 32-bit register: raw value and its named bits; both null when it could not be read. */
export interface AerRegister {
  raw: number | null;
  bits: Flags | null;
}

export interface AerRoot {
  command: Flags | null;
  status: Flags | null;
  interruptMessage: number | null;
  errCorSource: string | null;
  errFatalNonFatalSource: string | null;
}

export interface AerInfo {
  uncorrectableStatus: AerRegister;
  uncorrectableMask: AerRegister;
  uncorrectableSeverity: AerRegister;
  correctableStatus: AerRegister;
  correctableMask: AerRegister;
  firstErrorPointer: number | null;
  capabilities: Flags | null;
  /** Four dwords of the TLP header logged with the first error; null when unreadable. */
  headerLog: (number | null)[] | null;
  /** Root ports and event collectors only. */
  root: AerRoot | null;
}

function reg(cfg: ConfigSpace, off: number, table: typeof AER_UNCORRECTABLE_BITS | typeof AER_CORRECTABLE_BITS): AerRegister {
  const v = cfg.u32(off);
  return { raw: nul(v), bits: flags(v, table) };
}

/** `isRoot`: the function is a root port or root complex event collector (adds root error registers). */
export function decodeAer(cfg: ConfigSpace, offset: number, isRoot: boolean): AerInfo {
  const cap = cfg.u32(offset + 0x18);
  const log = [0, 1, 2, 3].map((i) => nul(cfg.u32(offset + 0x1c + 4 * i)));
  let root: AerRoot | null = null;
  if (isRoot) {
    const cmd = cfg.u32(offset + 0x2c);
    const sta = cfg.u32(offset + 0x30);
    const src = cfg.u32(offset + 0x34);
    root = {
      command: flags(cmd, ROOTCMD_FLAGS),
      status: flags(sta, ROOTSTA_FLAGS),
      interruptMessage: field(sta, 27, 5),
      errCorSource: src === undefined ? null : (src & 0xffff).toString(16).padStart(4, '0'),
      errFatalNonFatalSource: src === undefined ? null : (src >>> 16).toString(16).padStart(4, '0'),
    };
  }
  return {
    uncorrectableStatus: reg(cfg, offset + 0x04, AER_UNCORRECTABLE_BITS),
    uncorrectableMask: reg(cfg, offset + 0x08, AER_UNCORRECTABLE_BITS),
    uncorrectableSeverity: reg(cfg, offset + 0x0c, AER_UNCORRECTABLE_BITS),
    correctableStatus: reg(cfg, offset + 0x10, AER_CORRECTABLE_BITS),
    correctableMask: reg(cfg, offset + 0x14, AER_CORRECTABLE_BITS),
    firstErrorPointer: field(cap, 0, 5),
    capabilities: flags(cap, AERCAP_FLAGS),
    headerLog: log.every((v) => v === null) ? null : log,
    root,
  };
}
