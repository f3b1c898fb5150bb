// The first frame, drawn as plain text before Ink and React have loaded (they take most of the start-up
// time): the same tab bar, tree and status line the App draws for the initial state, monochrome, with
// the cursor line in inverse video. Ink's first render then draws the identical text over it.
import { statusHints } from './keymap.js';
import type { UiModel, VisibleRow } from './model.js';
import { bodyHeight, treeCursor, treeRows, VIEW_TITLES, VIEWS, type UiState } from './state.js';
import { makeTheme } from './theme.js';
import { fit, sourceTabLabel, stringWidth, type Seg } from './text.js';
import { rowSegs, treeHeader } from './tree-lines.js';

const INVERSE = '\u001b[7m';
const NO_INVERSE = '\u001b[27m';

function plain(segs: readonly Seg[], width: number): string {
  return fit(segs.map((s) => s.text).join(''), width);
}

/** The tree rows the first frame shows: the window below the tree's header line. */
export function firstFrameRows(model: UiModel, state: UiState): VisibleRow[] {
  return treeRows(model, state).slice(state.treeTop, state.treeTop + Math.max(1, bodyHeight(state) - 1));
}

/** Lines of the first frame (no trailing newline), `rows` lines of at most `columns` columns. */
export function firstFrameLines(model: UiModel, state: UiState): string[] {
  const { columns, rows } = state.size;
  const theme = makeTheme(0);
  const out: string[] = [];
  const where = sourceTabLabel(model.fabric.source);
  let tabs = '';
  VIEWS.forEach((v, i) => {
    const t = ` ${i + 1} ${VIEW_TITLES[v]} `;
    tabs += v === state.view ? INVERSE + t + NO_INVERSE : t;
  });
  out.push(tabs + fit(`  ${where}`, Math.max(0, columns - stringWidth(tabs))));
  const all = treeRows(model, state);
  const cursor = treeCursor(model, state);
  out.push(plain(treeHeader(model, state, all, cursor, theme), columns));
  firstFrameRows(model, state).forEach((r, i) => {
    const text = plain(rowSegs(model, r, theme, state.marks), columns);
    out.push(state.treeTop + i === cursor ? INVERSE + text + ' '.repeat(Math.max(0, columns - stringWidth(text))) + NO_INVERSE : text);
  });
  while (out.length < rows - 1) out.push('');
  out.push(fit(statusHints(state.view), columns));
  return out.slice(0, rows);
}

/** The frame as terminal output: drawn from the top left, each line cleared to its end, cursor back home. */
export function firstFrame(model: UiModel, state: UiState): string {
  return '\u001b[H' + firstFrameLines(model, state).map((l) => l + '\u001b[K').join('\r\n') + '\u001b[H';
}
