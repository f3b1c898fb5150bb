// The fabric tree's lines as styled segments: pure, shared by the Ink pane and the first frame.
import { KIND_LABEL } from '../model/classify.js';
import { linkSummary, type TreeNode, type UiModel, type VisibleRow } from './model.js';
import type { Theme } from './theme.js';
import type { UiState } from './state.js';
import { seg, type Seg } from './text.js';
import { shortLabelOf, shortName } from '../model/aliases.js';

function shortBdf(bdf: string): string {
  return bdf.startsWith('0000:') ? bdf.slice(5) : bdf;
}

/** The segments of one device line (without prefix and selection). */
export function deviceSegs(model: UiModel, node: TreeNode, theme: Theme, marks: readonly string[]): Seg[] {
  const f = model.fabric;
  const out: Seg[] = [];
  if (node.kind === 'host-bridge') {
    const kids = node.children.length;
    const numa = [...new Set(node.children.map((c) => model.nodes.get(c)!.bdf).map((b) => (b ? f.byBdf.get(b)?.numaNode : null)).filter((n): n is number => n !== null && n !== undefined && n >= 0))];
    out.push(seg(node.label ?? '', { color: theme.text.heading, bold: true }));
    if (numa.length) out.push(seg(`  numa ${numa.join(',')}`, { color: theme.text.dim }));
    out.push(seg(`  ${kids} root function${kids === 1 ? '' : 's'}`, { color: theme.text.dim }));
    return out;
  }
  const d = f.byBdf.get(node.bdf!)!;
  if (node.kind === 'port') {
    const l = linkSummary(d);
    out.push(seg(`port ${shortBdf(d.bdf)}${l ? ' ' + l.text : ''} (empty)`, { color: theme.text.port }));
    return out;
  }
  if (node.port) {
    const p = f.byBdf.get(node.port);
    const pl = p ? linkSummary(p) : null;
    out.push(seg(`port ${shortBdf(node.port)}${pl && pl.downtrained ? ' ' + pl.text : ''} → `, { color: theme.text.port }));
  }
  if (marks.includes(d.bdf)) out.push(seg('● ', { color: theme.mark, bold: true }));
  if (node.kind === 'switch') out.push(seg('switch ', { color: theme.text.kind, bold: true }));
  if (d.alias) out.push(seg(d.alias + ' ', { color: theme.text.alias, bold: true }));
  out.push(seg(d.bdf, { color: theme.text.bdf }));
  const l = linkSummary(d);
  if (l) out.push(seg(' ' + l.text, l.downtrained ? { color: theme.status.warn, bold: true } : {}));
  if (d.numaNode !== null && d.numaNode >= 0) out.push(seg(` n${d.numaNode}`, { color: theme.text.dim }));
  // A switch's line names it already; an upstream port alone says nothing more, as before.
  const kind = node.kind === 'switch' || d.kind === 'switch-upstream' ? '' : KIND_LABEL[d.kind];
  if (kind) out.push(seg(' ' + kind, { color: theme.text.kind }));
  out.push(seg(' ' + shortName(d)));
  if (d.driver) out.push(seg(` [${d.driver}]`, { color: theme.text.dim }));
  return out;
}

export function rowSegs(model: UiModel, row: VisibleRow, theme: Theme, marks: readonly string[]): Seg[] {
  const node = model.nodes.get(row.id)!;
  const fold = row.hasChildren ? (row.collapsed ? '▸ ' : '▾ ') : '  ';
  const segs: Seg[] = [seg(row.prefix, { color: theme.text.dim }), seg(fold, { color: theme.text.dim })];
  const body = deviceSegs(model, node, theme, marks);
  if (!row.match) for (const s of body) s.color = theme.text.dim;
  return [...segs, ...body];
}


/** The line above the tree: how many functions, the filter, matches, marks, position. */
export function treeHeader(model: UiModel, state: UiState, rows: readonly VisibleRow[], cursor: number, theme: Theme): Seg[] {
  const nDev = model.fabric.devices.length;
  const matches = state.query || state.classFilter !== 'all' ? rows.filter((r) => r.match && model.nodes.get(r.id)!.bdf).length : null;
  const head: Seg[] = [seg(`${nDev} functions`, { bold: true })];
  if (state.classFilter !== 'all') head.push(seg(`  class ${state.classFilter}`, { color: theme.status.info }));
  if (state.query) head.push(seg(`  search "${state.query}"`, { color: theme.status.info }));
  if (matches !== null) head.push(seg(`  ${matches} match${matches === 1 ? '' : 'es'}`, { color: matches ? theme.status.ok : theme.status.warn }));
  if (state.marks.length) head.push(seg(`  marked ${state.marks.map((m) => shortLabelOf(model.fabric.byBdf, m)).join(', ')}`, { color: theme.mark }));
  head.push(seg(`  ${rows.length ? cursor + 1 : 0}/${rows.length}`, { color: theme.text.dim }));
  return head;
}
