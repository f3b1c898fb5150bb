// Text view of `p2p diff`: where each side came from, every change on one line, notes apart, a verdict.
import type { DiffReport, DiffSideInfo, Drift } from '../model/diff.js';
import { makeStyle } from './style.js';

export interface DiffTextOptions {
  color: boolean;
}

function describeSide(s: DiffSideInfo): string {
  const where = s.live ? 'this machine (live)' : s.location;
  const facts = [s.hostname, s.createdAt, s.uid === null ? null : s.uid === 0 ? 'as root' : `as uid ${s.uid}`].filter(Boolean);
  return `${where}${facts.length ? `  (${facts.join(', ')})` : ''}, ${s.devices} functions`;
}

function who(c: Drift): string {
  if (c.bdf === null) return 'host';
  return c.label ? `${c.bdf} ${c.label}` : c.bdf;
}

export function renderDiffText(r: DiffReport, opts: DiffTextOptions): string {
  const st = makeStyle(opts.color);
  const lines: string[] = [];
  lines.push(`${st.dim('baseline')}  ${describeSide(r.baseline)}`);
  lines.push(`${st.dim('current ')}  ${describeSide(r.current)}`);
  lines.push('');
  const pairs = r.compared.pairs === null ? 'pair verdicts not compared' : `${r.compared.pairs} pairs`;
  if (r.identical) {
    lines.push(st.ok(`identical: no drift in ${r.compared.devices} functions and ${pairs}`));
  } else {
    const counts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ');
    lines.push(st.bad(`drift: ${r.changes.length} change${r.changes.length === 1 ? '' : 's'}`) + ` (${counts})`);
    const whoWidth = Math.min(28, Math.max(4, ...r.changes.map((c) => who(c).length)));
    const kindWidth = Math.max(...r.changes.map((c) => c.kind.length));
    for (const c of r.changes) {
      lines.push(`  ${st.warn(c.kind.padEnd(kindWidth))}  ${st.bdf(who(c).padEnd(whoWidth))}  ${c.message}`);
    }
  }
  if (r.notes.length) {
    lines.push('');
    lines.push(st.dim('notes (not drift):'));
    for (const n of r.notes) lines.push(st.dim(`  ${n.bdf ?? 'host'}  ${n.message}`));
  }
  return lines.join('\n') + '\n';
}
