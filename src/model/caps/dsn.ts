// Device Serial Number extended capability (ID 0x0003): a 64-bit EUI-64.
import type { ConfigSpace } from '../config-space.js';

export const DSN_EXT_CAP_ID = 0x0003;

export interface DsnInfo {
  /** "00-1a-11-ff-fe-4c-3c-70", most significant byte first (lspci's form); null when unreadable. */
  serial: string | null;
}

export function decodeDsn(cfg: ConfigSpace, offset: number): DsnInfo {
  const lo = cfg.u32(offset + 4);
  const hi = cfg.u32(offset + 8);
  if (lo === undefined || hi === undefined) return { serial: null };
  const bytes: number[] = [];
  for (const w of [hi, lo]) for (const s of [24, 16, 8, 0]) bytes.push((w >>> s) & 0xff);
  return { serial: bytes.map((b) => b.toString(16).padStart(2, '0')).join('-') };
}
