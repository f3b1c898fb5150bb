// The Doctor pane: findings grouped by severity, worst first; the one under the cursor shows its
// evidence and fix; Enter jumps to the device it concerns.
import { Box } from 'ink';
import { groupFindings, orderedFindings, severityTone } from '../doctor.js';
import type { UiModel } from '../model.js';
import { bodyHeight, type UiState } from '../state.js';
import { toneColor } from '../theme.js';
import { useTheme } from '../theme-context.js';
import { Line, seg, type Seg } from './Line.js';
import { shortLabelOf } from '../../model/aliases.js';

const GLYPH: Record<string, string> = { bad: '✗', warn: '!', ok: '✓', dim: '-', plain: '·' };

export function DoctorView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const h = bodyHeight(state);
  const doc = model.doctor();
  if (!doc.findings.length) {
    return (
      <Box flexDirection="column">
        <Line segs={[seg('Doctor', { bold: true })]} width={width} />
        <Line segs={[seg(doc.available ? 'no findings' : doc.note ?? 'doctor checks are not available', { color: doc.available ? theme.status.ok : theme.status.warn })]} width={width} />
      </Box>
    );
  }
  const groups = groupFindings(doc.findings);
  const flat = orderedFindings(doc.findings);
  const cur = flat[Math.min(state.doctor.cursor, flat.length - 1)];
  // Lines: group headings and findings; the detail block of the current finding goes at the bottom.
  const detail: Seg[][] = [];
  if (cur) {
    const devs = cur.devices.map((b) => shortLabelOf(model.fabric.byBdf, b));
    if (devs.length) detail.push([seg('devices: ', { color: theme.text.dim }), seg(devs.join(', '), { color: theme.text.alias })]);
    for (const e of cur.evidence.slice(0, 3)) detail.push([seg('evidence: ', { color: theme.text.dim }), seg(e)]);
    if (cur.fix) detail.push([seg('fix: ', { color: theme.status.info, bold: true }), seg(cur.fix)]);
  }
  const listH = Math.max(1, h - detail.length - 1);
  const lines: { segs: Seg[]; finding: number | null }[] = [];
  let k = 0;
  for (const g of groups) {
    const tone = severityTone(g.status);
    lines.push({ segs: [seg(`${g.status.toUpperCase()} (${g.items.length})`, { bold: true, color: toneColor(theme, tone) })], finding: null });
    for (const f of g.items) {
      const where = f.devices.length ? `  ${f.devices.map((b) => shortLabelOf(model.fabric.byBdf, b)).slice(0, 3).join(', ')}${f.devices.length > 3 ? ', …' : ''}` : '';
      lines.push({ segs: [seg(`  ${GLYPH[tone]} `, { color: toneColor(theme, tone) }), seg(f.title), seg(where, { color: theme.text.dim })], finding: k++ });
    }
  }
  const at = lines.findIndex((l) => l.finding === state.doctor.cursor);
  const top = Math.max(0, Math.min(at - Math.floor(listH / 2), lines.length - listH));
  const shown = lines.slice(top, top + listH);
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line segs={[seg(`Doctor: ${flat.length} findings`, { bold: true }), seg(doc.note ? `  ${doc.note}` : '  Enter: go to the device', { color: theme.text.dim })]} width={width} />
      {shown.map((l, i) => (
        <Line key={top + i} segs={l.segs} width={width} selected={l.finding !== null && l.finding === state.doctor.cursor} />
      ))}
      <Box flexGrow={1} />
      {detail.map((d, i) => (
        <Line key={`d${i}`} segs={d} width={width} />
      ))}
    </Box>
  );
}
