// `p2p probe`'s text view: one row per consumer (its answer and the bytes verified), then under each
// the meaning: what acceptance proved, what the kernel's errno says, or why the consumer was not asked.
import { formatBytes } from '../model/units.js';
import type { ProbeEntry, ProbeReport } from '../model/probe.js';
import { makeStyle, type Style } from './style.js';

function answer(e: ProbeEntry): string {
  switch (e.outcome) {
    case 'accepted': return 'accepted';
    case 'refused': return `refused ${e.errno ?? ''}`.trimEnd();
    case 'mismatch': return 'MISMATCH';
    case 'skipped': return 'skipped';
  }
}

function paint(s: Style, e: ProbeEntry, text: string): string {
  if (e.outcome === 'accepted') return s.ok(text);
  if (e.outcome === 'refused') return s.warn(text);
  if (e.outcome === 'mismatch') return s.bad(text);
  return s.dim(text);
}

/** The meaning, then (for answers the kernel gave) the call and the kernel's own words. */
function why(e: ProbeEntry): string {
  return e.outcome === 'skipped' ? e.meaning : `${e.meaning}\n      (${e.detail})`;
}

export function renderProbeText(r: ProbeReport, opts: { color: boolean }): string {
  const s = makeStyle(opts.color);
  const p = r.provider;
  let out = `p2p probe: ${p.what} (${formatBytes(p.mappedBytes)} mapped${p.dmabuf ? ', a dma-buf' : ''}), ` +
    `${formatBytes(r.size)} per consumer, ${r.write ? 'WRITE' : 'read-only'}\n`;
  const rows = r.results.map((e) => [e.consumer, answer(e), e.bytesVerified ? formatBytes(e.bytesVerified) : '-']);
  const head = ['consumer', 'answer', 'verified'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  out += '  ' + head.map((h, i) => s.heading(h.padEnd(w[i]))).join('  ').trimEnd() + '\n';
  r.results.forEach((e, k) => {
    const [c, a, v] = rows[k];
    out += `  ${c.padEnd(w[0])}  ${paint(s, e, a.padEnd(w[1]))}  ${v}`.trimEnd() + '\n';
    out += s.dim(`      ${why(e)}`) + '\n';
  });
  const asked = r.results.filter((e) => e.outcome !== 'skipped');
  const took = asked.filter((e) => e.accepted).length;
  out += `${took} of ${asked.length} consumer(s) asked took the memory; ${r.results.length - asked.length} not asked\n`;
  return out;
}
