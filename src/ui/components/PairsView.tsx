// The Pairs pane: the endpoint matrix (legend and kernel P2PDMA verdict per ordered pair) with the
// selected device's row highlighted; below it, for the cell under the cursor or two marked devices,
// the path hop by hop with the verdict, the reason, the bottleneck and the fix.
import { Box } from 'ink';
import type { ReactElement } from 'react';
import type { UiModel } from '../model.js';
import { pathLines, VERDICT_GLYPH, verdictTone } from '../path-lines.js';
import { bodyHeight, MATRIX_CELL_WIDTH, MATRIX_LABEL_WIDTH, matrixColumns, pairsLayout, type UiState } from '../state.js';
import { toneColor } from '../theme.js';
import { useTheme } from '../theme-context.js';
import { fit, Line, seg, type Seg } from './Line.js';
import { shortLabelOf } from '../../model/aliases.js';

export function PairsView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const n = model.endpoints.length;
  const p = state.pairs;
  if (n === 0) {
    return <Line segs={[seg('no GPU, NVMe, NIC or accelerator endpoints in this fabric', { color: theme.status.warn })]} width={width} />;
  }
  const { matrixRows, pathRows } = pairsLayout(state, n, p.path !== null);
  const cols = matrixColumns(state);
  const colIdx = Array.from({ length: Math.min(cols, n - p.colLeft) }, (_, k) => p.colLeft + k);
  const rowIdx = Array.from({ length: Math.min(matrixRows, n - p.rowTop) }, (_, k) => p.rowTop + k);
  const label = (i: number) => model.labels.get(model.endpoints[i].bdf) ?? model.endpoints[i].bdf;

  const title: Seg[] = [
    seg(`${n} endpoints`, { bold: true }),
    seg('  row = client (DMA initiator), column = provider   ', { color: theme.text.dim }),
    seg('✓ direct ', { color: theme.status.ok }),
    seg('~ via host ', { color: theme.status.warn }),
    seg('✗ refused ', { color: theme.status.bad }),
    seg('? unknown', { color: theme.status.warn }),
  ];
  const header: Seg[] = [seg(' '.repeat(MATRIX_LABEL_WIDTH + 1))];
  for (const j of colIdx) {
    const marked = state.marks.includes(model.endpoints[j].bdf);
    header.push(seg(fit(label(j), MATRIX_CELL_WIDTH - 1).padEnd(MATRIX_CELL_WIDTH), { bold: j === p.col, color: marked ? theme.mark : theme.text.alias }));
  }
  if (p.colLeft + cols < n) header.push(seg('›', { color: theme.text.dim }));

  const rows = rowIdx.map((i) => {
    const dev = model.endpoints[i];
    const marked = state.marks.includes(dev.bdf);
    const segs: Seg[] = [seg(`${marked ? '●' : ' '}${fit(label(i), MATRIX_LABEL_WIDTH - 1).padEnd(MATRIX_LABEL_WIDTH)}`, { color: marked ? theme.mark : theme.text.alias, bold: i === p.row })];
    for (const j of colIdx) {
      const c = model.pair(i, j);
      const cell = i === j ? 'X' : `${c.legend ?? '?'} ${VERDICT_GLYPH[c.mapType ?? 'unknown']}`;
      const atCursor = i === p.row && j === p.col;
      const color = i === j ? theme.text.dim : toneColor(theme, verdictTone(c.mapType));
      segs.push(seg(cell.padEnd(MATRIX_CELL_WIDTH - 1), atCursor ? { inverse: true, bold: true } : { color }));
      segs.push(seg(' '));
    }
    return { key: dev.bdf, segs, highlight: dev.bdf === state.device };
  });

  const a = p.path ? p.path.a : model.endpoints[p.row].bdf;
  const b = p.path ? p.path.b : model.endpoints[p.col].bdf;
  const cellInfo = model.pair(p.row, p.col);
  const footer: Seg[] = p.path
    ? []
    : [
        seg(`${label(p.row)} → ${label(p.col)}: `, { bold: true }),
        seg(p.row === p.col ? 'same device' : `${cellInfo.verdict}${cellInfo.reason ? ' — ' + cellInfo.reason : ''}`, { color: toneColor(theme, verdictTone(cellInfo.mapType)) }),
        seg('   Enter: path', { color: theme.text.dim }),
      ];

  let pathBlock: ReactElement | null = null;
  if (p.path) {
    const lines = pathLines(model.path(a, b));
    const top = Math.min(p.pathTop, Math.max(0, lines.length - pathRows));
    pathBlock = (
      <Box flexDirection="column">
        <Line
          segs={[
            seg(`Path ${shortLabelOf(model.fabric.byBdf, a)} → ${shortLabelOf(model.fabric.byBdf, b)}`, { bold: true, color: theme.text.heading }),
            seg(`  ${a} → ${b}  lines ${top + 1}-${Math.min(lines.length, top + pathRows)}/${lines.length}  J/K scroll  Esc close`, { color: theme.text.dim }),
          ]}
          width={width}
        />
        {lines.slice(top, top + pathRows).map((l, k) => (
          <Line key={top + k} segs={[seg(l.text, { color: toneColor(theme, l.tone), bold: l.tone === 'heading' })]} width={width} />
        ))}
      </Box>
    );
  }

  return (
    <Box flexDirection="column" height={bodyHeight(state) + 1}>
      <Line segs={title} width={width} />
      <Line segs={header} width={width} />
      {rows.map((r) => (
        <Line key={r.key} segs={r.segs} width={width} highlight={r.highlight} />
      ))}
      {footer.length > 0 && <Line segs={footer} width={width} />}
      {pathBlock}
    </Box>
  );
}
