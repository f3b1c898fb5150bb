// Builds the Fabric (devices linked into a tree, decoded, named) from what an access method read.
import { FILL_ALL, type RawDevice, type RawFabric, type RawResource } from './raw.js';
import { decodeAcs, ACS_EXT_CAP_ID } from './caps/acs.js';
import { decodeExpressSummary, type ExpressSummary } from './caps/express.js';
import { findCapability, walkCapabilities } from './caps/walk.js';
import { decodeSsvid, SSVID_CAP_ID } from './caps/ssvid.js';
import { vfIdsFromPf } from './caps/sriov.js';
import { classify, isBridgeClass } from './classify.js';
import { assignAliases } from './aliases.js';
import type { PciIds } from './pci-ids.js';
import { BUILTIN_CLASS_NAMES } from './pci-ids.js';
import type { Bar, Device, Fabric, LinkState } from './types.js';
import { KERNEL_BDF as BDF_RE } from './bdf.js';

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** "8.0 GT/s PCIe", "8 GT/s", "2.5 GT/s" -> 8 / 2.5; "Unknown" -> null. */
function parseSysfsSpeed(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /^(\d+(?:\.\d+)?)\s*GT\/s/.exec(text.trim());
  return m ? parseFloat(m[1]) : null;
}

function compareBdf(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function barsFromResources(resources: RawResource[] | undefined): Bar[] {
  if (!resources) return [];
  const bars: Bar[] = [];
  for (const r of resources) {
    if (r.index > 6 || (r.start === 0n && r.end === 0n)) continue;
    const io = Boolean(r.flags & 0x100);
    bars.push({
      index: r.index,
      start: r.start,
      size: r.end - r.start + 1n,
      kind: r.index === 6 ? 'rom' : io ? 'io' : 'mem',
      is64: Boolean(r.flags & 0x100000),
      prefetchable: Boolean(r.flags & 0x2000),
    });
  }
  return bars;
}

function linkFrom(raw: RawDevice, express: ExpressSummary | null): LinkState | null {
  const sysfs: LinkState = {
    speed: parseSysfsSpeed(raw.currentLinkSpeed),
    width: raw.currentLinkWidth ?? null,
    maxSpeed: parseSysfsSpeed(raw.maxLinkSpeed),
    maxWidth: raw.maxLinkWidth ?? null,
  };
  const haveSysfs = sysfs.speed !== null || sysfs.width !== null || sysfs.maxSpeed !== null || sysfs.maxWidth !== null;
  if (express) {
    if (!express.link) return null;
    // Config space is the authority; sysfs fills only what could not be read.
    return {
      speed: express.link.speed ?? sysfs.speed,
      width: express.link.width ?? sysfs.width,
      maxSpeed: express.link.maxSpeed ?? sysfs.maxSpeed,
      maxWidth: express.link.maxWidth ?? sysfs.maxWidth,
    };
  }
  return haveSysfs ? sysfs : null;
}

/**
 * The facts a source fills later (FILL_RESOURCES, FILL_LOCAL_CPUS) carried from its raw device onto the
 * model's device: buildFabric calls it, and so does the source after filling more (source.fill).
 */
export function applyFilledFacts(d: Device): void {
  d.bars = barsFromResources(d.raw.resources);
  d.localCpuList = d.raw.localCpuList ?? null;
}

export interface BuildOptions {
  pciIds?: PciIds | null;
}

type VfIdsOf = (pfBdf: string) => ReturnType<typeof vfIdsFromPf>;

/** The VF Device ID each PF's SR-IOV capability names, decoded once per PF. */
function vfIdsLookup(raw: RawFabric): VfIdsOf {
  const rawByBdf = new Map(raw.devices.map((r) => [r.bdf, r]));
  const pfIds = new Map<string, ReturnType<typeof vfIdsFromPf>>();
  return (bdf: string) => {
    if (!pfIds.has(bdf)) {
      const pf = rawByBdf.get(bdf);
      pfIds.set(bdf, pf ? vfIdsFromPf(pf.config) : null);
    }
    return pfIds.get(bdf)!;
  };
}

/** Vendor, device, class and revision: config space first, then what the source said. */
function identityOf(r: RawDevice, vfIdsOf: VfIdsOf): Pick<Device, 'vendorId' | 'deviceId' | 'classCode' | 'revision'> {
  const cfg = r.config;
  const cfgVendor = cfg.u16(0x00);
  const cfgDevice = cfg.u16(0x02);
  // An SR-IOV VF's header reads 0xffff for its IDs: the source's IDs, else the kernel's own rule.
  const vfIds = cfgVendor === 0xffff && r.vendorId === undefined && r.physfn ? vfIdsOf(r.physfn) : null;
  const cfgClass = cfg.u32(0x08);
  return {
    vendorId: cfgVendor !== undefined && cfgVendor !== 0xffff ? hex(cfgVendor, 4) : vfIds?.vendorId ?? r.vendorId ?? null,
    deviceId: cfgDevice !== undefined && cfgVendor !== 0xffff ? hex(cfgDevice, 4) : vfIds?.deviceId ?? r.deviceId ?? null,
    classCode: cfgClass !== undefined ? hex(cfgClass >>> 8, 6) : r.classCode ?? null,
    revision: cfgClass !== undefined ? hex(cfgClass & 0xff, 2) : r.revision ?? null,
  };
}

/** One function decoded from its raw facts; parent, children, host bridge and kind are placed later. */
function buildDevice(r: RawDevice, m: RegExpExecArray, ids: PciIds | null, vfIdsOf: VfIdsOf, warnings: string[]): Device {
  const cfg = r.config;
  const { vendorId, deviceId, classCode, revision } = identityOf(r, vfIdsOf);
  const headerByte = cfg.u8(0x0e);
  const headerType = headerByte === undefined ? null : headerByte & 0x7f;
  // Type 1 (PCI-PCI) and type 2 (CardBus) bridges keep bus numbers at the same offsets.
  const isBridgeHeader = headerType === 1 || headerType === 2;
  const walk = walkCapabilities(cfg);
  for (const e of walk.errors) warnings.push(`${r.bdf}: ${e}`);
  const expCap = findCapability(walk, 0x10);
  const express = expCap ? decodeExpressSummary(cfg, expCap.offset) : null;
  const acsCap = findCapability(walk, ACS_EXT_CAP_ID, true);
  // Type 0 headers carry subsystem IDs at 0x2c; bridges use the Subsystem capability instead.
  const ssvidCap = isBridgeHeader ? findCapability(walk, SSVID_CAP_ID) : undefined;
  const ssvid = ssvidCap ? decodeSsvid(cfg, ssvidCap.offset) : null;
  const ssv = !isBridgeHeader ? cfg.u16(0x2c) : undefined;
  const ssd = !isBridgeHeader ? cfg.u16(0x2e) : undefined;
  const cn = r.classNames;
  const names = cn ? [...(cn.nvme ?? []), ...(cn.block ?? []), ...(cn.net ?? []), ...(cn.infiniband ?? []), ...(cn.drm ?? [])] : [];
  const dev: Device = {
    bdf: r.bdf,
    domain: parseInt(m[1], 16),
    bus: parseInt(m[2], 16),
    slot: parseInt(m[3], 16),
    func: parseInt(m[4], 16),
    parent: null,
    children: [],
    hostBridge: '',
    vendorId,
    deviceId,
    classCode,
    // A bridge's come from its Subsystem capability only (sysfs says 0000 for a bridge without one).
    subsystemVendorId: ssv !== undefined ? hex(ssv, 4) : ssvid?.subsystemVendorId ?? (isBridgeHeader ? null : r.subsystemVendorId) ?? null,
    subsystemDeviceId: ssd !== undefined ? hex(ssd, 4) : ssvid?.subsystemDeviceId ?? (isBridgeHeader ? null : r.subsystemDeviceId) ?? null,
    revision,
    headerType,
    vendorName: vendorId && ids ? ids.vendorName(vendorId) : null,
    deviceName: vendorId && deviceId && ids ? ids.deviceName(vendorId, deviceId) : null,
    className: classCode ? (ids?.className(classCode) ?? BUILTIN_CLASS_NAMES[classCode.slice(0, 4)] ?? null) : null,
    kind: 'endpoint',
    alias: null,
    names,
    driver: r.driver ?? null,
    numaNode: r.numaNode ?? null,
    iommuGroup: r.iommuGroup ?? null,
    portType: express?.portType ?? null,
    secondaryBus: isBridgeHeader ? cfg.u8(0x19) ?? null : null,
    subordinateBus: isBridgeHeader ? cfg.u8(0x1a) ?? null : null,
    link: linkFrom(r, express),
    mps: express?.mps ?? null,
    mpsSupported: express?.mpsSupported ?? null,
    mrrs: express?.mrrs ?? null,
    relaxedOrdering: express?.relaxedOrdering ?? null,
    acs: acsCap ? decodeAcs(cfg, acsCap.offset) : null,
    capabilities: walk,
    bars: [],
    localCpuList: null,
    p2pmem: r.p2pmem ?? null,
    physfn: r.physfn ?? null,
    config: cfg,
    configBytes: cfg.length,
    raw: r,
  };
  applyFilledFacts(dev);
  return dev;
}

/** Parents: the sysfs path when the source has one, else bus numbers as lspci rebuilds them; then children. */
function linkParents(devices: Device[], byBdf: Map<string, Device>, warnings: string[]): void {
  const bridgeBySecondary = new Map<string, Device>();
  // Secondary above own bus is what makes parent links acyclic; a bridge that breaks it is ignored.
  for (const d of devices) {
    if (d.secondaryBus !== null && d.secondaryBus <= d.bus && d.raw.parentBdf === undefined) {
      warnings.push(`${d.bdf}: bridge claims secondary bus ${hex(d.secondaryBus, 2)}, not above its own bus; devices behind it cannot be placed`);
    }
    if (d.secondaryBus !== null && d.secondaryBus > d.bus) {
      const key = `${d.domain}:${d.secondaryBus}`;
      if (!bridgeBySecondary.has(key)) bridgeBySecondary.set(key, d);
    }
  }
  for (const d of devices) {
    const given = d.raw.parentBdf;
    if (given !== undefined) {
      if (given !== null && !byBdf.has(given)) {
        warnings.push(`${d.bdf}: upstream bridge ${given} is not readable; attached to the root`);
        d.parent = null;
      } else {
        d.parent = given;
      }
    } else {
      const bridge = bridgeBySecondary.get(`${d.domain}:${d.bus}`);
      d.parent = bridge && bridge !== d ? bridge.bdf : null;
    }
  }
  for (const d of devices) {
    if (d.parent) byBdf.get(d.parent)!.children.push(d.bdf);
  }
  for (const d of devices) d.children.sort(compareBdf);
}

/** The tree depth first from its roots, parents before children. */
function topDown(roots: Device[], byBdf: Map<string, Device>): Device[] {
  const order: Device[] = [];
  const stack = [...roots].reverse();
  while (stack.length) {
    const d = stack.pop()!;
    order.push(d);
    for (let i = d.children.length - 1; i >= 0; i--) stack.push(byBdf.get(d.children[i])!);
  }
  return order;
}

/** Kinds and host bridges top-down, so bridges without a readable port type are inferred from their parents. */
function classifyTree(roots: Device[], byBdf: Map<string, Device>): void {
  for (const d of topDown(roots, byBdf)) {
    const parent = d.parent ? byBdf.get(d.parent)! : null;
    d.kind = classify({
      classCode: d.classCode,
      vendorId: d.vendorId,
      portType: d.portType,
      onRootBus: parent === null,
      parentKind: parent?.kind ?? null,
      hasChildren: d.children.length > 0 || (isBridgeClass(d.classCode) && d.secondaryBus !== null && d.subordinateBus !== null && d.subordinateBus > d.secondaryBus),
      hasCaptureNode: (d.raw.classNames?.video4linux?.length ?? 0) + (d.raw.classNames?.dvb?.length ?? 0) > 0,
    });
    d.hostBridge = parent ? parent.hostBridge : d.raw.hostBridge ?? `pci${hex(d.domain, 4)}:${hex(d.bus, 2)}`;
  }
}

/** The fabric in steps: decode each function (in BDF order), link parents and children, classify top-down, name. */
export function buildFabric(raw: RawFabric, opts: BuildOptions = {}): Fabric {
  const warnings = [...raw.warnings];
  const ids = opts.pciIds ?? null;
  const vfIdsOf = vfIdsLookup(raw);
  const devices: Device[] = [];
  const byBdf = new Map<string, Device>();
  for (const r of [...raw.devices].sort((a, b) => compareBdf(a.bdf, b.bdf))) {
    const m = BDF_RE.exec(r.bdf);
    if (!m) {
      warnings.push(`${r.bdf}: not a PCI address; skipped`);
      continue;
    }
    const dev = buildDevice(r, m, ids, vfIdsOf, warnings);
    devices.push(dev);
    byBdf.set(dev.bdf, dev);
  }
  linkParents(devices, byBdf, warnings);
  const roots = devices.filter((d) => d.parent === null);
  classifyTree(roots, byBdf);
  assignAliases(devices);
  return {
    devices,
    byBdf,
    roots,
    host: raw.host,
    source: raw.source,
    filled: raw.filled ?? FILL_ALL,
    warnings,
  };
}
