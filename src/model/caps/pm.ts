// Power Management capability (ID 0x01): PMC (version, D-states, PME support) and PMCSR (current state).
import type { ConfigSpace } from '../config-space.js';
import { type Flags, bit, field, flags, nul } from './bits.js';

export const PM_CAP_ID = 0x01;
const AUX_CURRENT_MA = [0, 55, 100, 160, 220, 270, 320, 375];
const PME_FLAGS = [[11, 'D0'], [12, 'D1'], [13, 'D2'], [14, 'D3hot'], [15, 'D3cold']] as const;

export interface PmInfo {
  /** PM spec version from PMC (lspci's "version N"). */
  version: number | null;
  pmeClock: boolean | null;
  dsi: boolean | null;
  auxCurrentMa: number | null;
  d1: boolean | null;
  d2: boolean | null;
  /** States from which PME# can be signalled. */
  pmeSupport: Flags | null;
  /** Current power state: "D0".."D3hot"; null when PMCSR is unreadable. */
  powerState: string | null;
  noSoftReset: boolean | null;
  pmeEnable: boolean | null;
  dataSelect: number | null;
  dataScale: number | null;
  pmeStatus: boolean | null;
  pmcRaw: number | null;
  pmcsrRaw: number | null;
}

export function decodePm(cfg: ConfigSpace, offset: number): PmInfo {
  const pmc = cfg.u16(offset + 2);
  const csr = cfg.u16(offset + 4);
  const aux = field(pmc, 6, 3);
  const state = field(csr, 0, 2);
  return {
    version: field(pmc, 0, 3),
    pmeClock: bit(pmc, 3),
    dsi: bit(pmc, 5),
    auxCurrentMa: aux === null ? null : AUX_CURRENT_MA[aux],
    d1: bit(pmc, 9),
    d2: bit(pmc, 10),
    pmeSupport: flags(pmc, PME_FLAGS),
    powerState: state === null ? null : ['D0', 'D1', 'D2', 'D3hot'][state],
    noSoftReset: bit(csr, 3),
    pmeEnable: bit(csr, 8),
    dataSelect: field(csr, 9, 4),
    dataScale: field(csr, 13, 2),
    pmeStatus: bit(csr, 15),
    pmcRaw: nul(pmc),
    pmcsrRaw: nul(csr),
  };
}
