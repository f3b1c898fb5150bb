// Text measuring and cutting for terminal lines, and the styled segment type. No React, no Ink.
import type { FabricSource } from '../model/raw.js';

/** The tab bar's word for where the fabric came from: 'live', or the method and the last path segment. */
export function sourceTabLabel(src: FabricSource): string {
  return src.live ? 'live' : `${src.method} ${src.location.split('/').filter(Boolean).slice(-1)[0] ?? src.location}`;
}

/** Terminal columns of one code point: wide East Asian forms 2, combining marks 0, else 1. */
function charWidth(cp: number): number {
  if (cp < 0x300) return cp < 0x20 ? 0 : 1;
  if (cp >= 0x300 && cp <= 0x36f) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a string takes on screen (ANSI colour codes take none). */
export function stringWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI, '')) w += charWidth(ch.codePointAt(0)!);
  return w;
}

export interface Seg {
  text: string;
  color?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export function seg(text: string, style: Omit<Seg, 'text'> = {}): Seg {
  return { text, ...style };
}

/** Cut plain text to `width` columns, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (stringWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

