// One screen line built from styled segments, cut to the width (never wrapped), optionally selected.
import { Text } from 'ink';
import { Chalk, type ChalkInstance } from 'chalk';
import { useTheme } from '../theme-context.js';
import { fit, stringWidth, type Seg } from '../text.js';

export { fit, seg, stringWidth, type Seg } from '../text.js';

export interface LineProps {
  segs: Seg[];
  width: number;
  selected?: boolean;
  /** Background for a highlighted (not selected) line. */
  highlight?: boolean;
}

/** The chalk level for a theme depth: attributes (bold, inverse) even with no colour. */
function levelFor(depth: number): 1 | 2 | 3 {
  return depth >= 24 ? 3 : depth >= 8 ? 2 : 1;
}
const chalks = new Map<number, ChalkInstance>();
function chalkFor(depth: number): ChalkInstance {
  const l = levelFor(depth);
  let c = chalks.get(l);
  if (!c) chalks.set(l, (c = new Chalk({ level: l })));
  return c;
}

function paint(c: ChalkInstance, text: string, st: { color?: string; bg?: string; bold?: boolean; dim?: boolean; inverse?: boolean }): string {
  if (!text) return text;
  let f: ChalkInstance = c;
  if (st.color) f = st.color.startsWith('#') ? f.hex(st.color) : ((f as unknown as Record<string, ChalkInstance>)[st.color] ?? f);
  if (st.bg) f = st.bg.startsWith('#') ? f.bgHex(st.bg) : ((f as unknown as Record<string, ChalkInstance>)['bg' + st.bg[0].toUpperCase() + st.bg.slice(1)] ?? f);
  if (st.bold) f = f.bold;
  if (st.dim) f = f.dim;
  if (st.inverse) f = f.inverse;
  return f === c ? text : f(text);
}

/**
 * Segments cut to the width; a selected line is padded so its background spans the screen. The line
 * is styled here and handed to Ink as one string: one text node per line keeps a redraw cheap.
 */
export function Line({ segs, width, selected = false, highlight = false }: LineProps) {
  const theme = useTheme();
  const c = chalkFor(theme.depth);
  let used = 0;
  let body = '';
  for (const s of segs) {
    if (used >= width) break;
    const w = stringWidth(s.text);
    const fg = selected && !theme.selection.inverse ? undefined : s.color;
    if (used + w <= width) {
      body += paint(c, s.text, { ...s, color: fg });
      used += w;
    } else if (s.text.includes('\u001b')) {
      body += s.text; // coloured text: Ink's truncate-end cuts it without breaking escape codes
      used = width;
    } else {
      body += paint(c, fit(s.text, width - used), { ...s, color: fg });
      used = width;
    }
  }
  if (selected || highlight) body += ' '.repeat(Math.max(0, width - used));
  const line = selected
    ? theme.selection.inverse
      ? paint(c, body, { inverse: true })
      : paint(c, body, { color: theme.selection.fg, bg: theme.selection.bg })
    : highlight
      ? paint(c, body, { bg: theme.highlight.bg, bold: theme.highlight.bold })
      : body;
  return <Text wrap="truncate-end">{line}</Text>;
}
