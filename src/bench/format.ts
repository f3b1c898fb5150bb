// Bench output: the results table (direct vs bounce side by side), the live progress line, the sweep
// matrix with its text curve, and the documented JSON shape.
import { makeStyle } from '../format/style.js';
import { formatSize, runFailed, savings, type RunSummary } from './metrics.js';

export interface FormatOptions {
  color: boolean;
  columns?: number;
}

const fix = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
function fmtUs(us: number): string {
  if (us >= 10000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  return `${us.toFixed(1)} µs`;
}
function fmtCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

function verifyText(s: RunSummary): string {
  const v = s.verify;
  if (v.checked && !v.ok) {
    const hex = (x?: number) => (x === undefined ? '?' : '0x' + x.toString(16).padStart(2, '0'));
    return `MISMATCH at offset ${v.firstBadOffset} (expected ${hex(v.expected)}, got ${hex(v.actual)})`;
  }
  if (v.checked) return `ok (${formatSize(v.bytesCompared) || v.bytesCompared} in ${v.slotsCompared} blocks)`;
  if (v.error) return `not verified: ${v.error}`;
  return 'skipped';
}

/** Rows of (label, value per run): the results table. */
export function resultRows(runs: RunSummary[]): [string, string[]][] {
  const rows: [string, string[]][] = [
    ['destination', runs.map((r) => r.dest)],
    ['engine', runs.map((r) => `${r.engine}${r.registeredBuffers ? ' (fixed bufs)' : ''}${r.threads > 1 ? `, ${r.threads} thr` : ''}`)],
    ['block / QD / workers', runs.map((r) => `${formatSize(r.blockSize)} / ${r.queueDepth} / ${r.workers}`)],
    ['moved', runs.map((r) => `${(r.bytes / 2 ** 30).toFixed(2)} GiB in ${fix(r.elapsedSec)} s${r.rounds > 1 ? ` (${r.rounds} rounds)` : ''}`)],
    ['throughput', runs.map((r) => `${fix(r.gbPerSec)} GB/s  ${fix(r.gibPerSec)} GiB/s`)],
    ['IOPS', runs.map((r) => fmtCount(r.iops))],
    ['latency p50', runs.map((r) => fmtUs(r.latencyUs.p50))],
    ['latency p99', runs.map((r) => fmtUs(r.latencyUs.p99))],
    ['latency p99.9', runs.map((r) => fmtUs(r.latencyUs.p999))],
    ['CPU s/GB usr+sys', runs.map((r) => `${fix(r.cpuPerGB.total, 3)} (${fix(r.cpuPerGB.user, 3)}+${fix(r.cpuPerGB.sys, 3)})`)],
    ['copy s/GB', runs.map((r) => (r.path === 'bounce' ? fix(r.copySecPerGB, 3) : '-'))],
  ];
  if (runs.some((r) => r.ceilingShare !== null)) {
    rows.push(['of link ceiling', runs.map((r) => (r.ceilingShare === null ? '-' : `${(r.ceilingShare * 100).toFixed(0)}% of ${fix(r.ceilingGBps ?? 0, 1)} GB/s`))]);
  }
  if (runs.some((r) => r.secPerGiB !== undefined)) rows.push(['time per GiB', runs.map((r) => (r.secPerGiB === undefined ? '-' : `${fix(r.secPerGiB, 3)} s`))]);
  rows.push(['verify', runs.map(verifyText)]);
  if (runs.some((r) => r.error)) rows.push(['error', runs.map((r) => r.error ?? '-')]);
  return rows;
}

/** The results table: one column per path (direct, bounce), then what direct saves. */
export function renderResults(runs: RunSummary[], opts: FormatOptions): string {
  const c = makeStyle(opts.color).c;
  const rows = resultRows(runs);
  const head = runs.map((r) => r.path);
  const w0 = Math.max(...rows.map(([l]) => l.length));
  const widths = runs.map((_, i) => Math.max(head[i].length, ...rows.map(([, v]) => v[i].length)));
  const line = (label: string, cells: string[], style = (s: string) => s) =>
    `  ${label.padEnd(w0)}  ${cells.map((x, i) => style(x.padEnd(widths[i]))).join('   ')}`.trimEnd() + '\n';
  let out = line('', head, c.bold);
  for (const [label, vals] of rows) {
    const styled = vals.map((v, i) => {
      if (label === 'verify') return runFailed(runs[i]) && runs[i].verify.checked && !runs[i].verify.ok ? c.red(v.padEnd(widths[i])) : v.startsWith('ok') ? c.green(v.padEnd(widths[i])) : v.padEnd(widths[i]);
      if (label === 'error') return c.red(v.padEnd(widths[i]));
      return v.padEnd(widths[i]);
    });
    out += `  ${c.dim(label.padEnd(w0))}  ${styled.join('   ')}`.trimEnd() + '\n';
  }
  const notes = [...new Set(runs.flatMap((r) => [
    ...(r.engineNote ? [r.engineNote] : []),
    ...(r.registerNote ? [`${r.path}: ${r.registerNote}`] : []),
  ]))];
  for (const n of notes) out += c.yellow(`  note: ${n}`) + '\n';
  const d = runs.find((r) => r.path === 'direct');
  const b = runs.find((r) => r.path === 'bounce');
  if (d && b && !runFailed(d) && !runFailed(b)) {
    const s = savings(d, b);
    const parts: string[] = [];
    if (s.throughputRatio !== null) parts.push(`${fix(s.throughputRatio)}x the bounce throughput`);
    parts.push(`${fix(Math.abs(s.cpuSecPerGBSaved), 3)} CPU s/GB ${s.cpuSecPerGBSaved >= 0 ? 'saved' : 'more'}` +
      (s.cpuShareSaved !== null ? ` (${(Math.abs(s.cpuShareSaved) * 100).toFixed(0)}%)` : ''));
    if (s.p99LatencyRatio !== null) parts.push(`p99 latency ${fix(s.p99LatencyRatio)}x`);
    out += `  ${c.bold('direct vs bounce:')} ${parts.join(', ')}\n`;
  }
  return out;
}

/** One progress line (no newline): bar, bytes, current throughput. */
export function progressLine(p: { bytes: number; elapsedSec: number; label: string }, target: { totalBytes: number; durationSec: number }, width = 80): string {
  const frac = Math.min(1, Math.max(
    target.totalBytes > 0 ? p.bytes / target.totalBytes : 0,
    target.durationSec > 0 ? p.elapsedSec / target.durationSec : 0,
  ));
  const gbps = p.elapsedSec > 0 ? p.bytes / 1e9 / p.elapsedSec : 0;
  const info = ` ${(frac * 100).toFixed(0).padStart(3)}%  ${(p.bytes / 2 ** 30).toFixed(2)} GiB  ${gbps.toFixed(2)} GB/s  ${p.label}`;
  const barW = Math.max(10, Math.min(40, width - info.length - 4));
  const filled = Math.round(frac * barW);
  return `[${'#'.repeat(filled)}${'.'.repeat(barW - filled)}]${info}`;
}

export interface SweepPoint {
  blockSize: number;
  queueDepth: number;
  summary: RunSummary;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
function bar(value: number, max: number, width: number): string {
  if (!(max > 0) || !(value > 0)) return '';
  const units = Math.round((value / max) * width * 8);
  return '█'.repeat(Math.floor(units / 8)) + EIGHTHS[units % 8];
}

/** Sweep: a GB/s matrix (block size x queue depth), then the curve as text bars per queue depth. */
export function renderSweep(points: SweepPoint[], opts: FormatOptions): string {
  const c = makeStyle(opts.color).c;
  const bss = [...new Set(points.map((p) => p.blockSize))].sort((a, b) => a - b);
  const qds = [...new Set(points.map((p) => p.queueDepth))].sort((a, b) => a - b);
  const at = (bs: number, qd: number) => points.find((p) => p.blockSize === bs && p.queueDepth === qd)?.summary;
  const max = Math.max(0, ...points.map((p) => p.summary.gbPerSec));
  let out = c.bold('  GB/s        ') + qds.map((q) => c.bold(`QD${q}`.padStart(9))).join('') + '\n';
  for (const bs of bss) {
    out += `  ${('bs ' + formatSize(bs)).padEnd(12)}` + qds.map((q) => {
      const s = at(bs, q);
      return (s ? (runFailed(s) ? 'FAIL' : s.gbPerSec.toFixed(2)) : '-').padStart(9);
    }).join('') + '\n';
  }
  const barW = Math.max(10, Math.min(50, (opts.columns ?? 80) - 30));
  out += '\n' + c.bold('  throughput curve (GB/s, bar scaled to the best point)') + '\n';
  for (const q of qds) {
    out += `  ${c.bold(`QD${q}`)}\n`;
    for (const bs of bss) {
      const s = at(bs, q);
      const v = s && !runFailed(s) ? s.gbPerSec : 0;
      out += `    ${formatSize(bs).padStart(5)} ${c.cyan(bar(v, max, barW).padEnd(barW))} ${s ? v.toFixed(2) : '-'}\n`;
    }
  }
  const best = points.filter((p) => !runFailed(p.summary)).sort((a, b) => b.summary.gbPerSec - a.summary.gbPerSec)[0];
  if (best) out += `  best: ${best.summary.gbPerSec.toFixed(2)} GB/s at bs ${formatSize(best.blockSize)} QD${best.queueDepth}\n`;
  return out;
}

/** The documented JSON document for `p2p bench --json`. */
export interface BenchJson {
  schema: 'p2p.bench/1';
  source: { spec: string; path: string; kind: string; size: number };
  destination: { spec: string; label: string };
  mode: string;
  write: boolean;
  directSkipped: string | null;
  runs: RunSummary[];
  savings: ReturnType<typeof savings> | null;
  sweep: { blockSize: number; queueDepth: number; summary: RunSummary }[] | null;
  ok: boolean;
}

export function benchJson(doc: Omit<BenchJson, 'schema' | 'savings' | 'ok'>): BenchJson {
  const d = doc.runs.find((r) => r.path === 'direct');
  const b = doc.runs.find((r) => r.path === 'bounce');
  const all = [...doc.runs, ...(doc.sweep ?? []).map((p) => p.summary)];
  return {
    schema: 'p2p.bench/1',
    ...doc,
    savings: d && b ? savings(d, b) : null,
    ok: all.length > 0 && all.every((r) => !runFailed(r)),
  };
}
