// `p2p doctor` as text: findings grouped by area, a status badge each, evidence and fix indented.
import type { Fabric } from '../model/types.js';
import { GROUP_TITLES } from '../model/doctor/index.js';
import type { CheckGroup, DoctorReport, Finding, Status } from '../model/doctor/types.js';
import { makeStyle, type Style } from './style.js';

export interface DoctorTextOptions {
  color: boolean;
  /** Show every evidence line of ok and skipped checks too (by default: the first). */
  verbose?: boolean;
}

const BADGE: Record<Status, string> = { ok: ' ok ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

function badge(s: Style, st: Status): string {
  const b = `[${BADGE[st]}]`;
  return st === 'ok' ? s.ok(b) : st === 'warn' ? s.warn(b) : st === 'fail' ? s.bad(b) : s.dim(b);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function renderFinding(f: Finding, s: Style, verbose: boolean, idWidth: number): string[] {
  const out = [`  ${badge(s, f.status)} ${s.dim(f.id.padEnd(idWidth))}  ${f.status === 'ok' || f.status === 'skip' ? f.title : s.heading(f.title)}`];
  const pad = '         ';
  const full = verbose || f.status === 'warn' || f.status === 'fail';
  const ev = full ? f.evidence : f.evidence.slice(0, 1);
  for (const e of ev) out.push(pad + (f.status === 'skip' ? s.dim(e) : e));
  if (!full && f.evidence.length > 1) out.push(pad + s.dim(`(${f.evidence.length - 1} more line(s): --verbose)`));
  if (f.fix && (full || verbose)) {
    f.fix.forEach((x, i) => out.push(pad + (i === 0 ? s.heading('fix: ') : '     ') + x));
  }
  return out;
}

export function renderDoctorText(fabric: Fabric, report: DoctorReport, opts: DoctorTextOptions): string {
  const s = makeStyle(opts.color);
  const h = fabric.host;
  const out: string[] = [];
  const facts = [
    h.kernelRelease ? `kernel ${h.kernelRelease}` : null,
    h.cpuVendor ? `${h.cpuVendor}${h.cpuFamily !== null ? ` family 0x${h.cpuFamily.toString(16)}` : ''}` : null,
    `${fabric.devices.length} functions`,
    h.isRoot === true ? 'as root' : h.isRoot === false ? 'not root' : null,
  ].filter(Boolean);
  out.push(s.heading(`p2p doctor: ${fabric.source.method} ${fabric.source.location}`) + s.dim(` (${facts.join(', ')})`));
  const idWidth = Math.max(...report.findings.map((f) => f.id.length), 8);
  let group: CheckGroup | null = null;
  for (const f of report.findings) {
    if (f.group !== group) {
      group = f.group;
      out.push('');
      out.push(s.heading(GROUP_TITLES[f.group]));
    }
    out.push(...renderFinding(f, s, Boolean(opts.verbose), idWidth));
  }
  const sm = report.summary;
  const parts = [
    s.ok(`${sm.ok} ok`),
    sm.warn ? s.warn(plural(sm.warn, 'warning', 'warnings')) : `${sm.warn} warnings`,
    sm.fail ? s.bad(plural(sm.fail, 'failure', 'failures')) : `${sm.fail} failures`,
    s.dim(`${sm.skip} skipped`),
  ];
  out.push('');
  out.push(`${s.heading('Summary:')} ${parts.join(', ')} (exit ${report.exitCode})`);
  return out.join('\n') + '\n';
}
