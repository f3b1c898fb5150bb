// The top line: one tab per pane (Tab / number keys switch), and where the fabric was read from.
import type { UiModel } from '../model.js';
import { VIEW_TITLES, VIEWS, type UiState } from '../state.js';
import { useTheme } from '../theme-context.js';
import { Line, seg, type Seg } from './Line.js';
import { sourceTabLabel } from '../text.js';

export function TabBar({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const segs: Seg[] = [];
  VIEWS.forEach((v, i) => {
    const active = v === state.view;
    const text = ` ${i + 1} ${VIEW_TITLES[v]} `;
    segs.push(active
      ? seg(text, theme.tab.activeBg ? { color: theme.tab.active, bg: theme.tab.activeBg, bold: true } : { inverse: true, bold: true })
      : seg(text, { color: theme.tab.inactive }));
  });
  const where = sourceTabLabel(model.fabric.source);
  segs.push(seg(`  ${where}`, { color: theme.text.dim }));
  return <Line segs={segs} width={state.size.columns} />;
}
