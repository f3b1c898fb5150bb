// Bridge Subsystem Vendor ID capability (ID 0x0d): subsystem IDs for bridges, whose header has no room for them.
import type { ConfigSpace } from '../config-space.js';

export const SSVID_CAP_ID = 0x0d;

export interface SsvidInfo {
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
}

export function decodeSsvid(cfg: ConfigSpace, offset: number): SsvidInfo {
  const v = cfg.u16(offset + 4);
  const d = cfg.u16(offset + 6);
  return {
    subsystemVendorId: v === undefined ? null : v.toString(16).padStart(4, '0'),
    subsystemDeviceId: d === undefined ? null : d.toString(16).padStart(4, '0'),
  };
}
