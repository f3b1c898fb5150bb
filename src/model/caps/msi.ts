// MSI capability (ID 0x05): enable, vector counts, 64-bit addressing, per-vector masking.
import type { ConfigSpace } from '../config-space.js';
import { bit, field, nul } from './bits.js';

export const MSI_CAP_ID = 0x05;

export interface MsiInfo {
  enabled: boolean | null;
  /** Vectors requested by the function (Multiple Message Capable). */
  vectorsCapable: number | null;
  /** Vectors the OS granted (Multiple Message Enable). */
  vectorsEnabled: number | null;
  is64: boolean | null;
  maskable: boolean | null;
  /** Message address as a hex string; null when unreadable. */
  address: string | null;
  data: number | null;
  mask: number | null;
  pending: number | null;
  controlRaw: number | null;
}

export function decodeMsi(cfg: ConfigSpace, offset: number): MsiInfo {
  const ctl = cfg.u16(offset + 2);
  const is64 = bit(ctl, 7);
  const maskable = bit(ctl, 8);
  const mmc = field(ctl, 1, 3);
  const mme = field(ctl, 4, 3);
  const lo = cfg.u32(offset + 4);
  let address: string | null = null;
  let dataOff: number;
  if (is64) {
    const hi = cfg.u32(offset + 8);
    if (lo !== undefined && hi !== undefined) address = (BigInt(hi) << 32n | BigInt(lo)).toString(16).padStart(16, '0');
    dataOff = offset + 0x0c;
  } else {
    if (lo !== undefined) address = lo.toString(16).padStart(8, '0');
    dataOff = offset + 0x08;
  }
  const maskOff = is64 ? offset + 0x10 : offset + 0x0c;
  return {
    enabled: bit(ctl, 0),
    vectorsCapable: mmc === null ? null : 1 << mmc,
    vectorsEnabled: mme === null ? null : 1 << mme,
    is64,
    maskable,
    address: ctl === undefined ? null : address,
    data: ctl === undefined ? null : nul(cfg.u16(dataOff)),
    mask: maskable ? nul(cfg.u32(maskOff)) : null,
    pending: maskable ? nul(cfg.u32(maskOff + 4)) : null,
    controlRaw: nul(ctl),
  };
}
