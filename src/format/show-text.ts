// Text view of `p2p show`: one function's DeviceDetails as readable sections, in the spirit of lspci -vvv.
import { mechanismText } from '../model/aliases.js';
import type { DecodedCapability } from '../model/caps/index.js';
import type { Flags } from '../model/caps/bits.js';
import { isUnknown, type DeviceDetails, type Known } from '../model/details.js';
import { makeStyle, type Style } from './style.js';
import { compactLink, compactSpeed } from '../model/link-math.js';

export interface ShowTextOptions {
  color: boolean;
}

const LABEL_WIDTH = 14;

function hex(n: number, w = 2): string {
  return n.toString(16).padStart(w, '0');
}

function yn(v: boolean | null | undefined): string {
  return v === null || v === undefined ? '?' : v ? 'yes' : 'no';
}

function bytes(n: number | null): string {
  return n === null ? '?' : `${n} bytes`;
}

/** lspci-style "Name+ Other-"; only the set flags when `onlySet`. */
function flagText(f: Flags | null, onlySet = false): string {
  if (f === null) return '?';
  const keys = Object.keys(f).filter((k) => !onlySet || f[k]);
  if (onlySet) return keys.length ? keys.join(' ') : '-';
  return keys.map((k) => `${k}${f[k] ? '+' : '-'}`).join(' ');
}

/** One line summarising a decoded capability (the title line lists offset and name). */
export function capabilitySummary(c: DecodedCapability): string {
  switch (c.kind) {
    case 'pm': {
      const f = c.fields;
      return `version ${f.version ?? '?'}, state ${f.powerState ?? '?'}, PME from ${flagText(f.pmeSupport, true)}`;
    }
    case 'msi': {
      const f = c.fields;
      return `${f.enabled ? 'enabled' : 'disabled'}, ${f.vectorsEnabled ?? '?'}/${f.vectorsCapable ?? '?'} vectors${f.is64 ? ', 64-bit' : ''}${f.maskable ? ', maskable' : ''}`;
    }
    case 'msix': {
      const f = c.fields;
      return `${f.enabled ? 'enabled' : 'disabled'}${f.functionMasked ? ' (masked)' : ''}, ${f.tableSize ?? '?'} vectors, table BAR ${f.tableBar ?? '?'}+0x${f.tableOffset === null ? '?' : hex(f.tableOffset, 1)}, PBA BAR ${f.pbaBar ?? '?'}+0x${f.pbaOffset === null ? '?' : hex(f.pbaOffset, 1)}`;
    }
    case 'express': {
      const f = c.fields;
      return `v${f.version} ${f.portType}${f.slotImplemented ? ', slot' : ''}`;
    }
    case 'aer': {
      const f = c.fields;
      const ue = f.uncorrectableStatus.bits ? Object.keys(f.uncorrectableStatus.bits).filter((k) => f.uncorrectableStatus.bits![k]) : null;
      const ce = f.correctableStatus.bits ? Object.keys(f.correctableStatus.bits).filter((k) => f.correctableStatus.bits![k]) : null;
      const fmt = (l: string[] | null) => (l === null ? '?' : l.length ? l.join(' ') : 'none');
      return `uncorrectable: ${fmt(ue)}; correctable: ${fmt(ce)}`;
    }
    case 'acs':
      return `capable ${c.fields.capable.join(' ') || '-'}; enabled ${c.fields.enabled === null ? '?' : c.fields.enabled.join(' ') || '-'}`;
    case 'ari':
      return `next function ${c.fields.nextFunction ?? '?'}, function group ${c.fields.functionGroup ?? '?'}`;
    case 'ats':
      return `${c.fields.enabled ? 'enabled' : 'disabled'}, invalidate queue depth ${c.fields.invalidateQueueDepth ?? '?'}, STU ${c.fields.smallestTranslationUnit ?? '?'}`;
    case 'pri':
      return `${c.fields.enabled ? 'enabled' : 'disabled'}, capacity ${c.fields.outstandingCapacity ?? '?'}, allocation ${c.fields.outstandingAllocation ?? '?'}`;
    case 'pasid':
      return `${c.fields.enabled ? 'enabled' : 'disabled'}, max width ${c.fields.maxWidth ?? '?'} bits, exec ${yn(c.fields.execCapable)}, priv ${yn(c.fields.privCapable)}`;
    case 'sriov': {
      const f = c.fields;
      return `${f.numVfs ?? '?'} of ${f.totalVfs ?? '?'} VFs${f.ctlFlags?.VFEnable ? ' enabled' : ''}, VF device ${f.vfDeviceId ?? '?'}, offset ${f.firstVfOffset ?? '?'} stride ${f.vfStride ?? '?'}`;
    }
    case 'rebar': {
      const f = c.fields;
      if (!f.entries) return '?';
      return f.entries.map((e) => `BAR ${e.barIndex} ${e.currentSize} (supports ${e.supportedSizes.join(' ') || '-'})`).join('; ');
    }
    case 'dpc':
      return `trigger ${c.fields.trigger ?? '?'}${c.fields.staFlags?.Trigger ? `, TRIGGERED (${c.fields.triggerReason})` : ''}`;
    case 'l1pm':
      return `supported ${flagText(c.fields.supported, true)}; enabled ${flagText(c.fields.enabled, true)}`;
    case 'ptm':
      return `${c.fields.enabled ? 'enabled' : 'disabled'}; requester ${yn(c.fields.requester)} responder ${yn(c.fields.responder)} root ${yn(c.fields.root)}`;
    case 'dsn':
      return c.fields.serial ?? '?';
    case 'vsec':
      return `ID=${c.fields.vsecId === null ? '?' : hex(c.fields.vsecId, 4)} Rev=${c.fields.vsecRev ?? '?'} Len=${c.fields.length ?? '?'}`;
    case 'dvsec':
      return `Vendor=${c.fields.vendorId ?? '?'} ID=${c.fields.dvsecId === null ? '?' : hex(c.fields.dvsecId, 4)} Rev=${c.fields.dvsecRev ?? '?'} Len=${c.fields.length ?? '?'}${c.fields.knownAs ? ` (${c.fields.knownAs})` : ''}`;
    case 'phy':
      return `${flagText(c.fields.status, true)}`;
    case 'subsystem':
      return `${c.fields.subsystemVendorId ?? '?'}:${c.fields.subsystemDeviceId ?? '?'}`;
    case 'other':
      return '';
  }
}

/** How a piece of text is painted: one of Style's semantic colours, or plain. */
export type Tone = 'alias' | 'bdf' | 'dim' | 'ok' | 'warn' | 'bad' | 'heading' | 'kind';
/** A run of text with one tone; a plain string is unpainted. */
export type Span = string | { text: string; tone: Tone };
/** One line of a section: `label  value` when labelled, else the value alone, indented. */
export interface ShowRow {
  label?: string;
  value: Span[];
}
export interface ShowSection {
  heading: string;
  rows: ShowRow[];
}
/** `p2p show` as a typed document: the title line, the identity rows, then the sections. The text view and the TUI's Device pane both render this. */
export interface ShowDocument {
  title: Span[];
  rows: ShowRow[];
  sections: ShowSection[];
}

const t = (tone: Tone, text: string): Span => ({ text, tone });
const row = (label: string, ...value: Span[]): ShowRow => ({ label, value });
const line = (...value: Span[]): ShowRow => ({ value });

/** The section for a decoded value: null when absent, an "unknown: why" section when it could not be decoded, else the rows `fill` makes. */
function section<T>(out: ShowSection[], heading: string, v: Known<T> | null, fill: (v: T) => ShowRow[]): void {
  if (v === null) return;
  if (isUnknown(v)) out.push({ heading, rows: [line(t('warn', `unknown: ${v.unknown}`))] });
  else out.push({ heading, rows: fill(v as T) });
}

function titleSpans(id: DeviceDetails['identity']): Span[] {
  const extra = id.names.filter((n) => n !== id.alias).join(' ');
  const parts: Span[] = [t('bdf', id.bdf)];
  if (id.alias) parts.push(t('alias', id.alias));
  if (extra) parts.push(extra);
  parts.push(t('kind', id.kind));
  return parts.flatMap((p, i) => (i ? ['  ', p] : [p]));
}

function identityRows(d: DeviceDetails): ShowRow[] {
  const id = d.identity;
  const rows: ShowRow[] = [];
  if (id.vendorId === null && id.deviceId === null) {
    rows.push(row('Device', t('warn', 'unknown (no vendor or device ID readable)')));
  } else {
    const name = [id.vendorName ?? id.vendorId ?? '?', id.deviceName ?? `Device ${id.deviceId ?? '?'}`].join(' ');
    rows.push(row('Device', `${name} [${id.vendorId ?? '?'}:${id.deviceId ?? '?'}]${id.revision ? ` rev ${id.revision}` : ''}`));
  }
  rows.push(row('Class', `${id.className ?? '?'} [${id.classCode ?? '?'}]`));
  if (id.subsystemVendorId || id.subsystemDeviceId) rows.push(row('Subsystem', `${id.subsystemVendorId ?? '?'}:${id.subsystemDeviceId ?? '?'}`));
  rows.push(row('Driver', d.driver ?? t('dim', 'none')));
  rows.push(row('NUMA node', `${d.numa.node ?? '?'}${d.numa.localCpus ? ` (cpus ${d.numa.localCpus})` : ''}`));
  rows.push(row('IOMMU group', d.iommu.group === null ? '?' : `${d.iommu.group}${d.iommu.domainType ? ` (${d.iommu.domainType})` : ''}`));
  rows.push(d.topology.parent ? row('Upstream', d.topology.parent) : row('Upstream', t('dim', 'root bus'), ` ${d.topology.hostBridge}`));
  if (d.topology.children.length) rows.push(row('Downstream', d.topology.children.join(' ')));
  if (d.topology.physfn) rows.push(row('SR-IOV PF', d.topology.physfn));
  rows.push(row('Config space', `${d.config.bytesRead} bytes read`, ...(d.config.limitation ? [' ', t('warn', `(${d.config.limitation})`)] : [])));
  return rows;
}

type HeaderInfo = Exclude<DeviceDetails['header'], null | { unknown: string }>;
type BridgeWindow = { base: string; limit: string; enabled: boolean } | null;

function headerRows(h: HeaderInfo): ShowRow[] {
  const rows = [row('Command', flagText(h.command)), row('Status', `${flagText(h.status)} DEVSEL=${h.devsel ?? '?'}`)];
  if (h.interruptPin && h.interruptPin !== 'none') rows.push(row('Interrupt', `pin ${h.interruptPin}, line ${h.interruptLine ?? '?'}`));
  if (h.bridge) {
    const b = h.bridge;
    const bus = (n: number | null) => (n === null ? '??' : hex(n));
    const win = (w: BridgeWindow): Span => (w === null ? t('dim', 'none') : w.enabled ? `${w.base}-${w.limit}` : t('dim', 'disabled'));
    rows.push(row('Bus', `primary ${bus(b.primaryBus)}, secondary ${bus(b.secondaryBus)}, subordinate ${bus(b.subordinateBus)}`));
    rows.push(row('I/O window', win(b.io)), row('Mem window', win(b.memory)));
    rows.push(row('Pref window', win(b.prefetchable), b.prefetchable?.is64 ? ' (64-bit)' : ''));
  }
  for (const b of h.bars) {
    const what = b.kind === 'io' ? 'I/O' : b.kind === 'rom' ? 'expansion ROM' : `mem ${b.is64 ? '64-bit' : '32-bit'}${b.prefetchable ? ' prefetchable' : ''}`;
    const size: Span = b.sizeHuman ? `, size ${b.sizeHuman}` : b.size === null ? t('dim', ', size unknown') : '';
    rows.push(row(b.kind === 'rom' ? 'ROM' : `BAR ${b.index}`, `${what} at ${b.address ?? '?'}`, size, b.enabled === false ? t('dim', ' [disabled]') : ''));
  }
  return rows;
}

type LinkInfo = Exclude<DeviceDetails['link'], null | { unknown: string }>;

function linkRows(l: LinkInfo): ShowRow[] {
  const cur = compactLink(l.speed, l.width);
  const rows = [row('Current', l.downgraded ? t('warn', `${cur} (downgraded)`) : l.downgraded === false ? t('ok', cur) : cur)];
  rows.push(row('Capable', `${compactLink(l.maxSpeed, l.maxWidth)}${l.port !== null ? `, port #${l.port}` : ''}`));
  if (l.supportedSpeeds) rows.push(row('Speeds', `${l.supportedSpeeds.map((x) => `${x}`).join(', ')} GT/s; target ${compactSpeed(l.targetSpeed)}`));
  if (l.aspmSupport !== null || l.aspmControl !== null) rows.push(row('ASPM', `support: ${l.aspmSupport ?? '?'}; control: ${l.aspmControl ?? '?'}`));
  if (l.capFlags) rows.push(row('LnkCap', flagText(l.capFlags)));
  if (l.ctlFlags) rows.push(row('LnkCtl', flagText(l.ctlFlags)));
  if (l.staFlags) rows.push(row('LnkSta', flagText(l.staFlags)));
  if (l.slot) {
    rows.push(row('Slot', `#${l.slot.physicalSlot ?? '?'}, power limit ${l.slot.powerLimitW ?? '?'}W`));
    if (l.slot.capFlags) rows.push(row('SltCap', flagText(l.slot.capFlags)));
    if (l.slot.staFlags) rows.push(row('SltSta', flagText(l.slot.staFlags)));
  }
  if (l.source === 'sysfs') rows.push(row('Source', t('dim', 'sysfs attributes (config space not readable)')));
  return rows;
}

type PcieInfo = Exclude<DeviceDetails['pcieDevice'], null | { unknown: string }>;

function pcieDeviceRows(p: PcieInfo): ShowRow[] {
  const rows = [
    row('Port type', `${p.portType} (Express v${p.version})`),
    row('MaxPayload', `${bytes(p.maxPayload)} (supports ${bytes(p.maxPayloadSupported)})`),
    row('MaxReadReq', bytes(p.maxReadRequest)),
    row('DevCtl', flagText(p.devCtlFlags)),
    row('DevSta', flagText(p.devStaFlags)),
  ];
  if (p.devCap2Flags) rows.push(row('DevCap2', flagText(p.devCap2Flags, true)));
  return rows;
}

type AcsInfo = Exclude<DeviceDetails['acs'], null | { unknown: string }>;

function acsRows(acs: AcsInfo): ShowRow[] {
  return [
    row('Offset', `0x${hex(acs.offset, 3)}`),
    ...acs.bits.map((b) => row(b.name, b.capable ? (b.enabled === null ? '?' : b.enabled ? t('ok', 'enabled') : 'disabled') : t('dim', 'not capable'))),
  ];
}

type AerInfo = Exclude<DeviceDetails['aer'], null | { unknown: string }>;

function aerRows(aer: AerInfo): ShowRow[] {
  const reg = (label: string, r: { raw: number | null; bits: Flags | null }) => row(label, r.raw === null ? '?' : `${hex(r.raw, 8)}  ${flagText(r.bits, true)}`);
  const rows = [
    reg('UESta', aer.uncorrectableStatus), reg('UEMsk', aer.uncorrectableMask), reg('UESvrt', aer.uncorrectableSeverity),
    reg('CESta', aer.correctableStatus), reg('CEMsk', aer.correctableMask),
    row('AERCap', `first error pointer ${aer.firstErrorPointer ?? '?'}; ${flagText(aer.capabilities, true)}`),
  ];
  if (aer.headerLog) rows.push(row('HeaderLog', aer.headerLog.map((x) => (x === null ? '????????' : hex(x, 8))).join(' ')));
  if (aer.root) {
    rows.push(row('RootCmd', flagText(aer.root.command)), row('RootSta', flagText(aer.root.status)));
    rows.push(row('ErrorSrc', `ERR_COR ${aer.root.errCorSource ?? '?'}, ERR_FATAL/NONFATAL ${aer.root.errFatalNonFatalSource ?? '?'}`));
  }
  return rows;
}

type SriovInfo = Exclude<DeviceDetails['sriov'], null | { unknown: string }>;

function sriovRows(sr: SriovInfo): ShowRow[] {
  return [
    row('VFs', `${sr.numVfs ?? '?'} of ${sr.totalVfs ?? '?'} (initial ${sr.initialVfs ?? '?'})`, sr.ctlFlags?.VFEnable ? t('ok', ' enabled') : ' disabled'),
    row('VF routing', `offset ${sr.firstVfOffset ?? '?'}, stride ${sr.vfStride ?? '?'}, device ${sr.vfDeviceId ?? '?'}`),
    ...(sr.vfBars ?? []).map((b) => row(`VF BAR ${b.index}`, `${b.kind} ${b.is64 ? '64-bit' : '32-bit'}${b.prefetchable ? ' prefetchable' : ''} at ${b.address}`)),
  ];
}

function p2pmemRows(m: NonNullable<DeviceDetails['p2pmem']>): ShowRow[] {
  return [
    row('Size', m.size === null ? '?' : `${m.size} bytes`),
    row('Available', m.available === null ? '?' : `${m.available} bytes`),
    row('Published', yn(m.published)),
  ];
}

type CapsInfo = Exclude<DeviceDetails['capabilities'], null | { unknown: string }>;

function capabilityRows(caps: CapsInfo): ShowRow[] {
  const rows: ShowRow[] = caps.list.length ? [] : [line(t('dim', 'none'))];
  for (const c of caps.list) {
    const tag = c.extended ? `[${hex(c.offset, 3)} v${c.version ?? '?'}]` : `[${hex(c.offset)}]`;
    const summary = capabilitySummary(c);
    rows.push(line(t('dim', tag), ` ${c.name}`, ...(summary ? [t('dim', ': '), summary] : [])));
  }
  if (!caps.complete) rows.push(line(t('warn', '... list continues in bytes that could not be read')));
  for (const e of caps.errors) rows.push(line(t('bad', `corrupt: ${e}`)));
  return rows;
}

/** Everything `p2p show` prints about one function, as a typed document (no colour decided yet). */
export function buildShowDocument(d: DeviceDetails): ShowDocument {
  const sections: ShowSection[] = [];
  section(sections, 'Header', d.header, headerRows);
  section(sections, 'Link', d.link, linkRows);
  section(sections, 'PCIe device', d.pcieDevice, pcieDeviceRows);
  section(sections, 'ACS', d.acs, acsRows);
  section(sections, 'AER', d.aer, aerRows);
  section(sections, 'SR-IOV', d.sriov, sriovRows);
  if (d.p2pmem) sections.push({ heading: 'p2pmem', rows: p2pmemRows(d.p2pmem) });
  if (d.memory?.length) sections.push({ heading: 'Device memory', rows: d.memory.map((m) => line(mechanismText(m))) });
  section(sections, 'Capabilities', d.capabilities, capabilityRows);
  const otherNotes = d.notes.filter((n) => n !== d.config.limitation && !n.startsWith('capability list: '));
  if (otherNotes.length) sections.push({ heading: 'Notes', rows: otherNotes.map((n) => line(n)) });
  return { title: titleSpans(d.identity), rows: identityRows(d), sections };
}

/** Paints spans with a Style (plain text when colour is off). */
export function paintSpans(s: Style, spans: readonly Span[]): string {
  return spans.map((p) => (typeof p === 'string' ? p : s[p.tone](p.text))).join('');
}

/** One row as the text view prints it: two spaces, the label padded to one width, the value. */
export function paintRow(s: Style, r: ShowRow): string {
  return `  ${r.label === undefined ? '' : s.dim(r.label.padEnd(LABEL_WIDTH))}${paintSpans(s, r.value)}`;
}

export function renderShowText(d: DeviceDetails, opts: ShowTextOptions): string {
  const s = makeStyle(opts.color);
  const doc = buildShowDocument(d);
  const lines = [paintSpans(s, doc.title), ...doc.rows.map((r) => paintRow(s, r))];
  for (const sec of doc.sections) lines.push('', s.heading(sec.heading), ...sec.rows.map((r) => paintRow(s, r)));
  return lines.join('\n') + '\n';
}
