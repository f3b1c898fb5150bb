// Which capability registers the fabric's decoders (buildFabric: Express, Subsystem ID, ACS, SR-IOV)
// read, as bytes from each capability's offset: what a source fetches when it reads config on demand.
import { ACS_EXT_CAP_ID } from './acs.js';
import { SSVID_CAP_ID } from './ssvid.js';
import { SRIOV_EXT_CAP_ID } from './sriov.js';

export const EXPRESS_CAP_ID = 0x10;

/** Capability ID -> bytes a decoder reads from its offset (header included). */
export interface ConfigNeeds {
  standard: ReadonlyMap<number, number>;
  extended: ReadonlyMap<number, number>;
}

/**
 * What topo, matrix and path decode: the Express capability (port type, link, MPS/MRRS; 0x3c bytes in
 * version 2), a bridge's Subsystem IDs, ACS capability and control, and a PF's VF Device ID.
 */
export const FABRIC_CONFIG_NEEDS: ConfigNeeds = {
  standard: new Map([[EXPRESS_CAP_ID, 0x3c], [SSVID_CAP_ID, 8]]),
  extended: new Map([[ACS_EXT_CAP_ID, 8], [SRIOV_EXT_CAP_ID, 0x1c]]),
};
