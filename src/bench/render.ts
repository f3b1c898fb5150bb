// Text rendering of bench reports: the storage table (or sweep) with its failure lines, the GPU copy
// table with the peer-access answer next to our verdict, and the HMM migration table. The JSON is the report itself.
import type { CommandIO } from '../commands/shared.js';
import { makeStyle } from '../format/style.js';
import { renderResults, renderSweep } from './format.js';
import { formatSize, type RunSummary } from './metrics.js';
import type { StoragePlan } from './plan.js';
import type { StorageReport } from './report.js';
import { gpuCaseFailed, peerRefused, type GpuReport } from './gpu-run.js';
import { hmmFailures, type HmmDirection, type HmmReport } from './hmm.js';

export function failureText(s: RunSummary): string {
  if (s.verify.checked && !s.verify.ok) {
    const hex = (x?: number) => (x === undefined ? '?' : '0x' + x.toString(16).padStart(2, '0'));
    return `the bytes in the destination differ from the source: first bad offset ${s.verify.firstBadOffset} (expected ${hex(s.verify.expected)}, got ${hex(s.verify.actual)})`;
  }
  if (s.error) {
    const hint = s.errorCode === 'EREMOTEIO' ? ' — the kernel refused peer-to-peer DMA for this pair (see dmesg)' : '';
    return `${s.error}${hint}`;
  }
  if (s.verify.error) return `verification could not run: ${s.verify.error}`;
  return 'unknown failure';
}

/** The storage report as the terminal shows it: header, table or sweep, then one line per failure. */
export function renderBenchText(r: StorageReport, plan: StoragePlan, io: CommandIO): void {
  const opts = { color: io.color, columns: io.columns };
  const d = r.doc;
  if (d.sweep) {
    io.out(`p2p bench --sweep: ${d.source.path} -> ${d.destination.label} (${d.mode}, ${r.pattern}, ${r.engine})\n` + renderSweep(d.sweep, opts));
    for (const f of r.failures) io.err(`bench FAILED at bs ${formatSize(f.run.blockSize)} QD${f.run.queueDepth}: ${failureText(f.run)}\n`);
    return;
  }
  const write = plan.settings.write;
  io.out(`p2p bench: ${d.source.path} ${write ? '<-' : '->'} ${d.destination.label}  (${r.pattern}, ${write ? 'WRITE' : 'read-only'})\n`);
  io.out(renderResults(d.runs, opts));
  for (const f of r.failures) io.err(`bench FAILED (${f.run.path}): ${failureText(f.run)}\n`);
  if (r.cancelled) io.err('bench cancelled\n');
}

const hex = (x?: number) => (x === undefined ? '?' : '0x' + x.toString(16).padStart(2, '0'));

function gpuVerifyText(c: GpuReport['cases'][number]): string {
  if (c.error) return `error: ${c.error}`;
  if (!c.verify.checked) return 'not verified';
  if (!c.verify.ok) return `MISMATCH at offset ${c.verify.firstBadOffset} (expected ${hex(c.verify.expected)}, got ${hex(c.verify.actual)})`;
  return 'ok';
}

const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');

/** The GPU report: one row per copy, the driver's peer answer beside our verdict, one line per failure. */
export function renderGpuText(r: GpuReport, io: CommandIO): void {
  const c = makeStyle(io.color).c;
  const rt = r.runtime === 'cuda' ? 'CUDA' : 'ROCm/HIP';
  io.out(`p2p bench (${rt}): ${r.a.label} <-> ${r.b.label}, ${formatSize(r.bytesPerCopy)} per copy, every copy read back and compared\n`);
  const rows = r.cases.map((x) => [x.direction, x.method, x.error ? '-' : `${x.gbPerSec.toFixed(2)} GB/s`, x.error ? '-' : `${x.peakGbPerSec.toFixed(2)} GB/s`, `${x.copies}`, gpuVerifyText(x)]);
  const head = ['direction', 'method', 'average', 'best copy', 'copies', 'verify'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  io.out('  ' + head.map((h, i) => c.bold(h.padEnd(w[i]))).join('  ').trimEnd() + '\n');
  for (const row of rows) io.out('  ' + row.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd() + '\n');
  if (r.peerAccess) {
    io.out(`  peer access (driver): ${r.a.label} -> ${r.b.label} ${yesNo(r.peerAccess.ab)}, back ${yesNo(r.peerAccess.ba)}` +
      (r.verdict ? `; p2p verdict: ${r.verdict.verdict}${r.verdict.reason ? ` (${r.verdict.reason})` : ''}` : '') + '\n');
    if (r.peerAccess.error && r.cases.some((x) => peerRefused(r, x))) io.out(c.yellow(`  note: ${r.peerAccess.error}: the staged copies are the way between these GPUs`) + '\n');
    const g = r.peerGain;
    if (g && (g.ab !== null || g.ba !== null)) io.out(`  ${c.bold('peer vs staged:')} ${[g.ab, g.ba].map((x) => (x === null ? '-' : `${x.toFixed(2)}x`)).join(' / ')}\n`);
  }
  for (const x of r.cases.filter((y) => gpuCaseFailed(y) && !peerRefused(r, y))) io.err(`bench FAILED (${x.direction}, ${x.method}): ${x.error ?? gpuVerifyText(x)}\n`);
  if (r.cancelled) io.err('bench cancelled\n');
}

const HMM_ROWS: Record<HmmDirection['name'], string> = {
  'to-device': 'to device (MIGRATE_TO_DEV)',
  'device-read': "device's view (READ)",
  'to-system': 'to system',
};

function hmmVerifyText(v: boolean | null): string {
  return v === null ? 'not checked' : v ? 'ok' : 'MISMATCH';
}

/** The HMM report: one row per direction (average and best rep, time per GiB, pages), the checks, one line per failure. */
export function renderHmmText(r: HmmReport, io: CommandIO): void {
  const c = makeStyle(io.color).c;
  const back = r.back === 'fault' ? 'CPU faults' : 'MIGRATE_TO_SYS';
  io.out(`p2p bench --hmm ${r.device}: ${formatSize(r.bytesPerRep)} per migration, ${r.reps.length} of ${r.repsAsked} reps, back by ${back}\n`);
  const pages = (d: HmmDirection): string => {
    const p = r.pages;
    if (d.name === 'to-device') return p.minOnDevice === null ? '-' : `${p.minOnDevice} of ${p.perRep} on the device`;
    if (d.name === 'to-system') return p.maxLeftOnDevice === null ? '-' : `${p.maxLeftOnDevice} left on the device`;
    return '';
  };
  const rate = (x: number) => `${x.toFixed(2)} GiB/s`;
  const rows = r.directions.map((d) => {
    const none = d.bytes === 0;
    const name = d.name === 'to-system' ? `${HMM_ROWS[d.name]} (${r.back === 'fault' ? 'faults' : 'MIGRATE_TO_SYS'})` : HMM_ROWS[d.name];
    return [name, none ? '-' : rate(d.gibPerSec), none ? '-' : rate(d.bestGibPerSec), none ? '-' : `${d.secPerGiB.toFixed(3)} s`, pages(d)];
  });
  const head = ['direction', 'average', 'best rep', 'per GiB', 'pages'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  io.out('  ' + head.map((h, i) => c.bold(h.padEnd(w[i]))).join('  ').trimEnd() + '\n');
  for (const row of rows) io.out('  ' + row.map((x, i) => x.padEnd(w[i])).join('  ').trimEnd() + '\n');
  io.out(`  verify: device's view ${hmmVerifyText(r.verified.device)}, CPU after the way back ${hmmVerifyText(r.verified.cpu)}\n`);
  for (const f of hmmFailures(r)) io.err(`bench FAILED (hmm): ${f}\n`);
  if (r.cancelled) io.err('bench cancelled\n');
}
