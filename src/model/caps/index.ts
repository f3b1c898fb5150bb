// Dispatch: every capability found by the walk, decoded by its own decoder into a typed record.
import type { ConfigSpace } from '../config-space.js';
import type { AcsState, CapabilityEntry, CapabilityWalk } from '../types.js';
import { decodeAcs, ACS_EXT_CAP_ID } from './acs.js';
import { decodeAer, AER_EXT_CAP_ID, type AerInfo } from './aer.js';
import { decodeAri, ARI_EXT_CAP_ID, type AriInfo } from './ari.js';
import { decodeAts, ATS_EXT_CAP_ID, type AtsInfo } from './ats.js';
import { decodeDpc, DPC_EXT_CAP_ID, type DpcInfo } from './dpc.js';
import { decodeDsn, DSN_EXT_CAP_ID, type DsnInfo } from './dsn.js';
import { decodeExpress, decodeExpressSummary, EXPRESS_CAP_ID, type ExpressInfo } from './express.js';
import { decodeL1pm, L1PM_EXT_CAP_ID, type L1pmInfo } from './l1pm.js';
import { decodeMsi, MSI_CAP_ID, type MsiInfo } from './msi.js';
import { decodeMsix, MSIX_CAP_ID, type MsixInfo } from './msix.js';
import { decodePasid, PASID_EXT_CAP_ID, type PasidInfo } from './pasid.js';
import { decodePhy, PHY16_EXT_CAP_ID, PHY32_EXT_CAP_ID, PHY64_EXT_CAP_ID, type PhyInfo } from './phy.js';
import { decodePm, PM_CAP_ID, type PmInfo } from './pm.js';
import { decodePri, PRI_EXT_CAP_ID, type PriInfo } from './pri.js';
import { decodePtm, PTM_EXT_CAP_ID, type PtmInfo } from './ptm.js';
import { decodeRebar, REBAR_EXT_CAP_ID, VF_REBAR_EXT_CAP_ID, type RebarInfo } from './rebar.js';
import { decodeSriov, SRIOV_EXT_CAP_ID, type SriovInfo } from './sriov.js';
import { decodeSsvid, SSVID_CAP_ID, type SsvidInfo } from './ssvid.js';
import { decodeDvsec, decodeVsec, DVSEC_EXT_CAP_ID, VSEC_EXT_CAP_ID, type DvsecInfo, type VsecInfo } from './vsec.js';
import { findCapability } from './walk.js';

export { walkCapabilities, findCapability, standardCapName, extendedCapName } from './walk.js';
export { decodeHeader, type HeaderInfo, type BarInfo, type BridgeInfo, type BridgeWindow } from './header.js';
export type {
  AerInfo, AriInfo, AtsInfo, DpcInfo, DsnInfo, ExpressInfo, L1pmInfo, MsiInfo, MsixInfo, PasidInfo, PhyInfo,
  PmInfo, PriInfo, PtmInfo, RebarInfo, SriovInfo, SsvidInfo, DvsecInfo, VsecInfo,
};

/** What every decoded capability carries, whatever its kind. */
export interface DecodedBase {
  offset: number;
  id: number;
  name: string;
  extended: boolean;
  /** Extended capabilities' header version; null for standard ones. */
  version: number | null;
}

/** One decoded capability. `fields` is null for capabilities we list but do not decode. */
export type DecodedCapability = DecodedBase & (
  | { kind: 'pm'; fields: PmInfo }
  | { kind: 'msi'; fields: MsiInfo }
  | { kind: 'msix'; fields: MsixInfo }
  | { kind: 'express'; fields: ExpressInfo }
  | { kind: 'subsystem'; fields: SsvidInfo }
  | { kind: 'aer'; fields: AerInfo }
  | { kind: 'acs'; fields: AcsState }
  | { kind: 'ari'; fields: AriInfo }
  | { kind: 'ats'; fields: AtsInfo }
  | { kind: 'pri'; fields: PriInfo }
  | { kind: 'pasid'; fields: PasidInfo }
  | { kind: 'sriov'; fields: SriovInfo }
  | { kind: 'rebar'; fields: RebarInfo }
  | { kind: 'dpc'; fields: DpcInfo }
  | { kind: 'l1pm'; fields: L1pmInfo }
  | { kind: 'ptm'; fields: PtmInfo }
  | { kind: 'dsn'; fields: DsnInfo }
  | { kind: 'vsec'; fields: VsecInfo }
  | { kind: 'dvsec'; fields: DvsecInfo }
  | { kind: 'phy'; fields: PhyInfo }
  | { kind: 'other'; fields: null }
);

export type CapabilityKind = DecodedCapability['kind'];

function decodeOne(cfg: ConfigSpace, c: CapabilityEntry, isRoot: boolean): DecodedCapability {
  const base: DecodedBase = { offset: c.offset, id: c.id, name: c.name, extended: c.extended, version: c.version ?? null };
  const o = c.offset;
  if (!c.extended) {
    switch (c.id) {
      case PM_CAP_ID: return { ...base, kind: 'pm', fields: decodePm(cfg, o) };
      case MSI_CAP_ID: return { ...base, kind: 'msi', fields: decodeMsi(cfg, o) };
      case MSIX_CAP_ID: return { ...base, kind: 'msix', fields: decodeMsix(cfg, o) };
      case EXPRESS_CAP_ID: return { ...base, kind: 'express', fields: decodeExpress(cfg, o) };
      case SSVID_CAP_ID: return { ...base, kind: 'subsystem', fields: decodeSsvid(cfg, o) };
      default: return { ...base, kind: 'other', fields: null };
    }
  }
  switch (c.id) {
    case AER_EXT_CAP_ID: return { ...base, kind: 'aer', fields: decodeAer(cfg, o, isRoot) };
    case ACS_EXT_CAP_ID: return { ...base, kind: 'acs', fields: decodeAcs(cfg, o) };
    case ARI_EXT_CAP_ID: return { ...base, kind: 'ari', fields: decodeAri(cfg, o) };
    case ATS_EXT_CAP_ID: return { ...base, kind: 'ats', fields: decodeAts(cfg, o) };
    case PRI_EXT_CAP_ID: return { ...base, kind: 'pri', fields: decodePri(cfg, o) };
    case PASID_EXT_CAP_ID: return { ...base, kind: 'pasid', fields: decodePasid(cfg, o) };
    case SRIOV_EXT_CAP_ID: return { ...base, kind: 'sriov', fields: decodeSriov(cfg, o) };
    case REBAR_EXT_CAP_ID: return { ...base, kind: 'rebar', fields: decodeRebar(cfg, o, false) };
    case VF_REBAR_EXT_CAP_ID: return { ...base, kind: 'rebar', fields: decodeRebar(cfg, o, true) };
    case DPC_EXT_CAP_ID: return { ...base, kind: 'dpc', fields: decodeDpc(cfg, o) };
    case L1PM_EXT_CAP_ID: return { ...base, kind: 'l1pm', fields: decodeL1pm(cfg, o) };
    case PTM_EXT_CAP_ID: return { ...base, kind: 'ptm', fields: decodePtm(cfg, o) };
    case DSN_EXT_CAP_ID: return { ...base, kind: 'dsn', fields: decodeDsn(cfg, o) };
    case VSEC_EXT_CAP_ID: return { ...base, kind: 'vsec', fields: decodeVsec(cfg, o) };
    case DVSEC_EXT_CAP_ID: return { ...base, kind: 'dvsec', fields: decodeDvsec(cfg, o) };
    case PHY16_EXT_CAP_ID: return { ...base, kind: 'phy', fields: decodePhy(cfg, o, 16) };
    case PHY32_EXT_CAP_ID: return { ...base, kind: 'phy', fields: decodePhy(cfg, o, 32) };
    case PHY64_EXT_CAP_ID: return { ...base, kind: 'phy', fields: decodePhy(cfg, o, 64) };
    default: return { ...base, kind: 'other', fields: null };
  }
}

/**
 * Decodes every capability in `walk` (from walkCapabilities on the same config space), in list order.
 * Pure; never throws on corrupt data: registers that could not be read come out as null fields.
 */
export function decodeCapabilities(cfg: ConfigSpace, walk: CapabilityWalk): DecodedCapability[] {
  const exp = findCapability(walk, EXPRESS_CAP_ID);
  const portType = exp ? decodeExpressSummary(cfg, exp.offset).portType : null;
  const isRoot = portType === 'root-port' || portType === 'rc-event-collector';
  return walk.caps.map((c) => decodeOne(cfg, c, isRoot));
}

/** The first decoded capability of a kind, typed. */
export function capabilityOfKind<K extends CapabilityKind>(
  caps: DecodedCapability[],
  kind: K,
): Extract<DecodedCapability, { kind: K }> | undefined {
  return caps.find((c): c is Extract<DecodedCapability, { kind: K }> => c.kind === kind);
}
