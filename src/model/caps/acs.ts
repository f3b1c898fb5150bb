// Access Control Services extended capability (ID 0x0d): which redirect/blocking bits exist and are on.
import type { ConfigSpace } from '../config-space.js';
import { ACS_BIT_NAMES, type AcsBitName, type AcsState } from '../types.js';

export const ACS_EXT_CAP_ID = 0x0d;

function bitNames(value: number): AcsBitName[] {
  return ACS_BIT_NAMES.filter((_, bit) => value & (1 << bit));
}

export function decodeAcs(cfg: ConfigSpace, offset: number): AcsState {
  const cap = cfg.u16(offset + 4) ?? 0;
  const ctl = cfg.u16(offset + 6);
  return {
    offset,
    capRaw: cap,
    ctlRaw: ctl ?? null,
    capable: bitNames(cap),
    enabled: ctl === undefined ? null : bitNames(ctl),
  };
}

/** lspci's rendering: "SrcValid+ TransBlk- ReqRedir+ ..." */
export function formatAcsBits(value: number): string {
  return ACS_BIT_NAMES.map((n, bit) => `${n}${value & (1 << bit) ? '+' : '-'}`).join(' ');
}
