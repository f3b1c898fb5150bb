// Single Root I/O Virtualization extended capability (ID 0x0010): VF counts, routing, VF BARs.
import type { ConfigSpace } from '../config-space.js';
import { type Flags, flags, nul } from './bits.js';
import { findCapability, walkCapabilities } from './walk.js';

export const SRIOV_EXT_CAP_ID = 0x0010;

const CAP_FLAGS = [[0, 'Migration'], [1, 'ARIHierarchyPreserved'], [2, '10BitTagReq']] as const;
const CTL_FLAGS = [[0, 'VFEnable'], [1, 'Migration'], [2, 'Interrupt'], [3, 'MSE'], [4, 'ARIHierarchy'], [5, '10BitTagReq']] as const;

export interface VfBar {
  index: number;
  kind: 'mem' | 'io';
  is64: boolean;
  prefetchable: boolean;
  address: string;
}

export interface SriovInfo {
  capFlags: Flags | null;
  ctlFlags: Flags | null;
  migrationStatus: boolean | null;
  initialVfs: number | null;
  totalVfs: number | null;
  numVfs: number | null;
  functionDependencyLink: number | null;
  firstVfOffset: number | null;
  vfStride: number | null;
  vfDeviceId: string | null;
  supportedPageSizes: number | null;
  systemPageSize: number | null;
  /** VF BARs as programmed; null when the BAR registers could not be read. */
  vfBars: VfBar[] | null;
}

export function decodeSriov(cfg: ConfigSpace, offset: number): SriovInfo {
  const did = cfg.u16(offset + 0x1a);
  const sta = cfg.u16(offset + 0x0a);
  let vfBars: VfBar[] | null = null;
  if (cfg.has(offset + 0x24, 24)) {
    vfBars = [];
    for (let i = 0; i < 6; i++) {
      const lo = cfg.u32(offset + 0x24 + 4 * i)!;
      if (lo === 0) continue;
      if (lo & 1) {
        vfBars.push({ index: i, kind: 'io', is64: false, prefetchable: false, address: `0x${(BigInt(lo) & 0xfffffffcn).toString(16)}` });
        continue;
      }
      const is64 = ((lo >> 1) & 3) === 2 && i < 5;
      let addr = BigInt(lo) & 0xfffffff0n;
      if (is64) addr |= BigInt(cfg.u32(offset + 0x28 + 4 * i)!) << 32n;
      vfBars.push({ index: i, kind: 'mem', is64, prefetchable: Boolean(lo & 8), address: `0x${addr.toString(16)}` });
      if (is64) i++;
    }
  }
  return {
    capFlags: flags(cfg.u32(offset + 4), CAP_FLAGS),
    ctlFlags: flags(cfg.u16(offset + 8), CTL_FLAGS),
    migrationStatus: sta === undefined ? null : Boolean(sta & 1),
    initialVfs: nul(cfg.u16(offset + 0x0c)),
    totalVfs: nul(cfg.u16(offset + 0x0e)),
    numVfs: nul(cfg.u16(offset + 0x10)),
    functionDependencyLink: nul(cfg.u8(offset + 0x12)),
    firstVfOffset: nul(cfg.u16(offset + 0x14)),
    vfStride: nul(cfg.u16(offset + 0x16)),
    vfDeviceId: did === undefined ? null : did.toString(16).padStart(4, '0'),
    supportedPageSizes: nul(cfg.u32(offset + 0x1c)),
    systemPageSize: nul(cfg.u32(offset + 0x20)),
    vfBars,
  };
}

/**
 * The IDs a VF's own header cannot give (its Vendor and Device ID read 0xffff), as the kernel sets
 * them when it creates the VF (drivers/pci/iov.c): the PF's Vendor ID and the VF Device ID in the
 * PF's SR-IOV capability. Null when the PF's config does not reach that far (non-root readers).
 */
export function vfIdsFromPf(pfConfig: ConfigSpace): { vendorId: string; deviceId: string } | null {
  const vendor = pfConfig.u16(0);
  if (vendor === undefined || vendor === 0xffff || pfConfig.length < 0x100) return null;
  const cap = findCapability(walkCapabilities(pfConfig), SRIOV_EXT_CAP_ID, true);
  const deviceId = cap ? decodeSriov(pfConfig, cap.offset).vfDeviceId : null;
  return deviceId === null ? null : { vendorId: vendor.toString(16).padStart(4, '0'), deviceId };
}
