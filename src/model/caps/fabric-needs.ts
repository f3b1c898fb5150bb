// Which config registers each view's decoders read, declared as the decoder calls themselves: a source
// that reads config on demand runs them over what it has fetched and fetches what they ask for next
// (src/access/config-fetch.ts), so no register is fetched that a decoder of the view does not read.
import type { ConfigSpace } from '../config-space.js';
import { classifyEndpoint } from '../classify.js';
import { decodeAcs, ACS_EXT_CAP_ID } from './acs.js';
import { decodeAer, AER_EXT_CAP_ID } from './aer.js';
import { decodeExpressSummary, EXPRESS_CAP_ID } from './express.js';
import { decodeHeader } from './header.js';
import { decodeCapabilities } from './index.js';
import { decodeRebar, REBAR_EXT_CAP_ID } from './rebar.js';
import { decodeSsvid, SSVID_CAP_ID } from './ssvid.js';
import { vfIdsFromPf } from './sriov.js';
import { findCapability, walkCapabilities } from './walk.js';

export { EXPRESS_CAP_ID };

/** What a function's own config cannot say but its decoders depend on, known from the scan's headers. */
export interface NeedsContext {
  /** An SR-IOV VF whose header reads 0xffff names this function as its PF: the fabric takes the VF's IDs from here. */
  pfOfBlankVf: boolean;
  /** The IDs, class, revision and subsystem come from the header: sysfs lacks one of them (else its files are the kernel's view). */
  headerIds?: boolean;
}

/** Runs a view's decoders over one function's config; what they try to read is what a source fetches. */
export type ConfigNeeds = (cfg: ConfigSpace, fn: NeedsContext) => void;

/**
 * What buildFabric decodes, so what topo, matrix and path read: of the header the capability list's
 * registers, a bridge's bus numbers and, where sysfs lacks them, the IDs; the capability lists, the
 * Express summary (port type, link, MPS/MRRS), ACS, a bridge's Subsystem IDs, and a PF's VF Device ID
 * when one of its VFs needs it.
 */
export const FABRIC_CONFIG_NEEDS: ConfigNeeds = (cfg, fn) => {
  const walk = walkCapabilities(cfg);
  const type = cfg.u8(0x0e);
  if (type !== undefined) headerNeeds(cfg, type & 0x7f, fn.headerIds ?? false);
  const express = findCapability(walk, EXPRESS_CAP_ID);
  if (express) decodeExpressSummary(cfg, express.offset);
  const acs = findCapability(walk, ACS_EXT_CAP_ID, true);
  if (acs) decodeAcs(cfg, acs.offset);
  const layout = (cfg.u8(0x0e) ?? 0) & 0x7f;
  const ssvid = layout === 1 || layout === 2 ? findCapability(walk, SSVID_CAP_ID) : undefined;
  if (ssvid) decodeSsvid(cfg, ssvid.offset);
  if (fn.pfOfBlankVf) vfIdsFromPf(cfg);
};

/**
 * What doctor's checks decode beyond the fabric: every AER capability (link.aer, with a root port's
 * root registers) and a GPU's Resizable BAR (mem.gpu-bar).
 */
export const CHECKS_CONFIG_NEEDS: ConfigNeeds = (cfg) => {
  const walk = walkCapabilities(cfg);
  const aer = findCapability(walk, AER_EXT_CAP_ID, true);
  if (aer) {
    const express = findCapability(walk, EXPRESS_CAP_ID);
    const portType = express ? decodeExpressSummary(cfg, express.offset).portType : null;
    decodeAer(cfg, aer.offset, portType === 'root-port' || portType === 'rc-event-collector');
  }
  const rebar = findCapability(walk, REBAR_EXT_CAP_ID, true);
  if (rebar && isGpuHeader(cfg)) decodeRebar(cfg, rebar.offset);
};

/** What `p2p show` decodes of the one function it shows: the header and every capability. */
export const SHOW_CONFIG_NEEDS: ConfigNeeds = (cfg) => {
  decodeHeader(cfg);
  decodeCapabilities(cfg, walkCapabilities(cfg));
};

/** buildDevice's header reads past the capability list's: a bridge's bus numbers; the IDs when sysfs lacks them. */
function headerNeeds(cfg: ConfigSpace, layout: number, ids: boolean): void {
  if (layout === 1 || layout === 2) {
    cfg.u8(0x19);
    cfg.u8(0x1a);
  }
  if (!ids) return;
  cfg.u16(0x00);
  cfg.u16(0x02);
  cfg.u32(0x08);
  if (layout !== 1 && layout !== 2) {
    cfg.u16(0x2c);
    cfg.u16(0x2e);
  }
}

/** The registers either set of needs reads, the first's first. */
export function bothNeeds(a: ConfigNeeds, b: ConfigNeeds): ConfigNeeds {
  return (cfg, fn) => {
    a(cfg, fn);
    b(cfg, fn);
  };
}

/** The fabric's kind rule (classify.ts) on the header's IDs: a VF's header reads 0xffff, so it is never one. */
function isGpuHeader(cfg: ConfigSpace): boolean {
  const vendor = cfg.u16(0x00);
  const cls = cfg.u32(0x08);
  if (vendor === undefined || cls === undefined) return false;
  return classifyEndpoint((cls >>> 8).toString(16).padStart(6, '0'), vendor.toString(16).padStart(4, '0')) === 'gpu';
}
