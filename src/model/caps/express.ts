// PCI Express capability (ID 0x10): port type, device/link/slot/root registers and their v2 extensions.
import type { ConfigSpace } from '../config-space.js';
import type { LinkState, PortType } from '../types.js';
import { type Flags, bit, field, flags } from './bits.js';

export const EXPRESS_CAP_ID = 0x10;

/** Link speed encodings shared by LnkCap, LnkSta and LnkCtl2 (PCIe 1.0 to 6.0), in GT/s. */
export const LINK_SPEEDS_GTS: Record<number, number> = { 1: 2.5, 2: 5, 3: 8, 4: 16, 5: 32, 6: 64 };

const PORT_TYPES: Record<number, PortType> = {
  0x0: 'endpoint', 0x1: 'legacy-endpoint', 0x4: 'root-port', 0x5: 'upstream', 0x6: 'downstream',
  0x7: 'pcie-to-pci', 0x8: 'pci-to-pcie', 0x9: 'rc-integrated', 0xa: 'rc-event-collector',
};

/** How lspci titles each port type in the "Express (vN) ..." line. */
export const PORT_TYPE_LABELS: Record<PortType, string> = {
  'endpoint': 'Endpoint',
  'legacy-endpoint': 'Legacy Endpoint',
  'root-port': 'Root Port',
  'upstream': 'Upstream Port',
  'downstream': 'Downstream Port',
  'pcie-to-pci': 'PCI-Express to PCI/PCI-X Bridge',
  'pci-to-pcie': 'PCI/PCI-X to PCI-Express Bridge',
  'rc-integrated': 'Root Complex Integrated Endpoint',
  'rc-event-collector': 'Root Complex Event Collector',
  'unknown': 'Unknown type',
};

const L0S_LATENCY = ['<64ns', '<128ns', '<256ns', '<512ns', '<1us', '<2us', '<4us', 'unlimited'];
const L1_LATENCY = ['<1us', '<2us', '<4us', '<8us', '<16us', '<32us', '<64us', 'unlimited'];
const ASPM_SUPPORT = ['not supported', 'L0s', 'L1', 'L0s L1'];
const ASPM_CONTROL = ['Disabled', 'L0s Enabled', 'L1 Enabled', 'L0s L1 Enabled'];
const POWER_SCALE = [1, 0.1, 0.01, 0.001];
const INDICATOR = ['Unknown', 'On', 'Blink', 'Off'];

const DEVCAP_FLAGS = [[5, 'ExtTag'], [12, 'AttnBtn'], [13, 'AttnInd'], [14, 'PwrInd'], [15, 'RBE'], [28, 'FLReset']] as const;
const DEVCTL_FLAGS = [
  [0, 'CorrErr'], [1, 'NonFatalErr'], [2, 'FatalErr'], [3, 'UnsupReq'], [4, 'RlxdOrd'], [8, 'ExtTag'],
  [9, 'PhantFunc'], [10, 'AuxPwr'], [11, 'NoSnoop'], [15, 'FLReset'],
] as const;
const DEVSTA_FLAGS = [[0, 'CorrErr'], [1, 'NonFatalErr'], [2, 'FatalErr'], [3, 'UnsupReq'], [4, 'AuxPwr'], [5, 'TransPend']] as const;
const LNKCAP_FLAGS = [[18, 'ClockPM'], [19, 'Surprise'], [20, 'LLActRep'], [21, 'BwNot'], [22, 'ASPMOptComp']] as const;
const LNKCTL_FLAGS = [
  [4, 'Disabled'], [5, 'Retrain'], [6, 'CommClk'], [7, 'ExtSynch'], [8, 'ClockPM'], [9, 'AutWidDis'],
  [10, 'BWInt'], [11, 'AutBWInt'],
] as const;
const LNKSTA_FLAGS = [[10, 'TrErr'], [11, 'Train'], [12, 'SlotClk'], [13, 'DLActive'], [14, 'BWMgmt'], [15, 'ABWMgmt']] as const;
const SLTCAP_FLAGS = [
  [0, 'AttnBtn'], [1, 'PwrCtrl'], [2, 'MRL'], [3, 'AttnInd'], [4, 'PwrInd'], [6, 'HotPlug'], [5, 'Surprise'],
  [17, 'Interlock'], [18, 'NoCompl'],
] as const;
const SLTCTL_FLAGS = [
  [0, 'AttnBtn'], [1, 'PwrFlt'], [2, 'MRL'], [3, 'PresDet'], [4, 'CmdCplt'], [5, 'HPIrq'], [12, 'LinkChg'],
  [10, 'Power'], [11, 'Interlock'],
] as const;
const SLTSTA_FLAGS = [
  // State bits first (MRL open, card present), then the change-event bits.
  [0, 'AttnBtn'], [1, 'PowerFlt'], [5, 'MRL'], [4, 'CmdCplt'], [6, 'PresDet'], [7, 'Interlock'],
  [2, 'MRLChanged'], [3, 'PresDetChanged'], [8, 'LinkStateChanged'],
] as const;
const ROOTCTL_FLAGS = [[0, 'ErrCorrectable'], [1, 'ErrNon-Fatal'], [2, 'ErrFatal'], [3, 'PMEIntEna'], [4, 'CRSVisible']] as const;
const DEVCAP2_FLAGS = [
  [4, 'TimeoutDis'], [5, 'ARIFwd'], [6, 'AtomicOpsRouting'], [7, 'AtomicOps32bit'], [8, 'AtomicOps64bit'],
  [9, 'AtomicOps128bitCAS'], [10, 'NROPrPrP'], [11, 'LTR'], [12, 'TPHComp'], [13, 'ExtTPHComp'],
  [16, '10BitTagComp'], [17, '10BitTagReq'], [20, 'ExtFmt'], [21, 'EETLPPrefix'],
] as const;
const DEVCTL2_FLAGS = [
  [4, 'TimeoutDis'], [5, 'ARIFwd'], [6, 'AtomicOpsReqEn'], [7, 'AtomicOpsEgressBlck'], [8, 'IDOReq'],
  [9, 'IDOCompl'], [10, 'LTR'], [12, '10BitTagReq'],
] as const;
const LNKCAP2_FLAGS = [[8, 'Crosslink'], [23, 'Retimer'], [24, '2Retimers'], [31, 'DRS']] as const;
const LNKCTL2_FLAGS = [[4, 'EnterCompliance'], [5, 'SpeedDis'], [10, 'EnterModifiedCompliance'], [11, 'ComplianceSOS']] as const;
const LNKSTA2_FLAGS = [
  [1, 'EqualizationComplete'], [2, 'EqualizationPhase1'], [3, 'EqualizationPhase2'], [4, 'EqualizationPhase3'],
  [5, 'LinkEqualizationRequest'], [6, 'Retimer'], [7, '2Retimers'], [15, 'DRS'],
] as const;

export interface DevCapInfo {
  maxPayload: number;
  phantomFunctions: number;
  l0sLatency: string;
  l1Latency: string;
  slotPowerLimitW: number;
  flags: Flags;
  raw: number;
}
export interface DevCtlInfo {
  maxPayload: number;
  maxReadRequest: number;
  flags: Flags;
  raw: number;
}
export interface LinkCapInfo {
  port: number;
  /** GT/s; null for an encoding this decoder does not know. */
  speed: number | null;
  speedCode: number;
  width: number;
  aspm: string;
  l0sExitLatency: string;
  l1ExitLatency: string;
  flags: Flags;
  raw: number;
}
export interface LinkCtlInfo {
  aspm: string;
  rcb: 64 | 128;
  flags: Flags;
  raw: number;
}
export interface LinkStaInfo {
  speed: number | null;
  speedCode: number;
  width: number;
  flags: Flags;
  raw: number;
}
export interface SlotInfo {
  /** SltCap; null when unreadable. */
  physicalSlot: number | null;
  powerLimitW: number | null;
  capFlags: Flags | null;
  ctlFlags: Flags | null;
  attentionIndicator: string | null;
  powerIndicator: string | null;
  staFlags: Flags | null;
}
export interface RootInfo {
  ctlFlags: Flags | null;
  crsVisibleCapable: boolean | null;
  pmeRequesterId: string | null;
  pmeStatus: boolean | null;
  pmePending: boolean | null;
}
export interface Link2Info {
  /** LnkCap2 Supported Link Speeds vector, GT/s; null when unreadable or zero (pre-3.0 ports). */
  supportedSpeeds: number[] | null;
  cap2Flags: Flags | null;
  targetSpeed: number | null;
  ctl2Flags: Flags | null;
  /** Current de-emphasis level from LnkSta2: "-6dB" or "-3.5dB". */
  deemphasis: string | null;
  sta2Flags: Flags | null;
}

/** What the topology needs from the Express capability, decoded for every function of a scan. */
export interface ExpressSummary {
  offset: number;
  version: number;
  portType: PortType;
  slotImplemented: boolean;
  /** Interrupt message number used for this capability's events. */
  interruptMessage: number | null;
  /** Bytes; null when the register could not be read. */
  mpsSupported: number | null;
  mps: number | null;
  mrrs: number | null;
  relaxedOrdering: boolean | null;
  noSnoop: boolean | null;
  /** Null for functions without a link (root-complex integrated endpoints and event collectors). */
  link: LinkState | null;
}

/** Everything lspci -vvv decodes from the Express capability (for `p2p show` and the doctor). */
export interface ExpressInfo extends ExpressSummary {
  /** Speeds the port supports from LnkCap2 (PCIe 3.0+), in GT/s; null when absent. */
  supportedSpeeds: number[] | null;
  /** LnkCtl2 target link speed, GT/s. */
  targetSpeed: number | null;
  devCap: DevCapInfo | null;
  devCtl: DevCtlInfo | null;
  devSta: Flags | null;
  linkCap: LinkCapInfo | null;
  linkCtl: LinkCtlInfo | null;
  linkSta: LinkStaInfo | null;
  /** Present when the port has a slot (root and downstream ports with the Slot Implemented bit). */
  slot: SlotInfo | null;
  /** Root ports and event collectors only. */
  root: RootInfo | null;
  devCap2: { completionTimeoutRanges: string; flags: Flags; raw: number } | null;
  devCtl2: { flags: Flags; raw: number } | null;
  link2: Link2Info | null;
}

export function linkSpeedFromCode(code: number | undefined): number | null {
  if (code === undefined) return null;
  return LINK_SPEEDS_GTS[code] ?? null;
}

/** Port types whose slot registers are meaningful (lspci agrees). */
function canHaveSlot(t: PortType): boolean {
  return t === 'root-port' || t === 'downstream' || t === 'pci-to-pcie';
}

function powerW(value: number, scale: number): number {
  return Math.round(value * POWER_SCALE[scale] * 1000) / 1000;
}

/**
 * Port type, link state and payload sizes only: no flag sets, which are most of a full decode's cost and
 * which a scan of thousands of functions does not need.
 */
export function decodeExpressSummary(cfg: ConfigSpace, offset: number): ExpressSummary {
  const rawFlags = cfg.u16(offset + 0x02);
  const flagsReg = rawFlags ?? 0;
  const portType = PORT_TYPES[(flagsReg >> 4) & 0xf] ?? 'unknown';
  const devCapR = cfg.u32(offset + 0x04);
  const devCtlR = cfg.u16(offset + 0x08);
  let link: LinkState | null = null;
  if (hasLinkRegisters(portType)) {
    const lnkCap = cfg.u32(offset + 0x0c);
    const lnkSta = cfg.u16(offset + 0x12);
    link = {
      speed: lnkSta === undefined ? null : linkSpeedFromCode(lnkSta & 0xf),
      width: lnkSta === undefined ? null : (lnkSta >> 4) & 0x3f,
      maxSpeed: lnkCap === undefined ? null : linkSpeedFromCode(lnkCap & 0xf),
      maxWidth: lnkCap === undefined ? null : (lnkCap >> 4) & 0x3f,
    };
  }
  return {
    offset,
    version: flagsReg & 0xf,
    portType,
    slotImplemented: Boolean(flagsReg & 0x100),
    interruptMessage: field(rawFlags, 9, 5),
    mpsSupported: devCapR === undefined ? null : 128 << (devCapR & 0x7),
    mps: devCtlR === undefined ? null : 128 << ((devCtlR >> 5) & 0x7),
    mrrs: devCtlR === undefined ? null : 128 << ((devCtlR >> 12) & 0x7),
    relaxedOrdering: devCtlR === undefined ? null : Boolean(devCtlR & 0x10),
    noSnoop: devCtlR === undefined ? null : Boolean(devCtlR & 0x800),
    link,
  };
}

/** Root-complex integrated endpoints and event collectors have no link. */
function hasLinkRegisters(portType: PortType): boolean {
  return portType !== 'rc-integrated' && portType !== 'rc-event-collector';
}

// The full decode in steps, one per register block (as lspci's ls-caps.c has cap_express_dev,
// cap_express_link, cap_express_slot, cap_express_root, cap_express_dev2 and cap_express_link2).
// Each takes the capability's offset and reads only its own registers; an unreadable register is null.

/** Device Capabilities, Control and Status (0x04, 0x08, 0x0a). */
function expressDevice(cfg: ConfigSpace, offset: number): Pick<ExpressInfo, 'devCap' | 'devCtl' | 'devSta'> {
  const devCapR = cfg.u32(offset + 0x04);
  const devCtlR = cfg.u16(offset + 0x08);
  return {
    devCap: devCapR === undefined ? null : {
      maxPayload: 128 << (devCapR & 7),
      phantomFunctions: (devCapR >> 3) & 3,
      l0sLatency: L0S_LATENCY[(devCapR >> 6) & 7],
      l1Latency: L1_LATENCY[(devCapR >> 9) & 7],
      slotPowerLimitW: powerW((devCapR >> 18) & 0xff, (devCapR >> 26) & 3),
      flags: flags(devCapR, DEVCAP_FLAGS)!,
      raw: devCapR,
    },
    devCtl: devCtlR === undefined ? null : {
      maxPayload: 128 << ((devCtlR >> 5) & 7),
      maxReadRequest: 128 << ((devCtlR >> 12) & 7),
      flags: flags(devCtlR, DEVCTL_FLAGS)!,
      raw: devCtlR,
    },
    devSta: flags(cfg.u16(offset + 0x0a), DEVSTA_FLAGS),
  };
}

/** Link Capabilities, Control and Status (0x0c, 0x10, 0x12). */
function expressLink(cfg: ConfigSpace, offset: number): Pick<ExpressInfo, 'linkCap' | 'linkCtl' | 'linkSta'> {
  const lnkCap = cfg.u32(offset + 0x0c);
  const lnkCtl = cfg.u16(offset + 0x10);
  const lnkSta = cfg.u16(offset + 0x12);
  return {
    linkCap: lnkCap === undefined ? null : {
      port: lnkCap >>> 24,
      speed: linkSpeedFromCode(lnkCap & 0xf),
      speedCode: lnkCap & 0xf,
      width: (lnkCap >> 4) & 0x3f,
      aspm: ASPM_SUPPORT[(lnkCap >> 10) & 3],
      l0sExitLatency: L0S_LATENCY[(lnkCap >> 12) & 7],
      l1ExitLatency: L1_LATENCY[(lnkCap >> 15) & 7],
      flags: flags(lnkCap, LNKCAP_FLAGS)!,
      raw: lnkCap,
    },
    linkCtl: lnkCtl === undefined ? null : { aspm: ASPM_CONTROL[lnkCtl & 3], rcb: lnkCtl & 8 ? 128 : 64, flags: flags(lnkCtl, LNKCTL_FLAGS)!, raw: lnkCtl },
    linkSta: lnkSta === undefined ? null : {
      speed: linkSpeedFromCode(lnkSta & 0xf), speedCode: lnkSta & 0xf, width: (lnkSta >> 4) & 0x3f,
      flags: flags(lnkSta, LNKSTA_FLAGS)!, raw: lnkSta,
    },
  };
}

/** Slot Capabilities, Control and Status (0x14, 0x18, 0x1a). */
function expressSlot(cfg: ConfigSpace, offset: number): SlotInfo {
  const cap = cfg.u32(offset + 0x14);
  const ctl = cfg.u16(offset + 0x18);
  const sta = cfg.u16(offset + 0x1a);
  return {
    physicalSlot: field(cap, 19, 13),
    powerLimitW: cap === undefined ? null : powerW((cap >> 7) & 0xff, (cap >> 15) & 3),
    capFlags: flags(cap, SLTCAP_FLAGS),
    ctlFlags: flags(ctl, SLTCTL_FLAGS),
    attentionIndicator: ctl === undefined ? null : INDICATOR[(ctl >> 6) & 3],
    powerIndicator: ctl === undefined ? null : INDICATOR[(ctl >> 8) & 3],
    staFlags: flags(sta, SLTSTA_FLAGS),
  };
}

/** Root Control, Capabilities and Status (0x1c, 0x1e, 0x20). */
function expressRoot(cfg: ConfigSpace, offset: number): RootInfo {
  const ctl = cfg.u16(offset + 0x1c);
  const cap = cfg.u16(offset + 0x1e);
  const sta = cfg.u32(offset + 0x20);
  return {
    ctlFlags: flags(ctl, ROOTCTL_FLAGS),
    crsVisibleCapable: bit(cap, 0),
    pmeRequesterId: sta === undefined ? null : (sta & 0xffff).toString(16).padStart(4, '0'),
    pmeStatus: bit(sta, 16),
    pmePending: bit(sta, 17),
  };
}

/** Device Capabilities 2 and Control 2 (0x24, 0x28; capability version 2 and later). */
function expressDevice2(cfg: ConfigSpace, offset: number): Pick<ExpressInfo, 'devCap2' | 'devCtl2'> {
  const c2 = cfg.u32(offset + 0x24);
  const t2 = cfg.u16(offset + 0x28);
  const ranges = (c2 ?? 0) & 0xf;
  return {
    devCap2: c2 === undefined ? null : {
      completionTimeoutRanges: ranges === 0 ? 'Not Supported' : ['A', 'B', 'C', 'D'].filter((_, i) => ranges & (1 << i)).join(''),
      flags: flags(c2, DEVCAP2_FLAGS)!,
      raw: c2,
    },
    devCtl2: t2 === undefined ? null : { flags: flags(t2, DEVCTL2_FLAGS)!, raw: t2 },
  };
}

/** Link Capabilities 2, Control 2 and Status 2 (0x2c, 0x30, 0x32; capability version 2 and later). */
function expressLink2(cfg: ConfigSpace, offset: number): Link2Info {
  const lnkCap2 = cfg.u32(offset + 0x2c);
  let supportedSpeeds: number[] | null = null;
  if (lnkCap2 !== undefined && lnkCap2 !== 0) {
    supportedSpeeds = [];
    for (let b = 1; b <= 7; b++) {
      const s = LINK_SPEEDS_GTS[b];
      if (s !== undefined && lnkCap2 & (1 << b)) supportedSpeeds.push(s);
    }
  }
  const lnkCtl2 = cfg.u16(offset + 0x30);
  const lnkSta2 = cfg.u16(offset + 0x32);
  // Hardwired to 0 is allowed for ports that only do 2.5 GT/s (PCIe 3.0 spec, 7.8.19).
  const targetSpeed = lnkCtl2 === undefined ? null : (lnkCtl2 & 0xf) === 0 ? 2.5 : linkSpeedFromCode(lnkCtl2 & 0xf);
  return {
    supportedSpeeds,
    cap2Flags: flags(lnkCap2, LNKCAP2_FLAGS),
    targetSpeed,
    ctl2Flags: flags(lnkCtl2, LNKCTL2_FLAGS),
    deemphasis: lnkSta2 === undefined ? null : lnkSta2 & 1 ? '-3.5dB' : '-6dB',
    sta2Flags: flags(lnkSta2, LNKSTA2_FLAGS),
  };
}

/** Everything lspci -vvv decodes from the Express capability: the summary, then each register block the port type has. */
export function decodeExpress(cfg: ConfigSpace, offset: number): ExpressInfo {
  const summary = decodeExpressSummary(cfg, offset);
  const { version, portType, slotImplemented } = summary;
  const hasLink = hasLinkRegisters(portType);
  const link = hasLink ? expressLink(cfg, offset) : { linkCap: null, linkCtl: null, linkSta: null };
  const link2 = hasLink && version >= 2 ? expressLink2(cfg, offset) : null;
  const dev2 = version >= 2 ? expressDevice2(cfg, offset) : { devCap2: null, devCtl2: null };
  return {
    ...summary,
    supportedSpeeds: link2?.supportedSpeeds ?? null,
    targetSpeed: link2?.targetSpeed ?? null,
    ...expressDevice(cfg, offset),
    ...link,
    slot: slotImplemented && canHaveSlot(portType) ? expressSlot(cfg, offset) : null,
    root: portType === 'root-port' || portType === 'rc-event-collector' ? expressRoot(cfg, offset) : null,
    ...dev2,
    link2,
  };
}

