// The Device pane: everything `p2p show` knows about the selected function, in sections, scrollable.
import { Box } from 'ink';
import type { UiModel } from '../model.js';
import { bodyHeight, type UiState } from '../state.js';
import { useTheme } from '../theme-context.js';
import { Line, seg } from './Line.js';
import { friendlyName } from '../../model/aliases.js';

export function DetailsView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const h = bodyHeight(state);
  if (!state.device) {
    return <Line segs={[seg('no device selected: pick one in the Fabric pane (1) and press Enter', { color: theme.status.warn })]} width={width} />;
  }
  const lines = model.details(state.device);
  const top = Math.min(state.details.top, Math.max(0, lines.length - h));
  const shown = lines.slice(top, top + h);
  const d = model.fabric.byBdf.get(state.device);
  const name = d ? friendlyName(d) : null;
  const marked = state.marks.includes(state.device);
  const headSegs = [
    seg(`${name ? `${name} ` : ''}${state.device}`, { bold: true, color: theme.text.alias }),
    seg(marked ? '  ● marked' : '', { color: theme.mark }),
    seg(`  lines ${lines.length ? top + 1 : 0}-${top + shown.length} of ${lines.length}  ←→ section`, { color: theme.text.dim }),
  ];
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line segs={headSegs} width={width} />
      {shown.map((l, i) => (
        <Line key={top + i} segs={[seg(l.text, l.heading ? { bold: true, color: theme.text.heading } : {})]} width={width} />
      ))}
    </Box>
  );
}
