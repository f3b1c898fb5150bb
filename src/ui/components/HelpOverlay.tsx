// `?`: every key binding from the keymap, in two columns when the screen is wide enough.
import { Box } from 'ink';
import { BINDINGS } from '../keymap.js';
import { bodyHeight, type UiState } from '../state.js';
import { useTheme } from '../theme-context.js';
import { Line, seg, type Seg } from './Line.js';

export function HelpOverlay({ state }: { state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const h = bodyHeight(state);
  const items: Seg[][] = BINDINGS.map((b) => [seg(b.label.padEnd(8), { bold: true, color: theme.text.alias }), seg(b.help)]);
  const twoCols = width >= 100 || items.length > h;
  const colW = twoCols ? Math.floor(width / 2) : width;
  const perCol = twoCols ? Math.ceil(items.length / 2) : items.length;
  const lines: Seg[][] = [];
  for (let i = 0; i < perCol; i++) {
    const left = items[i];
    const right = twoCols ? items[i + perCol] : undefined;
    const leftText = left.map((s) => s.text).join('');
    const pad = twoCols ? ' '.repeat(Math.max(1, colW - leftText.length)) : '';
    const l = twoCols && leftText.length >= colW ? [{ ...left[0] }, { ...left[1], text: left[1].text.slice(0, Math.max(0, colW - 9)) }] : left;
    lines.push(right ? [...l, seg(pad), ...right] : l);
  }
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line segs={[seg('Keys', { bold: true }), seg('   any key closes this', { color: theme.text.dim })]} width={width} />
      {lines.slice(0, h).map((l, i) => (
        <Line key={i} segs={l} width={width} />
      ))}
    </Box>
  );
}
