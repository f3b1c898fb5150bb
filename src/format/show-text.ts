// Text view of `p2p show`: one function's DeviceDetails as readable sections, in the spirit of lspci -vvv.
import type { DecodedCapability } from '../model/caps/index.js';
import type { Flags } from '../model/caps/bits.js';
import { isUnknown, type DeviceDetails, type Known } from '../model/details.js';
import { makeStyle, type Style } from './style.js';

export interface ShowTextOptions {
  color: boolean;
}

const LABEL_WIDTH = 14;

function hex(n: number, w = 2): string {
  return n.toString(16).padStart(w, '0');
}

function speed(s: number | null): string {
  return s === null ? '?' : `${s}GT/s`;
}

function width(w: number | null): string {
  return w === null ? 'x?' : `x${w}`;
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

class Out {
  lines: string[] = [];
  constructor(readonly s: Style) {}
  section(title: string): void {
    this.lines.push('', this.s.heading(title));
  }
  row(label: string, value: string): void {
    this.lines.push(`  ${this.s.dim(label.padEnd(LABEL_WIDTH))}${value}`);
  }
  unknown(title: string, u: { unknown: string }): void {
    this.section(title);
    this.lines.push(`  ${this.s.warn(`unknown: ${u.unknown}`)}`);
  }
}

/** Prints a section heading and, when the section is unknown, the reason; returns the section when decoded. */
function open<T>(o: Out, title: string, v: Known<T> | null): T | null {
  if (v === null) return null;
  if (isUnknown(v)) {
    o.unknown(title, v);
    return null;
  }
  o.section(title);
  return v as T;
}

export function renderShowText(d: DeviceDetails, opts: ShowTextOptions): string {
  const s = makeStyle(opts.color);
  const o = new Out(s);
  const id = d.identity;
  const title = [
    s.bdf(id.bdf),
    id.alias ? s.alias(id.alias) : null,
    id.names.filter((n) => n !== id.alias).join(' ') || null,
    s.kind(id.kind),
  ].filter(Boolean).join('  ');
  o.lines.push(title);
  if (id.vendorId === null && id.deviceId === null) {
    o.row('Device', s.warn('unknown (no vendor or device ID readable)'));
  } else {
    const name = [id.vendorName ?? id.vendorId ?? '?', id.deviceName ?? `Device ${id.deviceId ?? '?'}`].join(' ');
    o.row('Device', `${name} [${id.vendorId ?? '?'}:${id.deviceId ?? '?'}]${id.revision ? ` rev ${id.revision}` : ''}`);
  }
  o.row('Class', `${id.className ?? '?'} [${id.classCode ?? '?'}]`);
  if (id.subsystemVendorId || id.subsystemDeviceId) o.row('Subsystem', `${id.subsystemVendorId ?? '?'}:${id.subsystemDeviceId ?? '?'}`);
  o.row('Driver', d.driver ?? s.dim('none'));
  o.row('NUMA node', `${d.numa.node ?? '?'}${d.numa.localCpus ? ` (cpus ${d.numa.localCpus})` : ''}`);
  o.row('IOMMU group', d.iommu.group === null ? '?' : `${d.iommu.group}${d.iommu.domainType ? ` (${d.iommu.domainType})` : ''}`);
  o.row('Upstream', d.topology.parent ?? `${s.dim('root bus')} ${d.topology.hostBridge}`);
  if (d.topology.children.length) o.row('Downstream', d.topology.children.join(' '));
  if (d.topology.physfn) o.row('SR-IOV PF', d.topology.physfn);
  o.row('Config space', `${d.config.bytesRead} bytes read${d.config.limitation ? ` ${s.warn(`(${d.config.limitation})`)}` : ''}`);

  const h = open(o, 'Header', d.header);
  if (h) {
    o.row('Command', flagText(h.command));
    o.row('Status', `${flagText(h.status)} DEVSEL=${h.devsel ?? '?'}`);
    if (h.interruptPin && h.interruptPin !== 'none') o.row('Interrupt', `pin ${h.interruptPin}, line ${h.interruptLine ?? '?'}`);
    if (h.bridge) {
      const b = h.bridge;
      const bus = (n: number | null) => (n === null ? '??' : hex(n));
      o.row('Bus', `primary ${bus(b.primaryBus)}, secondary ${bus(b.secondaryBus)}, subordinate ${bus(b.subordinateBus)}`);
      const win = (w: { base: string; limit: string; enabled: boolean } | null) => (w === null ? s.dim('none') : w.enabled ? `${w.base}-${w.limit}` : s.dim('disabled'));
      o.row('I/O window', win(b.io));
      o.row('Mem window', win(b.memory));
      o.row('Pref window', `${win(b.prefetchable)}${b.prefetchable?.is64 ? ' (64-bit)' : ''}`);
    }
    for (const b of h.bars) {
      const label = b.kind === 'rom' ? 'ROM' : `BAR ${b.index}`;
      const what = b.kind === 'io' ? 'I/O' : b.kind === 'rom' ? 'expansion ROM' : `mem ${b.is64 ? '64-bit' : '32-bit'}${b.prefetchable ? ' prefetchable' : ''}`;
      const size = b.sizeHuman ? `, size ${b.sizeHuman}` : b.size === null ? s.dim(', size unknown') : '';
      o.row(label, `${what} at ${b.address ?? '?'}${size}${b.enabled === false ? s.dim(' [disabled]') : ''}`);
    }
  }

  const l = open(o, 'Link', d.link);
  if (l) {
    const cur = `${speed(l.speed)} ${width(l.width)}`;
    o.row('Current', l.downgraded ? s.warn(`${cur} (downgraded)`) : l.downgraded === false ? s.ok(cur) : cur);
    o.row('Capable', `${speed(l.maxSpeed)} ${width(l.maxWidth)}${l.port !== null ? `, port #${l.port}` : ''}`);
    if (l.supportedSpeeds) o.row('Speeds', `${l.supportedSpeeds.map((x) => `${x}`).join(', ')} GT/s; target ${speed(l.targetSpeed)}`);
    if (l.aspmSupport !== null || l.aspmControl !== null) o.row('ASPM', `support: ${l.aspmSupport ?? '?'}; control: ${l.aspmControl ?? '?'}`);
    if (l.capFlags) o.row('LnkCap', flagText(l.capFlags));
    if (l.ctlFlags) o.row('LnkCtl', flagText(l.ctlFlags));
    if (l.staFlags) o.row('LnkSta', flagText(l.staFlags));
    if (l.slot) {
      o.row('Slot', `#${l.slot.physicalSlot ?? '?'}, power limit ${l.slot.powerLimitW ?? '?'}W`);
      if (l.slot.capFlags) o.row('SltCap', flagText(l.slot.capFlags));
      if (l.slot.staFlags) o.row('SltSta', flagText(l.slot.staFlags));
    }
    if (l.source === 'sysfs') o.row('Source', s.dim('sysfs attributes (config space not readable)'));
  }

  const p = open(o, 'PCIe device', d.pcieDevice);
  if (p) {
    o.row('Port type', `${p.portType} (Express v${p.version})`);
    o.row('MaxPayload', `${bytes(p.maxPayload)} (supports ${bytes(p.maxPayloadSupported)})`);
    o.row('MaxReadReq', bytes(p.maxReadRequest));
    o.row('DevCtl', flagText(p.devCtlFlags));
    o.row('DevSta', flagText(p.devStaFlags));
    if (p.devCap2Flags) o.row('DevCap2', flagText(p.devCap2Flags, true));
  }

  const acs = open(o, 'ACS', d.acs);
  if (acs) {
    o.row('Offset', `0x${hex(acs.offset, 3)}`);
    for (const b of acs.bits) {
      const en = b.enabled === null ? '?' : b.enabled ? s.ok('enabled') : 'disabled';
      o.row(b.name, b.capable ? en : s.dim('not capable'));
    }
  }

  const aer = open(o, 'AER', d.aer);
  if (aer) {
    const reg = (label: string, r: { raw: number | null; bits: Flags | null }) =>
      o.row(label, r.raw === null ? '?' : `${hex(r.raw, 8)}  ${flagText(r.bits, true)}`);
    reg('UESta', aer.uncorrectableStatus);
    reg('UEMsk', aer.uncorrectableMask);
    reg('UESvrt', aer.uncorrectableSeverity);
    reg('CESta', aer.correctableStatus);
    reg('CEMsk', aer.correctableMask);
    o.row('AERCap', `first error pointer ${aer.firstErrorPointer ?? '?'}; ${flagText(aer.capabilities, true)}`);
    if (aer.headerLog) o.row('HeaderLog', aer.headerLog.map((x) => (x === null ? '????????' : hex(x, 8))).join(' '));
    if (aer.root) {
      o.row('RootCmd', flagText(aer.root.command));
      o.row('RootSta', flagText(aer.root.status));
      o.row('ErrorSrc', `ERR_COR ${aer.root.errCorSource ?? '?'}, ERR_FATAL/NONFATAL ${aer.root.errFatalNonFatalSource ?? '?'}`);
    }
  }

  const sr = open(o, 'SR-IOV', d.sriov);
  if (sr) {
    o.row('VFs', `${sr.numVfs ?? '?'} of ${sr.totalVfs ?? '?'} (initial ${sr.initialVfs ?? '?'})${sr.ctlFlags?.VFEnable ? s.ok(' enabled') : ' disabled'}`);
    o.row('VF routing', `offset ${sr.firstVfOffset ?? '?'}, stride ${sr.vfStride ?? '?'}, device ${sr.vfDeviceId ?? '?'}`);
    for (const b of sr.vfBars ?? []) o.row(`VF BAR ${b.index}`, `${b.kind} ${b.is64 ? '64-bit' : '32-bit'}${b.prefetchable ? ' prefetchable' : ''} at ${b.address}`);
  }

  if (d.p2pmem) {
    o.section('p2pmem');
    o.row('Size', d.p2pmem.size === null ? '?' : `${d.p2pmem.size} bytes`);
    o.row('Available', d.p2pmem.available === null ? '?' : `${d.p2pmem.available} bytes`);
    o.row('Published', yn(d.p2pmem.published));
  }

  const caps = open(o, 'Capabilities', d.capabilities);
  if (caps) {
    if (!caps.list.length) o.lines.push(`  ${s.dim('none')}`);
    for (const c of caps.list) {
      const tag = c.extended ? `[${hex(c.offset, 3)} v${c.version ?? '?'}]` : `[${hex(c.offset)}]`;
      const summary = capabilitySummary(c);
      o.lines.push(`  ${s.dim(tag)} ${c.name}${summary ? s.dim(': ') + summary : ''}`);
    }
    if (!caps.complete) o.lines.push(`  ${s.warn('... list continues in bytes that could not be read')}`);
    for (const e of caps.errors) o.lines.push(`  ${s.bad(`corrupt: ${e}`)}`);
  }

  const otherNotes = d.notes.filter((n) => n !== d.config.limitation && !n.startsWith('capability list: '));
  if (otherNotes.length) {
    o.section('Notes');
    for (const n of otherNotes) o.lines.push(`  ${n}`);
  }
  return o.lines.join('\n') + '\n';
}
