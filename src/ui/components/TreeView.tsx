// The Fabric pane: the collapsible tree, one line per function (switches as one unit), with alias,
// BDF, link state (downtrained links stand out), NUMA node and short name.
import { Box } from 'ink';
import type { UiModel } from '../model.js';
import { bodyHeight, treeCursor, treeRows, type UiState } from '../state.js';
import { useTheme } from '../theme-context.js';
import { treeHeader, rowSegs } from '../tree-lines.js';
import { Line, seg } from './Line.js';

export { deviceSegs, rowSegs } from '../tree-lines.js';

export function TreeView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const rows = treeRows(model, state);
  const cursor = treeCursor(model, state);
  const h = Math.max(1, bodyHeight(state) - 1);
  const width = state.size.columns;
  const visible = rows.slice(state.treeTop, state.treeTop + h);
  const head = treeHeader(model, state, rows, cursor, theme);
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line segs={head} width={width} />
      {visible.map((r, i) => (
        <Line key={r.id} segs={rowSegs(model, r, theme, state.marks)} width={width} selected={state.treeTop + i === cursor} />
      ))}
      {rows.length === 0 && <Line segs={[seg('nothing matches: Esc clears the search, C the class filter', { color: theme.status.warn })]} width={width} />}
    </Box>
  );
}
