// The Bench pane: pick a source (NVMe) and a destination (host memory, GPU, p2pmem provider), start,
// watch progress and throughput live, then the direct-versus-bounce result. Read tests only.
import { Box } from 'ink';
import type { UiModel } from '../model.js';
import { bodyHeight, type BenchState, type UiState } from '../state.js';
import type { Theme } from '../theme.js';
import { useTheme } from '../theme-context.js';
import { Line, seg, type Seg } from './Line.js';
import { friendlyName } from '../../model/aliases.js';

const SPARK = '▁▂▃▄▅▆▇█';

export function sparkline(samples: readonly number[], width: number): string {
  const xs = samples.slice(-width);
  const max = Math.max(0, ...xs);
  if (!(max > 0)) return '';
  return xs.map((x) => SPARK[Math.min(SPARK.length - 1, Math.round((x / max) * (SPARK.length - 1)))]).join('');
}

export function progressBar(fraction: number, width: number): { fill: string; empty: string } {
  const f = Math.max(0, Math.min(1, fraction));
  const n = Math.round(f * width);
  return { fill: '█'.repeat(n), empty: '░'.repeat(width - n) };
}

/** The status lines: read-only or refused, then the run's progress and throughput, notes, error, result. */
function statusLines(b: BenchState, width: number, theme: Theme): Seg[][] {
  const status: Seg[][] = [];
  if (b.refusal) status.push([seg('bench unavailable: ', { color: theme.status.bad, bold: true }), seg(b.refusal)]);
  else status.push([seg('read-only: the source is read, never written. ', { color: theme.text.dim }), seg('s/Enter start  x cancel', { color: theme.text.dim })]);
  const phase = b.phase;
  if (phase === 'starting') status.push([seg('starting…', { color: theme.status.info })]);
  if (b.progress && (phase === 'running' || phase === 'cancelling' || phase === 'starting')) {
    const pr = b.progress;
    const barW = Math.max(10, Math.min(40, width - 50));
    const bar = progressBar(pr.fraction ?? 0, barW);
    status.push([
      seg(`${pr.path.padEnd(6)} round ${pr.round + 1}/${pr.rounds} `, { bold: true }),
      seg(bar.fill, { color: theme.bar.fill }),
      seg(bar.empty, { color: theme.bar.empty }),
      seg(` ${pr.gbPerSec.toFixed(2)} GB/s  ${(pr.bytes / 2 ** 30).toFixed(2)} GiB  ${pr.elapsedSec.toFixed(1)}s`),
      seg(phase === 'cancelling' ? '  cancelling…' : '', { color: theme.status.warn }),
    ]);
    status.push([seg('throughput ', { color: theme.text.dim }), seg(sparkline(b.samples, Math.max(10, width - 12)), { color: theme.status.info })]);
  }
  for (const n of b.notes) status.push([seg('note: ', { color: theme.status.warn }), seg(n)]);
  if (b.error) status.push([seg('failed: ', { color: theme.status.bad, bold: true }), seg(b.error)]);
  if (b.result) status.push(...resultLines(b.result, width, theme));
  return status;
}

/** The finished run: each path's throughput as a bar against the best, then direct versus bounce. */
function resultLines(r: NonNullable<BenchState['result']>, width: number, theme: Theme): Seg[][] {
  const status: Seg[][] = [];
  status.push([seg('result', { bold: true }), seg(r.ok ? '  ok' : '  FAILED', { color: r.ok ? theme.status.ok : theme.status.bad, bold: true })]);
  const best = Math.max(0, ...r.runs.map((x) => x.gbPerSec));
  for (const run of r.runs) {
    const w = Math.max(1, Math.min(30, width - 50));
    const n = best > 0 ? Math.round((run.gbPerSec / best) * w) : 0;
    status.push([
      seg(`  ${run.path.padEnd(7)}`, { bold: true }),
      seg(`${run.gbPerSec.toFixed(2).padStart(7)} GB/s `),
      seg('█'.repeat(n).padEnd(w), { color: run.path === 'direct' ? theme.status.ok : theme.status.info }),
      seg(run.p99us !== null ? `  p99 ${run.p99us.toFixed(0)}µs` : ''),
      seg(run.cpuSecPerGB !== null ? `  cpu ${run.cpuSecPerGB.toFixed(3)}s/GB` : '', { color: theme.text.dim }),
      seg(run.failed ? `  ${run.failed}` : '', { color: theme.status.bad }),
    ]);
  }
  if (r.directSkipped) status.push([seg('  direct path impossible: ', { color: theme.status.warn }), seg(r.directSkipped)]);
  if (r.throughputRatio !== null) {
    status.push([
      seg('  direct vs bounce: ', { bold: true }),
      seg(`${r.throughputRatio.toFixed(2)}x throughput`, { color: r.throughputRatio >= 1 ? theme.status.ok : theme.status.warn }),
      seg(r.cpuShareSaved !== null ? `, ${(r.cpuShareSaved * 100).toFixed(0)}% less CPU` : ''),
    ]);
  }
  return status;
}

export function BenchView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const h = bodyHeight(state);
  const b = state.bench;
  const colW = Math.floor((width - 3) / 2);
  const name = (bdf: string) => {
    const d = model.fabric.byBdf.get(bdf);
    return `${(d && friendlyName(d)) ?? ''} ${bdf}`.trim();
  };
  const srcItems = model.benchSources.map((d) => name(d.bdf));
  const dstItems = model.benchDestinations.map((d) => (d === 'host' ? 'host memory' : name(d.bdf) + (d.p2pmem ? ' p2pmem' : '')));
  const listH = Math.max(1, Math.min(Math.max(srcItems.length, dstItems.length, 1), Math.floor(h / 2) - 2));
  const window = (n: number, cur: number) => Math.max(0, Math.min(cur - Math.floor(listH / 2), n - listH));
  const sTop = window(srcItems.length, b.source);
  const dTop = window(dstItems.length, b.dest);

  const listLines: Seg[][] = [];
  for (let i = 0; i < listH; i++) {
    const si = sTop + i;
    const di = dTop + i;
    const s = srcItems[si];
    const d = dstItems[di];
    const sSel = si === b.source && s !== undefined;
    const dSel = di === b.dest && d !== undefined;
    const cell = (text: string | undefined, sel: boolean, focus: boolean): Seg => {
      const t = ((sel ? '▶ ' : '  ') + (text ?? '')).slice(0, colW).padEnd(colW);
      return sel && focus ? seg(t, theme.selection.inverse ? { inverse: true } : { color: theme.selection.fg, bg: theme.selection.bg }) : seg(t, sel ? { bold: true } : {});
    };
    listLines.push([cell(s, sSel, b.field === 'source'), seg(' │ ', { color: theme.text.dim }), cell(d, dSel, b.field === 'dest')]);
  }

  const status = statusLines(b, width, theme);
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line
        segs={[
          seg('source (NVMe)'.padEnd(colW), { bold: true, color: b.field === 'source' ? theme.status.info : undefined }),
          seg(' │ ', { color: theme.text.dim }),
          seg('destination', { bold: true, color: b.field === 'dest' ? theme.status.info : undefined }),
        ]}
        width={width}
      />
      {listLines.map((l, i) => (
        <Line key={`l${i}`} segs={l} width={width} />
      ))}
      {srcItems.length === 0 && <Line segs={[seg('no NVMe device in this fabric', { color: theme.status.warn })]} width={width} />}
      {status.slice(0, Math.max(0, h - listH - 1)).map((l, i) => (
        <Line key={`s${i}`} segs={l} width={width} />
      ))}
    </Box>
  );
}
