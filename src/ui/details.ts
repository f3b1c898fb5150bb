// The Device view's lines: `p2p show`'s typed document (src/format/show-text.ts over describeDevice),
// one line per row with the section headings marked, so the view can scroll and jump by section.
import type { Device, Fabric } from '../model/types.js';
import { describeDevice } from '../model/details.js';
import { buildShowDocument, paintRow, paintSpans } from '../format/show-text.js';
import { makeStyle } from '../format/style.js';

export interface DetailLine {
  /** May hold ANSI colour (only when colour is on). */
  text: string;
  heading: boolean;
}

const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Everything `p2p show` knows about one function, as view lines: the title and each section heading are headings. */
export function deviceDetailLines(fabric: Fabric, d: Device, color: boolean): DetailLine[] {
  const doc = buildShowDocument(describeDevice(d, { source: fabric.source.method, host: fabric.host }));
  const s = makeStyle(color);
  const lines: DetailLine[] = [{ text: paintSpans(s, doc.title), heading: true }];
  for (const r of doc.rows) lines.push({ text: paintRow(s, r), heading: false });
  for (const sec of doc.sections) {
    lines.push({ text: s.heading(sec.heading), heading: true });
    for (const r of sec.rows) lines.push({ text: paintRow(s, r), heading: false });
  }
  return lines;
}
