// PCIe link arithmetic: line encoding, TLP efficiency at a payload size, per-direction throughput ceilings.
// Pure functions; the formula is documented in docs/p2p-rules.md ("Link ceiling").
import type { LinkState } from './types.js';
import { formatBytesPerSecond } from './units.js';

/** Bytes a posted memory-write TLP carries besides its payload (non-flit links): framing/STP 4
 *  (sequence number included) + 4-DW header 16 (64-bit address) + LCRC 4. No ECRC, no prefixes. */
export const TLP_OVERHEAD_BYTES = 24;
/** In flit mode (64 GT/s) framing, sequence and CRC live in the flit; a TLP pays only its 4-DW header. */
export const FLIT_TLP_OVERHEAD_BYTES = 16;
/** Payload bytes per 256-byte flit at 64 GT/s (the rest is DLP, CRC and FEC). */
export const FLIT_PAYLOAD_BYTES = 236;
/** The smallest Max_Payload_Size every PCIe device supports; used when the real one is unknown. */
export const MIN_MPS = 128;

export type LineEncoding = '8b/10b' | '128b/130b' | '1b/1b flit';

export function lineEncoding(gts: number): LineEncoding {
  if (gts <= 5) return '8b/10b';
  if (gts < 64) return '128b/130b';
  return '1b/1b flit';
}

/** Fraction of raw bits that carry data after line encoding (flit mode: data bytes per flit). */
export function encodingEfficiency(gts: number): number {
  switch (lineEncoding(gts)) {
    case '8b/10b': return 8 / 10;
    case '128b/130b': return 128 / 130;
    default: return FLIT_PAYLOAD_BYTES / 256;
  }
}

/** Data-link bytes per second in one direction after line encoding: GT/s x lanes x encoding / 8. */
export function rawLinkBytesPerSecond(gts: number, width: number): number {
  return (gts * 1e9 * width * encodingEfficiency(gts)) / 8;
}

export function tlpOverheadBytes(gts: number): number {
  return lineEncoding(gts) === '1b/1b flit' ? FLIT_TLP_OVERHEAD_BYTES : TLP_OVERHEAD_BYTES;
}

/** Share of TLP bytes that are payload when every TLP carries a full MPS payload. */
export function tlpEfficiency(mps: number, gts = 16): number {
  if (!(mps > 0)) throw new RangeError(`MPS must be positive, got ${mps}`);
  return mps / (mps + tlpOverheadBytes(gts));
}

export interface LinkCeiling {
  speed: number;
  width: number;
  encoding: LineEncoding;
  mps: number;
  /** True when the MPS was unknown and MIN_MPS was used. */
  mpsAssumed: boolean;
  rawBytesPerSecond: number;
  bytesPerSecond: number;
  /** The arithmetic, spelled out for humans. */
  formula: string;
}

/**
 * Per-direction payload ceiling of one link:
 *   GT/s x width x encoding / 8 x MPS / (MPS + TLP overhead)
 * Ignores DLLP traffic (ACK/NAK, flow-control updates) and read-request overhead, so real transfers
 * land a few percent lower still.
 */
export function linkCeiling(speed: number, width: number, mps: number | null): LinkCeiling {
  if (!(speed > 0) || !(width > 0)) throw new RangeError(`bad link ${speed} GT/s x${width}`);
  const mpsAssumed = mps === null || !(mps > 0);
  const m = mpsAssumed ? MIN_MPS : (mps as number);
  const raw = rawLinkBytesPerSecond(speed, width);
  const eff = tlpEfficiency(m, speed);
  const bytesPerSecond = raw * eff;
  const enc = lineEncoding(speed);
  const encText = enc === '8b/10b' ? '8/10' : enc === '128b/130b' ? '128/130' : `${FLIT_PAYLOAD_BYTES}/256`;
  const formula =
    `${speed} GT/s x ${width} x ${encText} / 8 x ${m}/(${m}+${tlpOverheadBytes(speed)}) = ${formatBytesPerSecond(bytesPerSecond)}` +
    (mpsAssumed ? ` (MPS unknown: ${MIN_MPS} assumed)` : '');
  return { speed, width, encoding: enc, mps: m, mpsAssumed, rawBytesPerSecond: raw, bytesPerSecond, formula };
}

/** The link's speed and width as negotiated, falling back to capability only when the current state is unknown. */
export function effectiveLink(link: LinkState | null): { speed: number; width: number; fromCapability: boolean } | null {
  if (!link) return null;
  if (link.speed && link.width) return { speed: link.speed, width: link.width, fromCapability: false };
  if (link.maxSpeed && link.maxWidth) return { speed: link.maxSpeed, width: link.maxWidth, fromCapability: true };
  return null;
}

// Link text. Each spelling a view prints is one function here, named for where it is printed.

/** "16 GT/s", "2.5 GT/s"; "?" when unknown: prose and reports (path, doctor, the diagram). */
export function formatSpeed(speed: number | null): string {
  return speed === null ? '?' : `${Number.isInteger(speed) ? speed : speed.toFixed(1)} GT/s`;
}

/** "x16"; "x?" when unknown. */
export function formatWidth(width: number | null): string {
  return width === null ? 'x?' : `x${width}`;
}

/** "16 GT/s x16" or "?" parts where unknown. */
export function formatLink(speed: number | null, width: number | null): string {
  return `${formatSpeed(speed)} ${formatWidth(width)}`;
}

/** "16GT/s"; "?" when unknown: the tree lines (topo, the TUI), show's Link rows and diff, where space is short. */
export function compactSpeed(speed: number | null): string {
  return speed === null ? '?' : `${speed}GT/s`;
}

/** "16GT/s x16" or "?" parts where unknown (see compactSpeed). */
export function compactLink(speed: number | null, width: number | null): string {
  return `${compactSpeed(speed)} ${formatWidth(width)}`;
}

/** "8GT/s" as lspci writes a speed, "unknown" for encodings it does not know (the lspci oracle compares it). */
export function lspciSpeed(speed: number | null): string {
  return speed === null ? 'unknown' : `${speed}GT/s`;
}

/**
 * True when the link has not trained: Link Status says width x0 (an empty slot, a device powered off or
 * held in reset). Its speed field then means nothing.
 */
export function isLinkDown(link: LinkState | null): boolean {
  return link !== null && link.width === 0;
}

/**
 * True when a link runs below what this end is capable of; null when any side of it is unknown. A link
 * that is down is not downtrained: nothing runs on it (isLinkDown).
 */
export function isDowntrained(link: LinkState | null): boolean | null {
  if (isLinkDown(link)) return false;
  if (!link || link.speed === null || link.width === null || link.maxSpeed === null || link.maxWidth === null) return null;
  return link.speed < link.maxSpeed || link.width < link.maxWidth;
}
