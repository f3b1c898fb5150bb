// The Device view's lines: `p2p show`'s sectioned text (src/format/show-text.ts over describeDevice),
// split into lines with their section headings marked, so the view can scroll and jump by section.
import type { Device, Fabric } from '../model/types.js';
import { describeDevice } from '../model/details.js';
import { renderShowText } from '../format/show-text.js';

export interface DetailLine {
  /** May hold ANSI colour from the text view (only when colour is on). */
  text: string;
  heading: boolean;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Splits show-text output: the title line and every unindented line are headings; blank separators dropped. */
export function detailLines(text: string): DetailLine[] {
  const out: DetailLine[] = [];
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const plain = stripAnsi(line);
    if (plain.trim() === '') continue;
    out.push({ text: line, heading: !plain.startsWith(' ') });
  }
  return out;
}

/** Everything `p2p show` knows about one function, as view lines. */
export function deviceDetailLines(fabric: Fabric, d: Device, color: boolean): DetailLine[] {
  const details = describeDevice(d, { source: fabric.source.method, host: fabric.host });
  return detailLines(renderShowText(details, { color }));
}
