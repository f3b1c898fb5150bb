// Vendor-Specific (ID 0x000b) and Designated Vendor-Specific (ID 0x0023) extended capability headers.
import type { ConfigSpace } from '../config-space.js';
import { field } from './bits.js';

export const VSEC_EXT_CAP_ID = 0x000b;
export const DVSEC_EXT_CAP_ID = 0x0023;

export interface VsecInfo {
  vsecId: number | null;
  vsecRev: number | null;
  /** Length of the whole structure in bytes. */
  length: number | null;
}

export interface DvsecInfo {
  vendorId: string | null;
  dvsecId: number | null;
  dvsecRev: number | null;
  length: number | null;
  /** What the (vendor, id) pair is, when we know it (CXL's DVSECs). */
  knownAs: string | null;
}

const CXL_DVSEC: Record<number, string> = {
  0x0000: 'CXL Device', 0x0002: 'CXL Non-LD Function Map', 0x0003: 'CXL Extensions DVSEC for Ports',
  0x0004: 'CXL GPF DVSEC for Ports', 0x0005: 'CXL GPF DVSEC for Devices', 0x0007: 'CXL Flex Bus Port',
  0x0008: 'CXL Register Locator', 0x0009: 'CXL MLD', 0x000a: 'CXL Test Capability',
};

export function decodeVsec(cfg: ConfigSpace, offset: number): VsecInfo {
  const h = cfg.u32(offset + 4);
  return { vsecId: field(h, 0, 16), vsecRev: field(h, 16, 4), length: field(h, 20, 12) };
}

export function decodeDvsec(cfg: ConfigSpace, offset: number): DvsecInfo {
  const h1 = cfg.u32(offset + 4);
  const h2 = cfg.u16(offset + 8);
  const vendor = field(h1, 0, 16);
  const id = h2 === undefined ? null : h2;
  return {
    vendorId: vendor === null ? null : vendor.toString(16).padStart(4, '0'),
    dvsecId: id,
    dvsecRev: field(h1, 16, 4),
    length: field(h1, 20, 12),
    knownAs: vendor === 0x1e98 && id !== null ? CXL_DVSEC[id] ?? null : null,
  };
}
