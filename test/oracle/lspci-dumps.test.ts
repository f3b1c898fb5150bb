// Oracle: for every pciutils regression dump, our walk and decoders must agree with what lspci prints
// for the same dump (pre-derived lspci 3.9.0 output, and the installed lspci when there is one).
//
// Compared per function: the capability list (offsets, names, versions, corruption marks), header
// bus numbers, BAR addresses and Command/Status/BridgeCtl flags, Express title, LnkCap/LnkSta
// speed and width, DevCap/DevCtl MPS and MRRS, every Express register flag lspci prints, ACS
// Cap/Ctl, AER UESta/UEMsk/UESvrt/CESta/CEMsk/AERCap/root registers, PM, MSI, MSI-X, SR-IOV,
// ATS, PRI, PASID, PTM, L1 PM substates, ARI, Resizable BAR, DPC, DSN, VSEC and DVSEC headers.
//
// Documented differences:
//  - NAMED_AFTER_LSPCI_3_9 below: extended capability IDs lspci 3.9.0 has no name for.
//  - lspci prints only the uncorrectable/correctable AER bits of its time (12 and 6); we decode the
//    later ones too (UncorrIntErr, BlockedTLP, ..., HeaderOF), so only lspci's are compared.
//  - Walk policy: a standard pointer below 0x40 or an extended one below 0x100 is corruption to us
//    (reported, walk stops) while lspci follows it; no dump here has one (broken-ecaps has no
//    capability list at all), so the lists agree.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseLspciDump } from '../../src/access/dump.js';
import { decodeCapabilities, decodeHeader, walkCapabilities, type DecodedCapability, type HeaderInfo } from '../../src/model/caps/index.js';
import { formatAcsBits } from '../../src/model/caps/acs.js';
import { AER_CORRECTABLE_BITS, AER_UNCORRECTABLE_BITS } from '../../src/model/caps/aer.js';
import { formatFlags, type Flags } from '../../src/model/caps/bits.js';
import { PORT_TYPE_LABELS } from '../../src/model/caps/express.js';
import { lspciSpeed } from '../../src/model/link-math.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import { buildFabric } from '../../src/model/topology.js';
import { describeDevice, isUnknown } from '../../src/model/details.js';
import { HWLOC_TREES, PCIUTILS_DUMPS, REFDATA, hwlocRoot } from '../helpers/refdata.js';

// pciutils' own dumps and lspci 3.9.0's decoding of them (test/fixtures/refdata/lspci, see its SOURCE).
const DUMPS = PCIUTILS_DUMPS;
const DERIVED = path.join(DUMPS, 'derived');

// ---------------------------------------------------------------------------------------------
// lspci -vvv text -> per-device capability blocks

interface LspciCap {
  offset: number;
  version: number | null;
  /** Everything after the "[off vN]" tag. */
  title: string;
  /** Register label -> text (continuation lines joined by a space); a repeated label keeps the first. */
  regs: Map<string, string>;
  /** The whole block below the title, lines trimmed and joined by "\n". */
  body: string;
}

interface LspciDevice {
  /** Device-level lines (Control:, Bus:, Region N: ...), trimmed. */
  head: string[];
  caps: LspciCap[];
}

const DEV_LINE = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) /;
const CAP_LINE = /^\tCapabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$/;
const REG_LINE = /^\t\t([A-Za-z0-9_]+):\s*(.*)$/;

function parseLspciVerbose(text: string): Map<string, LspciDevice> {
  const out = new Map<string, LspciDevice>();
  let dev: LspciDevice | null = null;
  let cap: LspciCap | null = null;
  let label: string | null = null;
  for (const line of text.split('\n')) {
    const d = DEV_LINE.exec(line);
    if (d) {
      dev = { head: [], caps: [] };
      out.set(`${(d[1] ?? '0000').padStart(4, '0')}:${d[2]}:${d[3]}.${d[4]}`, dev);
      cap = null;
      continue;
    }
    if (!dev) continue;
    const c = CAP_LINE.exec(line);
    if (c) {
      cap = { offset: parseInt(c[1], 16), version: c[2] === undefined ? null : Number(c[2]), title: c[3], regs: new Map(), body: '' };
      dev.caps.push(cap);
      label = null;
      continue;
    }
    if (/^\t[^\t]/.test(line)) {
      cap = null; // a device-level line ends the capability block
      dev.head.push(line.trim());
      continue;
    }
    if (!cap) continue;
    cap.body += (cap.body ? '\n' : '') + line.trim();
    const r = REG_LINE.exec(line);
    if (r) {
      label = cap.regs.has(r[1]) ? null : r[1];
      if (label) cap.regs.set(label, r[2].trim());
    } else if (label && line.startsWith('\t\t\t')) {
      cap.regs.set(label, `${cap.regs.get(label)} ${line.trim()}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Our facts, rendered the way lspci words them, next to lspci's

/** Extended capability IDs lspci 3.9.0 has no name for (it prints "Extended Capability ID 0x.."). */
const NAMED_AFTER_LSPCI_3_9: Record<number, string> = {
  0x2a: 'Physical Layer 32.0 GT/s (PCIe 5.0, 2019): lspci 3.9.0 predates its decoder',
  0x2f: 'Device 3 (PCIe 6.0): not in lspci 3.9.0',
  0x30: 'Integrity and Data Encryption (PCIe 6.0): not in lspci 3.9.0',
  0x31: 'Physical Layer 64.0 GT/s (PCIe 6.0): not in lspci 3.9.0',
};

const UE_NAMES = AER_UNCORRECTABLE_BITS.slice(0, 12).map(([, n]) => n);
const CE_NAMES = AER_CORRECTABLE_BITS.slice(0, 6).map(([, n]) => n);

/** lspci's "Name+ Other-" tokens in a text, by name. */
function flagTokens(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of text.matchAll(/(?:^|[\s,;:(])([^\s,;:(]+?)([+-])(?=[\s,;)]|$)/g)) out.set(m[1], m[2] === '+');
  return out;
}

/**
 * Every flag lspci prints that we also decode under the same name must agree. `rename` maps our
 * name to lspci's where they differ; names only one side has are not compared.
 */
function compareFlags(what: string, ours: Flags | null | undefined, text: string | undefined, d: (w: string, us: unknown, them: unknown) => void, rename: Record<string, string> = {}): void {
  if (text === undefined || !ours) return;
  const theirs = flagTokens(text);
  for (const [name, value] of Object.entries(ours)) {
    const t = theirs.get(rename[name] ?? name);
    if (t !== undefined) d(`${what} ${name}`, value, t);
  }
}

function regMatch(regs: Map<string, string>, label: string, re: RegExp): RegExpExecArray | null {
  const t = regs.get(label);
  return t === undefined ? null : re.exec(t);
}

/** Differences between one of our decoded capabilities and lspci's block at the same offset. */
function compareCap(where: string, ours: DecodedCapability, theirs: LspciCap, diffs: string[], stats: Stats): void {
  const d = (what: string, us: unknown, them: unknown) => {
    stats.compared++;
    if (String(us) !== String(them)) diffs.push(`${where} [${ours.offset.toString(16)}] ${what}: ours ${JSON.stringify(us)} lspci ${JSON.stringify(them)}`);
  };
  if (theirs.title.startsWith('<')) {
    d('name', ours.name, theirs.title);
    return;
  }
  if (ours.extended) d('version', ours.version, theirs.version);
  const unknownToLspci = /^Extended Capability ID 0x([0-9a-f]+)$/.exec(theirs.title);
  if (unknownToLspci && NAMED_AFTER_LSPCI_3_9[parseInt(unknownToLspci[1], 16)] && ours.id === parseInt(unknownToLspci[1], 16)) {
    stats.exceptions.add(`ext cap 0x${unknownToLspci[1]}: ${NAMED_AFTER_LSPCI_3_9[ours.id]}`);
  } else {
    stats.compared++;
    if (!theirs.title.startsWith(ours.name)) diffs.push(`${where} [${ours.offset.toString(16)}] name: ours ${JSON.stringify(ours.name)} lspci ${JSON.stringify(theirs.title)}`);
  }
  const r = theirs.regs;
  switch (ours.kind) {
    case 'express': {
      const f = ours.fields;
      d('title', `Express (v${f.version}) ${PORT_TYPE_LABELS[f.portType]}`, theirs.title.replace(/ \(Slot[+-]\)|, MSI.*$/g, ''));
      const cap = regMatch(r, 'LnkCap', /Speed (\S+), Width x(\d+)/);
      if (cap || f.linkCap) d('LnkCap', f.linkCap && `${lspciSpeed(f.linkCap.speed)} x${f.linkCap.width}`, cap && `${cap[1]} x${cap[2]}`);
      const sta = regMatch(r, 'LnkSta', /Speed ([^,\s]+)(?: \([^)]*\))?, Width x(\d+)/);
      if (sta || f.linkSta) d('LnkSta', f.linkSta && `${lspciSpeed(f.linkSta.speed)} x${f.linkSta.width}`, sta && `${sta[1]} x${sta[2]}`);
      const ctl = regMatch(r, 'DevCtl', /MaxPayload (\d+) bytes, MaxReadReq (\d+) bytes/);
      if (ctl || f.devCtl) d('DevCtl MPS/MRRS', f.devCtl && `${f.mps}/${f.mrrs}`, ctl && `${ctl[1]}/${ctl[2]}`);
      const dcap = regMatch(r, 'DevCap', /MaxPayload (\d+) bytes/);
      if (dcap) d('DevCap MaxPayload', f.mpsSupported, dcap[1]);
      const ro = regMatch(r, 'DevCtl', /RlxdOrd([+-])/);
      if (ro) d('DevCtl RlxdOrd', f.relaxedOrdering, ro[1] === '+');
      const s2 = regMatch(r, 'LnkCap2', /Supported Link Speeds: (?:[\d.]+-)?([\d.]+GT\/s)/);
      if (s2 || f.supportedSpeeds) d('LnkCap2 top speed', f.supportedSpeeds && lspciSpeed(Math.max(...f.supportedSpeeds)), s2?.[1] ?? null);
      if (f.slot) {
        const sl = regMatch(r, 'SltCap', /Slot #(\d+), PowerLimit ([\d.]+)W/);
        if (sl) d('SltCap slot/power', `${f.slot.physicalSlot} ${f.slot.powerLimitW}`, `${sl[1]} ${Number(sl[2])}`);
      }
      compareFlags('DevCap', f.devCap?.flags, r.get('DevCap'), d);
      compareFlags('DevCtl', f.devCtl?.flags, r.get('DevCtl'), d);
      compareFlags('DevSta', f.devSta, r.get('DevSta'), d);
      compareFlags('LnkCap', f.linkCap?.flags, r.get('LnkCap'), d);
      compareFlags('LnkCtl', f.linkCtl?.flags, r.get('LnkCtl'), d);
      compareFlags('LnkSta', f.linkSta?.flags, r.get('LnkSta'), d);
      const aspmCap = regMatch(r, 'LnkCap', /ASPM ([^,]+),/);
      if (aspmCap) d('LnkCap ASPM', f.linkCap?.aspm, aspmCap[1]);
      const aspmCtl = regMatch(r, 'LnkCtl', /ASPM ([^;]+);/);
      if (aspmCtl) d('LnkCtl ASPM', f.linkCtl?.aspm, aspmCtl[1]);
      compareFlags('SltCap', f.slot?.capFlags, r.get('SltCap'), d);
      compareFlags('SltCtl', f.slot?.ctlFlags, r.get('SltCtl'), d);
      const sltSta = r.get('SltSta');
      if (sltSta !== undefined) {
        const [now, changed = ''] = sltSta.split('Changed:');
        compareFlags('SltSta', f.slot?.staFlags, now, d);
        compareFlags('SltSta changed', f.slot?.staFlags, changed, d, { MRLChanged: 'MRL', PresDetChanged: 'PresDet', LinkStateChanged: 'LinkState', MRL: '-', PresDet: '-' });
      }
      compareFlags('RootCtl', f.root?.ctlFlags, r.get('RootCtl'), d);
      compareFlags('DevCap2', f.devCap2?.flags, r.get('DevCap2'), d);
      compareFlags('DevCtl2', f.devCtl2?.flags, r.get('DevCtl2'), d);
      compareFlags('LnkCap2', f.link2?.cap2Flags, r.get('LnkCap2'), d);
      compareFlags('LnkCtl2', f.link2?.ctl2Flags, r.get('LnkCtl2'), d);
      compareFlags('LnkSta2', f.link2?.sta2Flags, r.get('LnkSta2'), d);
      const t2 = regMatch(r, 'LnkCtl2', /Target Link Speed: ([^,\s]+)/);
      if (t2) d('LnkCtl2 target', lspciSpeed(f.targetSpeed), t2[1]);
      break;
    }
    case 'acs':
      if (r.has('ACSCap')) d('ACSCap', formatAcsBits(ours.fields.capRaw), r.get('ACSCap'));
      if (r.has('ACSCtl')) d('ACSCtl', ours.fields.ctlRaw === null ? null : formatAcsBits(ours.fields.ctlRaw), r.get('ACSCtl'));
      break;
    case 'aer': {
      const f = ours.fields;
      const regs = [
        ['UESta', f.uncorrectableStatus, UE_NAMES], ['UEMsk', f.uncorrectableMask, UE_NAMES],
        ['UESvrt', f.uncorrectableSeverity, UE_NAMES], ['CESta', f.correctableStatus, CE_NAMES],
        ['CEMsk', f.correctableMask, CE_NAMES],
      ] as const;
      for (const [label, reg, names] of regs) if (r.has(label)) d(label, formatFlags(reg.bits, names), r.get(label));
      compareFlags('AERCap', f.capabilities, r.get('AERCap'), d);
      compareFlags('RootCmd', f.root?.command, r.get('RootCmd'), d);
      compareFlags('RootSta', f.root?.status, r.get('RootSta'), d);
      const fep = regMatch(r, 'AERCap', /First Error Pointer: ([0-9a-f]+)/);
      if (fep) d('AERCap FEP', f.firstErrorPointer, parseInt(fep[1], 16));
      break;
    }
    case 'pm': {
      const v = /version (\d+)/.exec(theirs.title);
      if (v) d('PM version', ours.fields.version, v[1]);
      const f = ours.fields;
      const pmFlags = r.get('Flags');
      if (pmFlags !== undefined) {
        const pme = /PME\(([^)]*)\)/.exec(pmFlags);
        compareFlags('PM Flags', { PMEClk: !!f.pmeClock, DSI: !!f.dsi, D1: !!f.d1, D2: !!f.d2 }, pmFlags.replace(/PME\([^)]*\)/, ''), d);
        if (pme) compareFlags('PM PME support', f.pmeSupport, pme[1], d);
        const aux = /AuxCurrent=(\d+)mA/.exec(pmFlags);
        if (aux) d('PM AuxCurrent', f.auxCurrentMa, aux[1]);
      }
      compareFlags('PM Status', { NoSoftRst: !!f.noSoftReset, 'PME-Enable': !!f.pmeEnable, PME: !!f.pmeStatus }, r.get('Status'), d);
      const st = regMatch(r, 'Status', /^(D[0-3]\w*)/);
      if (st) d('PM state', f.powerState, st[1]);
      break;
    }
    case 'msi': {
      const m = /Enable([+-]) Count=(\d+)\/(\d+) Maskable([+-]) 64bit([+-])/.exec(theirs.title);
      const f = ours.fields;
      if (m) d('MSI', `${f.enabled} ${f.vectorsEnabled}/${f.vectorsCapable} ${f.maskable} ${f.is64}`, `${m[1] === '+'} ${m[2]}/${m[3]} ${m[4] === '+'} ${m[5] === '+'}`);
      break;
    }
    case 'msix': {
      const m = /Enable([+-]) Count=(\d+) Masked([+-])/.exec(theirs.title);
      const f = ours.fields;
      if (m) d('MSI-X', `${f.enabled} ${f.tableSize} ${f.functionMasked}`, `${m[1] === '+'} ${m[2]} ${m[3] === '+'}`);
      break;
    }
    case 'subsystem': {
      const m = /\[([0-9a-f]{4}):([0-9a-f]{4})\]$/.exec(theirs.title); // only with -nn (the derived outputs)
      if (m) d('Subsystem IDs', `${ours.fields.subsystemVendorId}:${ours.fields.subsystemDeviceId}`, `${m[1]}:${m[2]}`);
      break;
    }
    case 'dsn': {
      const m = /Device Serial Number (\S+)/.exec(theirs.title);
      if (m) d('DSN', ours.fields.serial, m[1]);
      break;
    }
    case 'sriov': {
      const f = ours.fields;
      const m = /Initial VFs: (\d+), Total VFs: (\d+), Number of VFs: (\d+), Function Dependency Link: ([0-9a-f]+)/.exec(theirs.body);
      if (m) d('SR-IOV VFs', `${f.initialVfs} ${f.totalVfs} ${f.numVfs} ${f.functionDependencyLink}`, `${m[1]} ${m[2]} ${m[3]} ${parseInt(m[4], 16)}`);
      const o = /VF offset: (\d+), stride: (\d+), Device ID: ([0-9a-f]+)/.exec(theirs.body);
      if (o) d('SR-IOV offset/stride/did', `${f.firstVfOffset} ${f.vfStride} ${f.vfDeviceId}`, `${o[1]} ${o[2]} ${o[3]}`);
      const e = regMatch(r, 'IOVCtl', /Enable([+-])/);
      if (e) d('IOVCtl Enable', f.ctlFlags?.VFEnable, e[1] === '+');
      const bars = [...theirs.body.matchAll(/Region (\d): Memory at ([0-9a-f]+) \((32|64)-bit, (non-)?prefetchable\)/g)];
      for (const b of bars) {
        const vb = f.vfBars?.find((x) => x.index === Number(b[1]));
        d(`VF BAR ${b[1]}`, vb && `${vb.address} ${vb.is64 ? 64 : 32} ${vb.prefetchable}`, `0x${b[2].replace(/^0+(?=.)/, '')} ${b[3]} ${!b[4]}`);
      }
      break;
    }
    case 'ats': {
      const q = regMatch(r, 'ATSCap', /Invalidate Queue Depth: ([0-9a-f]+)/);
      if (q) d('ATS queue depth', ours.fields.invalidateQueueDepth, parseInt(q[1], 16) || 32);
      const c = regMatch(r, 'ATSCtl', /Enable([+-]), Smallest Translation Unit: ([0-9a-f]+)/);
      if (c) d('ATSCtl', `${ours.fields.enabled} ${ours.fields.smallestTranslationUnit}`, `${c[1] === '+'} ${parseInt(c[2], 16)}`);
      break;
    }
    case 'pri': {
      const f = ours.fields;
      const c = regMatch(r, 'PRICtl', /Enable([+-]) Reset([+-])/);
      if (c) d('PRICtl', `${f.enabled} ${f.reset}`, `${c[1] === '+'} ${c[2] === '+'}`);
      const st = regMatch(r, 'PRISta', /RF([+-]) UPRGI([+-]) Stopped([+-])/);
      if (st) d('PRISta', `${f.responseFailure} ${f.unexpectedGroupIndex} ${f.stopped}`, `${st[1] === '+'} ${st[2] === '+'} ${st[3] === '+'}`);
      const a = /Page Request Capacity: ([0-9a-f]+), Page Request Allocation: ([0-9a-f]+)/.exec(theirs.body);
      if (a) d('PRI capacity/allocation', `${f.outstandingCapacity} ${f.outstandingAllocation}`, `${parseInt(a[1], 16)} ${parseInt(a[2], 16)}`);
      break;
    }
    case 'pasid': {
      const f = ours.fields;
      const c = regMatch(r, 'PASIDCap', /Exec([+-]) Priv([+-]), Max PASID Width: ([0-9a-f]+)/);
      if (c) d('PASIDCap', `${f.execCapable} ${f.privCapable} ${f.maxWidth}`, `${c[1] === '+'} ${c[2] === '+'} ${parseInt(c[3], 16)}`);
      const t = regMatch(r, 'PASIDCtl', /Enable([+-]) Exec([+-]) Priv([+-])/);
      if (t) d('PASIDCtl', `${f.enabled} ${f.execEnabled} ${f.privEnabled}`, `${t[1] === '+'} ${t[2] === '+'} ${t[3] === '+'}`);
      break;
    }
    case 'ptm': {
      const f = ours.fields;
      const c = regMatch(r, 'PTMCap', /Requester:([+-]) Responder:([+-]) Root:([+-])/);
      if (c) d('PTMCap', `${f.requester} ${f.responder} ${f.root}`, `${c[1] === '+'} ${c[2] === '+'} ${c[3] === '+'}`);
      const t = regMatch(r, 'PTMControl', /Enabled:([+-]) RootSelected:([+-])/);
      if (t) d('PTMControl', `${f.enabled} ${f.rootSelected}`, `${t[1] === '+'} ${t[2] === '+'}`);
      const g = regMatch(r, 'PTMClockGranularity', /(\d+)ns/);
      if (g) d('PTM granularity', f.granularityNs, g[1]);
      break;
    }
    case 'l1pm': {
      const f = ours.fields;
      if (r.has('L1SubCap')) d('L1SubCap', formatFlags(f.supported), r.get('L1SubCap')!.split(/\s+/).slice(0, 5).join(' '));
      if (r.has('L1SubCtl1')) d('L1SubCtl1', formatFlags(f.enabled), r.get('L1SubCtl1')!.split(/\s+/).slice(0, 4).join(' '));
      const p = regMatch(r, 'L1SubCap', /PortTPowerOnTime=(\d+)us/);
      if (p) d('PortTPowerOnTime', f.portTPowerOnUs, p[1]);
      const m = regMatch(r, 'L1SubCap', /PortCommonModeRestoreTime=(\d+)us/);
      if (m) d('PortCommonModeRestoreTime', f.portCommonModeRestoreTimeUs, m[1]);
      const t = regMatch(r, 'L1SubCtl1', /T_CommonMode=(\d+)us/);
      if (t) d('T_CommonMode', f.tCommonModeUs, t[1]);
      const l = regMatch(r, 'L1SubCtl1', /LTR1.2_Threshold=(\d+)ns/);
      if (l) d('LTR1.2_Threshold', f.ltrL12ThresholdNs, l[1]);
      const o = regMatch(r, 'L1SubCtl2', /T_PwrOn=(\d+)us/);
      if (o) d('T_PwrOn', f.tPowerOnUs, o[1]);
      break;
    }
    case 'ari': {
      const f = ours.fields;
      const c = regMatch(r, 'ARICap', /MFVC([+-]) ACS([+-]), Next Function: (\d+)/);
      if (c) d('ARICap', `${f.mfvcCapable} ${f.acsCapable} ${f.nextFunction}`, `${c[1] === '+'} ${c[2] === '+'} ${c[3]}`);
      const t = regMatch(r, 'ARICtl', /MFVC([+-]) ACS([+-]), Function Group: (\d+)/);
      if (t) d('ARICtl', `${f.mfvcEnabled} ${f.acsEnabled} ${f.functionGroup}`, `${t[1] === '+'} ${t[2] === '+'} ${t[3]}`);
      break;
    }
    case 'rebar': {
      for (const m of theirs.body.matchAll(/BAR (\d+): current size: (\S+), supported: ([^\n]*)/g)) {
        const e = ours.fields.entries?.find((x) => x.barIndex === Number(m[1]));
        d(`ReBAR ${m[1]}`, e && `${e.currentSize} ${e.supportedSizes.join(' ')}`, `${m[2]} ${m[3].trim()}`);
      }
      break;
    }
    case 'dvsec': {
      const f = ours.fields;
      const m = /Vendor=([0-9a-f]+) ID=([0-9a-f]+) Rev=(\d+) Len=(\d+)/.exec(theirs.title);
      if (m) d('DVSEC header', `${f.vendorId} ${f.dvsecId} ${f.dvsecRev} ${f.length}`, `${m[1]} ${parseInt(m[2], 16)} ${m[3]} ${m[4]}`);
      break;
    }
    case 'vsec': {
      const f = ours.fields;
      const m = /ID=([0-9a-f]+) Rev=(\d+) Len=([0-9a-f]+)/.exec(theirs.title);
      if (m) d('VSEC header', `${f.vsecId} ${f.vsecRev} ${f.length}`, `${parseInt(m[1], 16)} ${m[2]} ${parseInt(m[3], 16)}`);
      break;
    }
    case 'dpc': {
      const f = ours.fields;
      compareFlags('DpcCap', f.capFlags, r.get('DpcCap'), d);
      compareFlags('DpcCtl', f.ctlFlags, r.get('DpcCtl'), d);
      compareFlags('DpcSta', f.staFlags, r.get('DpcSta'), d);
      const m = regMatch(r, 'DpcCap', /IntMsgNum (\d+)/);
      if (m) d('DpcCap IntMsg', f.interruptMessage, m[1]);
      const t = regMatch(r, 'DpcSta', /Trigger([+-])/);
      if (t) d('DpcSta Trigger', f.staFlags?.Trigger, t[1] === '+');
      const s = regMatch(r, 'Source', /^([0-9a-f]{4})/);
      if (s) d('DPC source', f.errorSource, s[1]);
      break;
    }
    default:
      break;
  }
}

/** Bus numbers and BAR addresses from the 64-byte header. */
function compareHeader(where: string, h: HeaderInfo, head: string[], diffs: string[], stats: Stats): void {
  const d = (what: string, us: unknown, them: unknown) => {
    stats.compared++;
    if (String(us) !== String(them)) diffs.push(`${where} ${what}: ours ${JSON.stringify(us)} lspci ${JSON.stringify(them)}`);
  };
  for (const line of head) {
    const bus = /^Bus: primary=([0-9a-f]+), secondary=([0-9a-f]+), subordinate=([0-9a-f]+)/.exec(line);
    if (bus) {
      const b = h.bridge;
      d('bus numbers', b && `${b.primaryBus} ${b.secondaryBus} ${b.subordinateBus}`, `${parseInt(bus[1], 16)} ${parseInt(bus[2], 16)} ${parseInt(bus[3], 16)}`);
    }
    const mem = /^Region (\d): Memory at ([0-9a-f]+) \((32|64)-bit, (non-)?prefetchable\)/.exec(line);
    if (mem) {
      const bar = h.bars.find((x) => x.index === Number(mem[1]));
      d(`Region ${mem[1]}`, bar && `${bar.kind} ${bar.address} ${bar.is64 ? 64 : 32} ${bar.prefetchable}`, `mem 0x${mem[2].replace(/^0+(?=.)/, '')} ${mem[3]} ${!mem[4]}`);
    }
    const io = /^Region (\d): I\/O ports at ([0-9a-f]+)/.exec(line);
    if (io) {
      const bar = h.bars.find((x) => x.index === Number(io[1]));
      d(`Region ${io[1]}`, bar && `${bar.kind} ${bar.address}`, `io 0x${io[2].replace(/^0+(?=.)/, '')}`);
    }
    const cmd = /^Control: (.*)$/.exec(line);
    if (cmd) d('Control', formatFlags(h.command), cmd[1]);
    const sts = /^Status: (.*)$/.exec(line);
    if (sts) compareFlags('Status', h.status, sts[1], d);
    const sec = /^Secondary status: (.*)$/.exec(line);
    if (sec) compareFlags('Secondary status', h.bridge?.secondaryStatus, sec[1], d);
    const bctl = /^BridgeCtl: (.*)$/.exec(line);
    if (bctl && h.headerType === 1) compareFlags('BridgeCtl', h.bridge?.bridgeControl, bctl[1], d);
  }
}

interface Stats {
  compared: number;
  exceptions: Set<string>;
}

/** All differences between our decoding of `dumpText` and lspci's `lspciText` for the same dump. */
function compareDump(name: string, dumpText: string, lspciText: string, stats: Stats): string[] {
  const fabric = parseLspciDump(dumpText, name);
  const theirs = parseLspciVerbose(lspciText);
  const diffs: string[] = [];
  const ourBdfs = fabric.devices.map((x) => x.bdf).sort();
  assert.deepEqual(ourBdfs, [...theirs.keys()].sort(), `${name}: device lists differ`);
  for (const dev of fabric.devices) {
    const walk = walkCapabilities(dev.config);
    const decoded = decodeCapabilities(dev.config, walk);
    const ldev = theirs.get(dev.bdf)!;
    const lcaps = ldev.caps;
    const where = `${name} ${dev.bdf}`;
    compareHeader(where, decodeHeader(dev.config), ldev.head, diffs, stats);
    // Corruption lspci reports inline ("<chain looped>", "<chain broken>") we report as walk errors.
    const lspciCorrupt = lcaps.filter((c) => c.title.startsWith('<chain'));
    stats.compared++;
    if (lspciCorrupt.length !== walk.errors.length) {
      diffs.push(`${where}: lspci corruption marks ${JSON.stringify(lspciCorrupt.map((c) => c.title))} vs our walk errors ${JSON.stringify(walk.errors)}`);
    }
    const lvalid = lcaps.filter((c) => !c.title.startsWith('<'));
    stats.compared++;
    const ourOffsets = decoded.map((c) => c.offset.toString(16)).join(',');
    const theirOffsets = lvalid.map((c) => c.offset.toString(16)).join(',');
    if (ourOffsets !== theirOffsets) diffs.push(`${where}: capability offsets ours [${ourOffsets}] lspci [${theirOffsets}]`);
    for (const c of decoded) {
      const t = lvalid.find((x) => x.offset === c.offset && (x.offset >= 0x100) === c.extended);
      if (t) compareCap(where, c, t, diffs, stats);
    }
  }
  return diffs;
}

// ---------------------------------------------------------------------------------------------

const haveDumps = existsSync(DUMPS);
const dumps = haveDumps
  ? readdirSync(DUMPS).filter((f) => !f.startsWith('COPYING') && statSync(path.join(DUMPS, f)).isFile()).sort()
  : [];

function lspciVersion(): string | null {
  try {
    return execFileSync('lspci', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
const liveLspci = lspciVersion();

describe('lspci dumps: our decoding vs lspci 3.9.0 (pre-derived -vvvnn output)', { skip: haveDumps ? false : `no reference data at ${DUMPS}` }, () => {
  it('finds every dump (41 in pciutils tests/)', () => {
    assert.ok(dumps.length >= 41, `only ${dumps.length} dumps found in ${DUMPS}`);
  });
  const stats: Stats = { compared: 0, exceptions: new Set() };
  for (const name of dumps) {
    it(name, () => {
      const derived = path.join(DERIVED, `${name}.lspci-3.9.0-vvvnn.txt`);
      assert.ok(existsSync(derived), `missing ${derived}`);
      const diffs = compareDump(name, readFileSync(path.join(DUMPS, name), 'utf8'), readFileSync(derived, 'utf8'), stats);
      assert.deepEqual(diffs, []);
    });
  }
  it('compared a meaningful number of facts; every difference is a documented exception', (t) => {
    assert.ok(stats.compared > 1000, `only ${stats.compared} facts compared`);
    t.diagnostic(`${stats.compared} facts compared across ${dumps.length} dumps`);
    for (const e of stats.exceptions) t.diagnostic(`documented exception: ${e}`);
  });
});

describe('lspci dumps: our decoding vs the installed lspci -F FILE -vvv', { skip: !haveDumps ? 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' : liveLspci ? false : 'lspci not installed (apt-get install pciutils)' }, () => {
  const stats: Stats = { compared: 0, exceptions: new Set() };
  for (const name of dumps) {
    it(name, () => {
      const file = path.join(DUMPS, name);
      const out = execFileSync('lspci', ['-F', file, '-vvv'], { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
      assert.deepEqual(compareDump(name, readFileSync(file, 'utf8'), out, stats), []);
    });
  }
});

// The hwloc trees were captured as non-root: 64 bytes of config per function. Nothing past them may be decoded.
const HWLOC = path.join(REFDATA, 'hwloc');
describe('hwloc sysfs trees (64-byte configs): nothing past 64 bytes is decoded', { skip: existsSync(HWLOC) ? false : `no reference data at ${HWLOC}` }, () => {
  for (const tree of HWLOC_TREES) {
    it(tree, () => {
      const raw = readSysfsFabric(hwlocRoot(tree));
      const fabric = buildFabric(raw);
      assert.ok(fabric.devices.length > 0);
      for (const dev of fabric.devices) {
        assert.ok(dev.config.length <= 64, `${dev.bdf}: ${dev.config.length} bytes`);
        const walk = walkCapabilities(dev.config);
        assert.deepEqual(decodeCapabilities(dev.config, walk), [], dev.bdf);
        const d = describeDevice(dev, { source: 'sysfs' });
        // No config at all (nvidiagpunumanodes), or Cap+ in the status: capabilities are unknown, not absent.
        const status = dev.config.u16(0x06);
        if (status === undefined || status & 0x10) {
          for (const s of [d.capabilities, d.acs, d.aer, d.sriov]) assert.ok(isUnknown(s), `${dev.bdf}: ${JSON.stringify(s)}`);
        }
      }
    });
  }
});
