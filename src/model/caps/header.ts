// The 64-byte header (type 0 endpoints, type 1 bridges): command/status, bus numbers, windows, BARs.
import type { ConfigSpace } from '../config-space.js';
import type { RawResource } from '../raw.js';
import { type Flags, field, flags, nul } from './bits.js';

export const COMMAND_FLAGS = [
  [0, 'I/O'], [1, 'Mem'], [2, 'BusMaster'], [3, 'SpecCycle'], [4, 'MemWINV'], [5, 'VGASnoop'],
  [6, 'ParErr'], [7, 'Stepping'], [8, 'SERR'], [9, 'FastB2B'], [10, 'DisINTx'],
] as const;

export const STATUS_FLAGS = [
  [4, 'Cap'], [5, '66MHz'], [6, 'UDF'], [7, 'FastB2B'], [8, 'ParErr'], [11, '>TAbort'],
  [12, '<TAbort'], [13, '<MAbort'], [14, '>SERR'], [15, '<PERR'], [3, 'INTx'],
] as const;

const SEC_STATUS_FLAGS = [
  [5, '66MHz'], [7, 'FastB2B'], [8, 'ParErr'], [11, '>TAbort'], [12, '<TAbort'], [13, '<MAbort'],
  [14, '<SERR'], [15, '<PERR'],
] as const;

const BRIDGE_CTL_FLAGS = [
  [0, 'Parity'], [1, 'SERR'], [2, 'NoISA'], [3, 'VGA'], [4, 'VGA16'], [5, 'MAbort'], [6, '>Reset'],
  [7, 'FastB2B'], [8, 'PriDiscTmr'], [9, 'SecDiscTmr'], [10, 'DiscTmrStat'], [11, 'DiscTmrSERREn'],
] as const;

const DEVSEL = ['fast', 'medium', 'slow', 'reserved'] as const;

/** One base address register as config space and (when known) the kernel's resource file describe it. */
export interface BarInfo {
  /** 0-5 for BARs, 6 for the expansion ROM. */
  index: number;
  /** Config offset of the (low) register. */
  offset: number;
  kind: 'mem' | 'io' | 'rom';
  is64: boolean;
  prefetchable: boolean;
  /** Address programmed in config space (hex string, 0x-prefixed); null when unreadable. */
  address: string | null;
  /** From the sysfs resource file: size in bytes (decimal string, bigint-safe); null when unknown. */
  size: string | null;
  /** From the sysfs resource file: the address the kernel assigned; null when unknown. */
  resourceStart: string | null;
  /** ROM enable bit; null for BARs. */
  enabled: boolean | null;
}

export interface BridgeWindow {
  base: string;
  limit: string;
  /** False when limit < base: the window is closed. */
  enabled: boolean;
  is64: boolean;
}

export interface BridgeInfo {
  primaryBus: number | null;
  secondaryBus: number | null;
  subordinateBus: number | null;
  secondaryLatency: number | null;
  io: BridgeWindow | null;
  memory: BridgeWindow | null;
  prefetchable: BridgeWindow | null;
  secondaryStatus: Flags | null;
  bridgeControl: Flags | null;
}

export interface HeaderInfo {
  /** 0 = endpoint, 1 = PCI-to-PCI bridge, 2 = CardBus; null when unreadable. */
  headerType: number | null;
  multiFunction: boolean | null;
  command: Flags | null;
  commandRaw: number | null;
  status: Flags | null;
  statusRaw: number | null;
  devsel: string | null;
  cacheLineSize: number | null;
  latencyTimer: number | null;
  interruptPin: string | null;
  interruptLine: number | null;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  capabilitiesPointer: number | null;
  bars: BarInfo[];
  bridge: BridgeInfo | null;
}

function hexAddr(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function resourceFor(resources: RawResource[] | undefined, index: number): RawResource | undefined {
  return resources?.find((r) => r.index === index);
}

function withResource(bar: BarInfo, res: RawResource | undefined): BarInfo {
  if (!res) return bar;
  const used = res.end > res.start || res.start !== 0n || res.end !== 0n;
  return {
    ...bar,
    size: used ? (res.end - res.start + 1n).toString() : '0',
    resourceStart: used ? hexAddr(res.start) : null,
  };
}

function decodeBars(cfg: ConfigSpace, count: number, romOffset: number | null, resources?: RawResource[]): BarInfo[] {
  const bars: BarInfo[] = [];
  for (let i = 0; i < count; i++) {
    const off = 0x10 + 4 * i;
    const lo = cfg.u32(off);
    if (lo === undefined) continue;
    const res = resourceFor(resources, i);
    if (lo === 0 && (!res || res.end <= res.start)) continue; // unimplemented BAR
    if (lo & 1) {
      bars.push(withResource({
        index: i, offset: off, kind: 'io', is64: false, prefetchable: false,
        address: hexAddr(BigInt(lo) & 0xfffffffcn), size: null, resourceStart: null, enabled: null,
      }, res));
      continue;
    }
    const type = (lo >> 1) & 3;
    const is64 = type === 2;
    let address: string | null = hexAddr(BigInt(lo) & 0xfffffff0n);
    if (is64) {
      const hi = i + 1 < count ? cfg.u32(off + 4) : undefined;
      address = hi === undefined ? null : hexAddr((BigInt(hi) << 32n) | (BigInt(lo) & 0xfffffff0n));
    }
    bars.push(withResource({
      index: i, offset: off, kind: 'mem', is64, prefetchable: Boolean(lo & 8),
      address, size: null, resourceStart: null, enabled: null,
    }, res));
    if (is64) i++;
  }
  if (romOffset === null) return bars;
  const rom = cfg.u32(romOffset);
  const romRes = resourceFor(resources, 6);
  if (rom !== undefined && (rom !== 0 || (romRes && romRes.end > romRes.start))) {
    bars.push(withResource({
      index: 6, offset: romOffset, kind: 'rom', is64: false, prefetchable: false,
      address: hexAddr(BigInt(rom) & 0xfffff800n), size: null, resourceStart: null, enabled: Boolean(rom & 1),
    }, romRes));
  }
  return bars;
}

function window(base: bigint, limit: bigint, is64: boolean): BridgeWindow {
  return { base: hexAddr(base), limit: hexAddr(limit), enabled: limit >= base, is64 };
}

function decodeBridge(cfg: ConfigSpace): BridgeInfo {
  let io: BridgeWindow | null = null;
  const ioBase = cfg.u8(0x1c);
  const ioLimit = cfg.u8(0x1d);
  if (ioBase !== undefined && ioLimit !== undefined && (ioBase | ioLimit) !== 0) {
    const is32 = (ioBase & 0xf) === 1;
    const hiBase = is32 ? cfg.u16(0x30) ?? 0 : 0;
    const hiLimit = is32 ? cfg.u16(0x32) ?? 0 : 0;
    io = window(BigInt((hiBase << 16) | ((ioBase & 0xf0) << 8)), BigInt((hiLimit << 16) | ((ioLimit & 0xf0) << 8) | 0xfff), is32);
  }
  let memory: BridgeWindow | null = null;
  const memBase = cfg.u16(0x20);
  const memLimit = cfg.u16(0x22);
  if (memBase !== undefined && memLimit !== undefined && (memBase | memLimit) !== 0) {
    memory = window(BigInt((memBase & 0xfff0) << 16 >>> 0), BigInt((((memLimit & 0xfff0) << 16) | 0xfffff) >>> 0), false);
  }
  let prefetchable: BridgeWindow | null = null;
  const pBase = cfg.u16(0x24);
  const pLimit = cfg.u16(0x26);
  if (pBase !== undefined && pLimit !== undefined && (pBase | pLimit) !== 0) {
    const is64 = (pBase & 0xf) === 1;
    const hb = is64 ? BigInt(cfg.u32(0x28) ?? 0) : 0n;
    const hl = is64 ? BigInt(cfg.u32(0x2c) ?? 0) : 0n;
    prefetchable = window(
      (hb << 32n) | BigInt(((pBase & 0xfff0) << 16) >>> 0),
      (hl << 32n) | BigInt((((pLimit & 0xfff0) << 16) | 0xfffff) >>> 0),
      is64,
    );
  }
  return {
    primaryBus: nul(cfg.u8(0x18)),
    secondaryBus: nul(cfg.u8(0x19)),
    subordinateBus: nul(cfg.u8(0x1a)),
    secondaryLatency: nul(cfg.u8(0x1b)),
    io,
    memory,
    prefetchable,
    secondaryStatus: flags(cfg.u16(0x1e), SEC_STATUS_FLAGS),
    bridgeControl: flags(cfg.u16(0x3e), BRIDGE_CTL_FLAGS),
  };
}

/** CardBus bridges (header type 2) keep bus numbers where PCI bridges do; their windows are not decoded. */
function decodeCardbusBuses(cfg: ConfigSpace): BridgeInfo {
  return {
    primaryBus: nul(cfg.u8(0x18)),
    secondaryBus: nul(cfg.u8(0x19)),
    subordinateBus: nul(cfg.u8(0x1a)),
    secondaryLatency: nul(cfg.u8(0x1b)),
    io: null,
    memory: null,
    prefetchable: null,
    secondaryStatus: null,
    bridgeControl: null,
  };
}

/** Decodes the standard header. `resources` (sysfs `resource` lines) adds BAR sizes when given. */
export function decodeHeader(cfg: ConfigSpace, resources?: RawResource[]): HeaderInfo {
  const ht = cfg.u8(0x0e);
  const layout = ht === undefined ? null : ht & 0x7f;
  const command = cfg.u16(0x04);
  const status = cfg.u16(0x06);
  const pin = cfg.u8(0x3d);
  const isBridge = layout === 1;
  const subVendor = layout === 0 ? cfg.u16(0x2c) : undefined;
  const subDevice = layout === 0 ? cfg.u16(0x2e) : undefined;
  return {
    headerType: layout,
    multiFunction: ht === undefined ? null : Boolean(ht & 0x80),
    command: flags(command, COMMAND_FLAGS),
    commandRaw: nul(command),
    status: flags(status, STATUS_FLAGS),
    statusRaw: nul(status),
    devsel: status === undefined ? null : DEVSEL[(status >> 9) & 3],
    cacheLineSize: cfg.u8(0x0c) === undefined ? null : cfg.u8(0x0c)! * 4,
    latencyTimer: nul(cfg.u8(0x0d)),
    interruptPin: pin === undefined ? null : pin === 0 ? 'none' : pin <= 4 ? 'ABCD'[pin - 1] : `?${pin}`,
    interruptLine: nul(cfg.u8(0x3c)),
    subsystemVendorId: subVendor === undefined ? null : subVendor.toString(16).padStart(4, '0'),
    subsystemDeviceId: subDevice === undefined ? null : subDevice.toString(16).padStart(4, '0'),
    capabilitiesPointer: field(cfg.u8(layout === 2 ? 0x14 : 0x34), 0, 8),
    bars: layout === 0 ? decodeBars(cfg, 6, 0x30, resources)
      : layout === 1 ? decodeBars(cfg, 2, 0x38, resources)
      : layout === 2 ? decodeBars(cfg, 1, null, resources) // CardBus: socket/ExCA registers
      : [],
    bridge: isBridge ? decodeBridge(cfg) : layout === 2 ? decodeCardbusBuses(cfg) : null,
  };
}
