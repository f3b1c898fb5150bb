// The bottom line: the search prompt while typing, else the last message, else the keys for this pane.
import { statusHints } from '../keymap.js';
import type { UiState } from '../state.js';
import { toneColor } from '../theme.js';
import { useTheme } from '../theme-context.js';
import { Line, seg } from './Line.js';

export function StatusLine({ state }: { state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  if (state.search) {
    return (
      <Line
        segs={[seg('/', { bold: true, color: theme.status.info }), seg(state.query), seg('█', { color: theme.status.info }), seg('   Enter keep  Esc cancel', { color: theme.text.dim })]}
        width={width}
      />
    );
  }
  if (state.message) {
    return <Line segs={[seg(state.message.text, { color: toneColor(theme, state.message.tone), bold: state.message.tone === 'bad' })]} width={width} />;
  }
  return <Line segs={[seg(statusHints(state.view), { color: theme.text.dim })]} width={width} />;
}
