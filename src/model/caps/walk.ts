// Walks the standard and extended capability lists; terminates and stays in bounds on any input.
import type { ConfigSpace } from '../config-space.js';
import type { CapabilityEntry, CapabilityWalk } from '../types.js';
import { EXTENDED_CAP_NAMES, STANDARD_CAP_NAMES } from './names.js';

const STATUS_CAP_LIST = 0x10;

function hex(n: number, width = 2): string {
  return n.toString(16).padStart(width, '0');
}

/** Unknown IDs are named as lspci names them ("Capability ID 0x1f"). */
export function standardCapName(id: number): string {
  return STANDARD_CAP_NAMES[id] ?? `Capability ID 0x${id.toString(16)}`;
}

export function extendedCapName(id: number): string {
  return EXTENDED_CAP_NAMES[id] ?? `Extended Capability ID 0x${id.toString(16)}`;
}

/**
 * The standard list (lspci's show_caps): pointer at 0x34 (0x14 on CardBus), entries in 0x40..0xff.
 * Appends to `caps` and `errors`; says whether the list was read to its end and whether it names
 * PCI Express or PCI-X, the functions that may have an extended list.
 */
function walkStandard(cfg: ConfigSpace, caps: CapabilityEntry[], errors: string[]): { complete: boolean; isExpress: boolean; isPciX: boolean } {
  const none = { isExpress: false, isPciX: false };
  const status = cfg.u16(0x06);
  const headerType = cfg.u8(0x0e);
  if (status === undefined || headerType === undefined) return { complete: false, ...none };
  if (!(status & STATUS_CAP_LIST)) return { complete: true, ...none };
  const layout = headerType & 0x7f;
  const ptrOffset = layout === 2 ? 0x14 : 0x34;
  let ptr = cfg.u8(ptrOffset);
  if (ptr === undefined) return { complete: false, ...none };
  ptr &= ~3;
  const seen = new Set<number>();
  let complete = true;
  let isExpress = false;
  let isPciX = false;
  while (ptr !== 0) {
    if (ptr < 0x40 || ptr > 0xfc) {
      errors.push(`capability pointer 0x${hex(ptr)} is outside 0x40-0xff`);
      break;
    }
    if (seen.has(ptr)) {
      errors.push(`capability list loops back to 0x${hex(ptr)}`);
      break;
    }
    seen.add(ptr);
    const id = cfg.u8(ptr);
    const next = cfg.u8(ptr + 1);
    if (id === undefined || next === undefined) {
      complete = false;
      break;
    }
    if (id === 0xff) {
      errors.push(`capability at 0x${hex(ptr)} reads as all ones`);
      break;
    }
    caps.push({ offset: ptr, id, name: standardCapName(id), extended: false });
    if (id === 0x10) isExpress = true;
    if (id === 0x07) isPciX = true;
    ptr = next & ~3;
  }
  return { complete, isExpress, isPciX };
}

/**
 * The extended list (lspci's show_ext_caps): from 0x100, entries in 0x100..0xfff. Appends to `caps`
 * and `errors`; false when it ran into unreadable bytes.
 */
function walkExtended(cfg: ConfigSpace, caps: CapabilityEntry[], errors: string[]): boolean {
  if (!cfg.has(0x100, 4)) return false;
  let off = 0x100;
  const seenExt = new Set<number>();
  while (true) {
    if (off < 0x100 || off > 0xffc) {
      errors.push(`extended capability pointer 0x${hex(off, 3)} is outside 0x100-0xfff`);
      break;
    }
    if (seenExt.has(off)) {
      errors.push(`extended capability list loops back to 0x${hex(off, 3)}`);
      break;
    }
    seenExt.add(off);
    const header = cfg.u32(off);
    if (header === undefined) return false;
    if (header === 0xffffffff) {
      if (off !== 0x100) errors.push(`extended capability at 0x${hex(off, 3)} reads as all ones`);
      break;
    }
    if (header === 0) {
      if (off !== 0x100) errors.push(`extended capability at 0x${hex(off, 3)} is empty`);
      break;
    }
    const id = header & 0xffff;
    const version = (header >>> 16) & 0xf;
    caps.push({ offset: off, id, name: extendedCapName(id), extended: true, version });
    const next = (header >>> 20) & 0xffc;
    if (next === 0) break;
    off = next;
  }
  return true;
}

/**
 * Both lists, standard then extended. A revisited offset or an out-of-range pointer is corruption:
 * we record it and stop, as lspci does, rather than loop.
 */
export function walkCapabilities(cfg: ConfigSpace): CapabilityWalk {
  const caps: CapabilityEntry[] = [];
  const errors: string[] = [];
  const std = walkStandard(cfg, caps, errors);
  let complete = std.complete;
  // Extended capabilities exist only on PCI Express and PCI-X 2.0 functions. A PCI-X function whose
  // dump stops at 256 bytes is most likely PCI-X 1.0 (no extended space), so that is not "incomplete".
  if (std.isExpress || (std.isPciX && cfg.has(0x100, 4))) {
    if (!walkExtended(cfg, caps, errors)) complete = false;
  }
  return { caps, complete, errors };
}

export function findCapability(walk: CapabilityWalk, id: number, extended = false): CapabilityEntry | undefined {
  return walk.caps.find((c) => c.id === id && c.extended === extended);
}
