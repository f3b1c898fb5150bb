// Text view of `p2p path a b`: one line per hop with its link, ACS and IOMMU group, the turn, the
// kernel verdict with causes and fixes, the narrowest link and the per-direction ceiling.
import type { ChalkInstance } from 'chalk';
import { makeStyle, paintVerdict } from './style.js';
import { formatLink } from '../model/link-math.js';
import type { PathHop, PathReport } from '../model/p2p/path.js';
import { ACS_REDIRECT_BITS } from '../model/p2p/walk.js';
import { describeKernel } from '../model/p2p/kernel-release.js';

export interface PathTextOptions {
  color: boolean;
}

const ROLE_MARK: Record<PathHop['role'], string> = {
  source: 'from', up: '  up', turn: 'TURN', down: 'down', destination: '  to', 'host-bridge': 'HOST', interconnect: ' <->',
};

const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - s.length));

function acsText(c: ChalkInstance, h: PathHop): string {
  if (!h.acs) return '';
  switch (h.acs.state) {
    case 'none': return 'ACS: none';
    case 'unknown': return c.magenta('ACS: unknown (needs root)');
    case 'clear': return `ACS: ${h.acsEnabled && h.acsEnabled.length ? h.acsEnabled.join(' ') : 'all off'}`;
    case 'redirect': {
      const on = (h.acsEnabled ?? h.acs.bits).map((b) => ((ACS_REDIRECT_BITS as readonly string[]).includes(b) ? c.red(`${b}+`) : `${b}+`));
      return `ACS: ${on.join(' ')}`;
    }
  }
}

function linkText(h: PathHop): string {
  if (h.uplink) {
    const l = h.uplink.link;
    const cur = formatLink(l.speed, l.width);
    const max = formatLink(l.maxSpeed, l.maxWidth);
    return `link ${cur}${cur !== max ? ` (capable ${max})` : ''}`;
  }
  return h.uplinkNote ? `(${h.uplinkNote})` : '';
}

export function renderPathText(r: PathReport, opts: PathTextOptions): string {
  const c = makeStyle(opts.color).c;
  const out: string[] = [];
  const first = r.hops[0];
  const last = r.hops[r.hops.length - 1];
  const named = (label: string, bdf: string) => (label === bdf ? bdf : `${label} (${bdf})`);
  out.push(c.bold(`${named(first.label, r.from)} -> ${named(last.label, r.to)}`));
  const labelW = Math.max(12, ...r.hops.map((h) => (h.bdf ?? h.label).length)) + 2;
  const kindW = Math.max(...r.hops.map((h) => h.kind.length)) + 2;
  for (const h of r.hops) {
    const mark = h.role === 'turn' || h.role === 'host-bridge' ? c.bold(ROLE_MARK[h.role]) : ROLE_MARK[h.role];
    const id = h.bdf ?? h.label;
    const parts = [
      `${mark}  ${pad(id, labelW)}${pad(h.kind, kindW)}`,
      h.name ?? '',
    ];
    out.push(parts.join('').trimEnd());
    const details = [
      h.bdf !== null && h.label !== h.bdf ? `name ${h.label}` : '',
      h.iommuGroup !== null ? `IOMMU group ${h.iommuGroup}` : h.bdf ? 'IOMMU group -' : '',
      acsText(c, h),
      h.mps !== null ? `MPS ${h.mps}` : '',
      linkText(h),
    ].filter(Boolean);
    if (details.length) out.push(`        ${details.join('  |  ')}`);
  }
  out.push('');
  out.push(`Turn: ${r.turn.description}`);
  out.push(`Legend: ${r.legend.legend ?? '?'} (${r.legend.why})`);
  const v = r.verdict;
  out.push(`Kernel P2PDMA (client ${r.from}, provider ${r.to}): ${paintVerdict(c, v.mapType, c.bold(v.verdict))}` +
    (v.mapType === null ? ` (possible: ${v.possible.join(' or ')})` : '') +
    (v.distance !== null ? `, distance ${v.distance}` : '') + (v.distance === -1 || v.distance === null ? ` (${v.hops} hops)` : ''));
  out.push(`  kernel: ${describeKernel(v.kernel)}`);
  for (const reason of v.reasons) out.push(`  - ${reason.message}`);
  for (const n of v.notes) out.push(c.dim(`  note: ${n}`));
  for (const f of v.fixes) {
    out.push(`  fix: ${f.text}`);
    out.push(c.dim(`       cost: ${f.tradeoff}`));
  }
  out.push('');
  if (r.narrowest) {
    const l = r.narrowest.link;
    out.push(`Narrowest link: ${r.narrowest.lower} <-> ${r.narrowest.upper}, ${formatLink(l.speed ?? l.maxSpeed, l.width ?? l.maxWidth)}`);
  } else {
    out.push(r.hops.length <= 1 ? 'Narrowest link: none (the data stays inside the device)' : 'Narrowest link: unknown (no link state readable)');
  }
  if (r.ceiling) {
    out.push(`Ceiling per direction: ${c.bold(r.ceiling.formula)}`);
    out.push(c.dim('  (GT/s x lanes x line encoding / 8 x MPS/(MPS + TLP overhead); DLLPs and read requests cost a few % more)'));
  }
  for (const w of r.warnings) out.push(c.yellow(`warning: ${w}`));
  return out.join('\n') + '\n';
}
