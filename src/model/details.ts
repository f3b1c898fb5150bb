// Everything decoded about one function, in sections, as plain JSON-serialisable data (p2p show, the TUI detail pane).
//
// Convention for what could not be known (documented in docs/show-json.md):
//   - a section that applies and was decoded is an object;
//   - a section that does not apply to this function is null (no AER capability in a fully read
//     config space, no link on a root-complex integrated endpoint, not a bridge...);
//   - a section that might apply but could not be read is { "unknown": "<reason>" };
//   - inside a section, a single field that could not be read is null.
// Nothing unreadable is ever shown as zero or as "absent".
import type { MemMechanism } from './mem-mechanisms.js';
import type { HostInfo } from './raw.js';
import type { ConfigSpace } from './config-space.js';
import type { AcsBitName, CapabilityWalk, Device, Fabric, PortType } from './types.js';
import { capabilityOfKind, decodeCapabilities, decodeHeader, type BarInfo, type DecodedCapability } from './caps/index.js';
import { ACS_BIT_NAMES } from './types.js';
import { isDowntrained } from './link-math.js';
import type { AerInfo } from './caps/aer.js';
import type { ExpressInfo } from './caps/express.js';
import type { SriovInfo } from './caps/sriov.js';
import type { Flags } from './caps/bits.js';
import { formatRegionSize } from './units.js';

export const DETAILS_SCHEMA_VERSION = 1;

/** A section that might apply but could not be read, and why. */
export interface Unknown {
  unknown: string;
}
export type Known<T> = T | Unknown;

export function isUnknown(v: unknown): v is Unknown {
  return typeof v === 'object' && v !== null && 'unknown' in v && typeof (v as Unknown).unknown === 'string';
}

export interface IdentitySection {
  bdf: string;
  domain: number;
  bus: number;
  slot: number;
  func: number;
  alias: string | null;
  names: string[];
  vendorId: string | null;
  deviceId: string | null;
  vendorName: string | null;
  deviceName: string | null;
  classCode: string | null;
  className: string | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  revision: string | null;
  kind: string;
  portType: PortType | null;
}

export interface ConfigSection {
  /** Bytes of config space that were really read (0, 64, 256 or 4096). */
  bytesRead: number;
  /** Why some of it is missing; null when all 4096 bytes (or all a conventional PCI function has) were read. */
  limitation: string | null;
}

export interface BarDetail {
  index: number;
  kind: 'mem' | 'io' | 'rom';
  is64: boolean;
  prefetchable: boolean;
  /** As programmed in config space ("0x..."); null when only the kernel's resource list was available. */
  address: string | null;
  /** Bytes as a decimal string (BARs can exceed 2^53); null when no sysfs resource file was read. */
  size: string | null;
  /** "16M", "256G"... */
  sizeHuman: string | null;
  /** ROM only: decode enabled. */
  enabled: boolean | null;
}

export interface HeaderSection {
  headerType: number | null;
  multiFunction: boolean | null;
  command: Flags | null;
  status: Flags | null;
  devsel: string | null;
  interruptPin: string | null;
  interruptLine: number | null;
  bars: BarDetail[];
  /** Bridges (header types 1 and 2) only. */
  bridge: {
    primaryBus: number | null;
    secondaryBus: number | null;
    subordinateBus: number | null;
    io: { base: string; limit: string; enabled: boolean } | null;
    memory: { base: string; limit: string; enabled: boolean } | null;
    prefetchable: { base: string; limit: string; enabled: boolean; is64: boolean } | null;
    control: Flags | null;
  } | null;
}

export interface TopologySection {
  parent: string | null;
  children: string[];
  hostBridge: string;
  physfn: string | null;
}

export interface LinkSection {
  /** Where the numbers come from: the Express capability, or sysfs attributes when config space was not readable. */
  source: 'config' | 'sysfs';
  speed: number | null;
  width: number | null;
  maxSpeed: number | null;
  maxWidth: number | null;
  /** Runs below what this end supports; null when a side is unknown. */
  downgraded: boolean | null;
  supportedSpeeds: number[] | null;
  targetSpeed: number | null;
  port: number | null;
  aspmSupport: string | null;
  aspmControl: string | null;
  capFlags: Flags | null;
  ctlFlags: Flags | null;
  staFlags: Flags | null;
  slot: ExpressInfo['slot'];
}

export interface PcieDeviceSection {
  version: number;
  portType: PortType;
  maxPayload: number | null;
  maxPayloadSupported: number | null;
  maxReadRequest: number | null;
  relaxedOrdering: boolean | null;
  noSnoop: boolean | null;
  extTag: boolean | null;
  flrCapable: boolean | null;
  devCapFlags: Flags | null;
  devCtlFlags: Flags | null;
  devStaFlags: Flags | null;
  devCap2Flags: Flags | null;
  devCtl2Flags: Flags | null;
}

export interface CapabilitiesSection {
  /** In list order; each one with its decoded fields (null for capabilities we only list). */
  list: DecodedCapability[];
  /** False when the list ran into unreadable bytes: it may be longer. */
  complete: boolean;
  /** Corruption found while walking (loops, pointers out of range, all-ones). */
  errors: string[];
}

export interface AcsSection {
  offset: number;
  capable: AcsBitName[];
  enabled: AcsBitName[] | null;
  /** Every ACS bit by name: capable and, when readable, enabled. */
  bits: { name: AcsBitName; capable: boolean; enabled: boolean | null }[];
}

export interface P2pmemSection {
  size: number | null;
  available: number | null;
  published: boolean | null;
}

export interface DeviceDetails {
  schemaVersion: number;
  identity: IdentitySection;
  config: ConfigSection;
  header: Known<HeaderSection>;
  topology: TopologySection;
  link: Known<LinkSection> | null;
  pcieDevice: Known<PcieDeviceSection> | null;
  capabilities: Known<CapabilitiesSection>;
  acs: Known<AcsSection> | null;
  aer: Known<AerInfo & { offset: number }> | null;
  sriov: Known<SriovInfo & { offset: number }> | null;
  /** Null when the source publishes no p2pmem directory for this function (not a provider, or a dump). */
  p2pmem: P2pmemSection | null;
  iommu: { group: string | null; domainType: string | null };
  driver: string | null;
  numa: { node: number | null; localCpus: string | null };
  /** Things worth knowing that fit no field: walk errors, why sections are unknown. */
  notes: string[];
  /** Device-memory mechanisms behind this function (docs/show-json.md); absent when it has none or they were not read. */
  memory?: MemMechanism[];
}

export interface DescribeContext {
  /** Where the fabric came from, to word limitations ("needs root" vs "the dump holds only ..."). */
  source?: Fabric['source']['method'];
  host?: HostInfo;
}

function limitation(cfg: ConfigSpace, source: DescribeContext['source']): string | null {
  const n = cfg.length;
  if (n >= 4096) return null;
  if (source === 'dump') {
    if (n >= 256) return `the dump holds only ${n} bytes of config space (capture with lspci -xxxx for the extended capabilities)`;
    return `the dump holds only ${n} bytes of config space (capture with lspci -xxx or -xxxx for capabilities)`;
  }
  if (n === 0) return 'config space not readable';
  if (n <= 64) return `needs root: only ${n} bytes of config space readable`;
  if (n < 256) return `only ${n} bytes of config space readable`;
  return `extended config space not readable: only ${n} bytes (no PCIe extended capabilities on this platform, or needs root)`;
}

/**
 * Whether the standard capability list (0x40-0xff) was fully readable: all 256 bytes, or (config read
 * on demand, only the registers decoded) a space that reaches them and a walk that met no unread byte.
 */
function standardListKnown(cfg: ConfigSpace, walk: CapabilityWalk): boolean {
  const status = cfg.u16(0x06);
  if (status === undefined) return false;
  if (!(status & 0x10)) return true;
  return cfg.has(0, 256) || (cfg.length >= 256 && walk.complete);
}

function barDetails(header: { bars: BarInfo[] } | null, dev: Device): BarDetail[] {
  if (header) {
    return header.bars.map((b) => ({
      index: b.index,
      kind: b.kind,
      is64: b.is64,
      prefetchable: b.prefetchable,
      address: b.address,
      size: b.size,
      sizeHuman: b.size === null || b.size === '0' ? null : formatRegionSize(BigInt(b.size)),
      enabled: b.enabled,
    }));
  }
  return dev.bars.map((b) => ({
    index: b.index,
    kind: b.kind,
    is64: b.is64,
    prefetchable: b.prefetchable,
    address: null,
    size: b.size.toString(),
    sizeHuman: formatRegionSize(b.size),
    enabled: null,
  }));
}


/** What was readable of one function's config space and capability lists: the frame every section is decided in. */
interface Coverage {
  decoded: DecodedCapability[];
  /** The standard capability list was fully read. */
  stdKnown: boolean;
  /** Why some of config space is missing; null when nothing is. */
  limit: string | null;
  express: Extract<DecodedCapability, { kind: 'express' }> | undefined;
  /** Whether the function is PCIe at all is known. */
  isExpressKnown: boolean;
  isExpress: boolean;
  /** The extended capability list was fully read (or the function has none). */
  extKnown: boolean;
  unknownStd: Unknown;
  unknownExt: Unknown;
}

function coverage(device: Device, ctx: DescribeContext): Coverage {
  const cfg = device.config;
  const walk = device.capabilities;
  const decoded = decodeCapabilities(cfg, walk);
  // 256 bytes is all of a conventional PCI function's config space: nothing is missing then.
  const hasExtendedSpace = walk.caps.some((c) => !c.extended && (c.id === 0x10 || c.id === 0x07));
  const stdKnown = standardListKnown(cfg, walk);
  const limit = cfg.length >= 256 && !hasExtendedSpace && stdKnown ? null : limitation(cfg, ctx.source);
  const express = capabilityOfKind(decoded, 'express');
  const isExpress = express !== undefined;
  return {
    decoded, stdKnown, limit, express,
    isExpressKnown: isExpress || stdKnown, // we know whether it is PCIe
    isExpress,
    extKnown: isExpress ? cfg.hasExtended && walk.errors.length === 0 : stdKnown,
    unknownStd: { unknown: limit ?? 'capability list not readable' },
    unknownExt: {
      unknown: walk.errors.length ? `extended capability list is corrupt: ${walk.errors.join('; ')}` : limit ?? 'extended capabilities not readable',
    },
  };
}

function identitySection(device: Device): IdentitySection {
  return {
    bdf: device.bdf,
    domain: device.domain,
    bus: device.bus,
    slot: device.slot,
    func: device.func,
    alias: device.alias,
    names: device.names,
    vendorId: device.vendorId,
    deviceId: device.deviceId,
    vendorName: device.vendorName,
    deviceName: device.deviceName,
    classCode: device.classCode,
    className: device.className,
    subsystemVendorId: device.subsystemVendorId,
    subsystemDeviceId: device.subsystemDeviceId,
    revision: device.revision,
    kind: device.kind,
    portType: device.portType,
  };
}

/** The 64-byte header, BARs and bridge windows; unknown when the header was not read. */
function headerSection(device: Device, limit: string | null, notes: string[]): Known<HeaderSection> {
  const cfg = device.config;
  if (!cfg.has(0, 64)) {
    if (device.bars.length) notes.push('BARs below come from the kernel resource file only');
    return { unknown: limit ?? 'config header not readable' };
  }
  const headerInfo = decodeHeader(cfg, device.raw.resources);
  const b = headerInfo.bridge;
  return {
    headerType: headerInfo.headerType,
    multiFunction: headerInfo.multiFunction,
    command: headerInfo.command,
    status: headerInfo.status,
    devsel: headerInfo.devsel,
    interruptPin: headerInfo.interruptPin,
    interruptLine: headerInfo.interruptLine,
    bars: barDetails(headerInfo, device),
    bridge: b && {
      primaryBus: b.primaryBus,
      secondaryBus: b.secondaryBus,
      subordinateBus: b.subordinateBus,
      io: b.io && { base: b.io.base, limit: b.io.limit, enabled: b.io.enabled },
      memory: b.memory && { base: b.memory.base, limit: b.memory.limit, enabled: b.memory.enabled },
      prefetchable: b.prefetchable && { base: b.prefetchable.base, limit: b.prefetchable.limit, enabled: b.prefetchable.enabled, is64: b.prefetchable.is64 },
      control: b.bridgeControl,
    },
  };
}

/** The link from the Express capability; null for functions without one (RC-integrated endpoints). */
function expressLinkSection(f: ExpressInfo): LinkSection | null {
  if (f.link === null) return null;
  return {
    source: 'config',
    speed: f.link.speed,
    width: f.link.width,
    maxSpeed: f.link.maxSpeed,
    maxWidth: f.link.maxWidth,
    downgraded: isDowntrained(f.link),
    supportedSpeeds: f.supportedSpeeds,
    targetSpeed: f.targetSpeed,
    port: f.linkCap?.port ?? null,
    aspmSupport: f.linkCap?.aspm ?? null,
    aspmControl: f.linkCtl?.aspm ?? null,
    capFlags: f.linkCap?.flags ?? null,
    ctlFlags: f.linkCtl?.flags ?? null,
    staFlags: f.linkSta?.flags ?? null,
    slot: f.slot,
  };
}

/** PCIe device capabilities and control from the Express capability. */
function expressDeviceSection(f: ExpressInfo): PcieDeviceSection {
  return {
    version: f.version,
    portType: f.portType,
    maxPayload: f.mps,
    maxPayloadSupported: f.mpsSupported,
    maxReadRequest: f.mrrs,
    relaxedOrdering: f.relaxedOrdering,
    noSnoop: f.noSnoop,
    extTag: f.devCtl ? f.devCtl.flags.ExtTag : null,
    flrCapable: f.devCap ? f.devCap.flags.FLReset : null,
    devCapFlags: f.devCap?.flags ?? null,
    devCtlFlags: f.devCtl?.flags ?? null,
    devStaFlags: f.devSta,
    devCap2Flags: f.devCap2?.flags ?? null,
    devCtl2Flags: f.devCtl2?.flags ?? null,
  };
}

/** With the Express capability unreadable: the link from sysfs attributes when the kernel gave any. */
function sysfsLinkSection(device: Device, unknownStd: Unknown, notes: string[]): Known<LinkSection> {
  const l = device.link;
  if (!l || (l.speed === null && l.width === null && l.maxSpeed === null && l.maxWidth === null)) return unknownStd;
  notes.push('link speed and width come from sysfs attributes; the Express capability was not readable');
  return {
    source: 'sysfs', speed: l.speed, width: l.width, maxSpeed: l.maxSpeed, maxWidth: l.maxWidth,
    downgraded: isDowntrained(l),
    supportedSpeeds: null, targetSpeed: null, port: null, aspmSupport: null, aspmControl: null,
    capFlags: null, ctlFlags: null, staFlags: null, slot: null,
  };
}

/** Link and PCIe device control: decoded, null when not PCIe, or unknown (the link perhaps from sysfs). */
function linkAndDeviceSections(device: Device, c: Coverage, notes: string[]): Pick<DeviceDetails, 'link' | 'pcieDevice'> {
  if (c.express) return { link: expressLinkSection(c.express.fields), pcieDevice: expressDeviceSection(c.express.fields) };
  if (c.isExpressKnown) return { link: null, pcieDevice: null };
  return { link: sysfsLinkSection(device, c.unknownStd, notes), pcieDevice: c.unknownStd };
}

/** An extended-capability section: decoded when found, null when known absent, unknown otherwise. */
function extSection<T>(c: Coverage, found: T | undefined): Known<T> | null {
  if (found !== undefined) return found;
  if (!c.isExpressKnown) return c.unknownStd;
  if (!c.isExpress && c.stdKnown) return null;
  return c.extKnown ? null : c.unknownExt;
}

function acsSection(c: Coverage): Known<AcsSection> | null {
  const acsCap = capabilityOfKind(c.decoded, 'acs');
  return extSection<AcsSection>(c, acsCap && {
    offset: acsCap.offset,
    capable: acsCap.fields.capable,
    enabled: acsCap.fields.enabled,
    bits: ACS_BIT_NAMES.map((name) => ({
      name,
      capable: acsCap.fields.capable.includes(name),
      enabled: acsCap.fields.enabled === null ? null : acsCap.fields.enabled.includes(name),
    })),
  });
}

function capabilitiesSection(device: Device, c: Coverage): Known<CapabilitiesSection> {
  const walk = device.capabilities;
  return c.stdKnown || walk.caps.length
    ? { list: c.decoded, complete: walk.complete, errors: walk.errors }
    : { unknown: c.limit ?? 'config space not readable' };
}

/** Describes one function: every section decoded from its config space and what the source said about it. */
export function describeDevice(device: Device, ctx: DescribeContext = {}): DeviceDetails {
  const cfg = device.config;
  const c = coverage(device, ctx);
  const { limit } = c;
  const notes: string[] = [];
  if (limit) notes.push(limit);
  for (const e of device.capabilities.errors) notes.push(`capability list: ${e}`);
  const header = headerSection(device, limit, notes);
  const { link, pcieDevice } = linkAndDeviceSections(device, c, notes);
  const aerCap = capabilityOfKind(c.decoded, 'aer');
  const sriovCap = capabilityOfKind(c.decoded, 'sriov');

  const p2 = device.p2pmem;
  const group = device.iommuGroup;
  return {
    schemaVersion: DETAILS_SCHEMA_VERSION,
    identity: identitySection(device),
    config: { bytesRead: cfg.length, limitation: limit },
    header,
    topology: { parent: device.parent, children: device.children, hostBridge: device.hostBridge, physfn: device.physfn },
    link,
    pcieDevice,
    capabilities: capabilitiesSection(device, c),
    acs: acsSection(c),
    aer: extSection(c, aerCap && { offset: aerCap.offset, ...aerCap.fields }),
    sriov: extSection(c, sriovCap && { offset: sriovCap.offset, ...sriovCap.fields }),
    p2pmem: p2 ? { size: p2.size, available: p2.available, published: p2.published } : null,
    iommu: { group, domainType: group !== null ? ctx.host?.iommuGroupTypes?.get(group) ?? null : null },
    driver: device.driver,
    numa: { node: device.numaNode, localCpus: device.localCpuList },
    notes,
  };
}
