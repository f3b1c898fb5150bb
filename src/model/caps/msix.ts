// MSI-X capability (ID 0x11): table size, enable/mask, where the vector table and PBA live.
import type { ConfigSpace } from '../config-space.js';
import { bit, field, nul } from './bits.js';

export const MSIX_CAP_ID = 0x11;

export interface MsixInfo {
  enabled: boolean | null;
  functionMasked: boolean | null;
  tableSize: number | null;
  tableBar: number | null;
  tableOffset: number | null;
  pbaBar: number | null;
  pbaOffset: number | null;
  controlRaw: number | null;
}

export function decodeMsix(cfg: ConfigSpace, offset: number): MsixInfo {
  const ctl = cfg.u16(offset + 2);
  const table = cfg.u32(offset + 4);
  const pba = cfg.u32(offset + 8);
  const size = field(ctl, 0, 11);
  return {
    enabled: bit(ctl, 15),
    functionMasked: bit(ctl, 14),
    tableSize: size === null ? null : size + 1,
    tableBar: field(table, 0, 3),
    tableOffset: table === undefined ? null : (table & ~7) >>> 0,
    pbaBar: field(pba, 0, 3),
    pbaOffset: pba === undefined ? null : (pba & ~7) >>> 0,
    controlRaw: nul(ctl),
  };
}
