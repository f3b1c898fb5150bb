// The NCCL pane: every GPU pair and GPU-NIC pair with NCCL's path type and its P2P / GPUDirect answer;
// the pair under the cursor shows why, what would change it, and how nvidia-smi and the kernel differ.
import { Box } from 'ink';
import type { NcclPair } from '../../model/nccl/decide.js';
import type { UiModel } from '../model.js';
import { bodyHeight, type UiState } from '../state.js';
import type { Theme } from '../theme.js';
import { useTheme } from '../theme-context.js';
import { Line, seg, type Seg } from './Line.js';
import { shortLabelOf } from '../../model/aliases.js';

function answerSeg(theme: Theme, v: boolean | null | undefined, text: string): Seg {
  return seg(`${text} ${v === true ? 'yes' : v === false ? 'no' : '?'}`, { color: v === true ? theme.status.ok : v === false ? theme.status.bad : theme.status.unknown });
}

function pairSegs(model: UiModel, theme: Theme, p: NcclPair): Seg[] {
  const name = (bdf: string) => shortLabelOf(model.fabric.byBdf, bdf);
  const head = [seg(`${name(p.a)} ${p.kind === 'gpu-gpu' ? '<->' : '-> '} ${name(p.b)}`.padEnd(26)), seg(` ${(p.path ?? '?').padEnd(4)}`, { bold: true })];
  if (p.kind === 'gpu-gpu') return [...head, answerSeg(theme, p.p2p, ' P2P'), seg(`  ${p.transport ?? '?'}`, { color: theme.text.dim })];
  return [...head, answerSeg(theme, p.gdr, ' GDR'), answerSeg(theme, p.gdrRead, '  read'), seg(p.pxnVia ? `  via ${name(p.pxnVia)}` : '', { color: theme.text.dim })];
}

function detailLines(theme: Theme, p: NcclPair): Seg[][] {
  const out: Seg[][] = p.why.slice(0, 4).map((w) => [seg('why: ', { color: theme.text.dim }), seg(w)]);
  if (p.needsGpu.length) out.push([seg('unknown here: ', { color: theme.status.warn }), seg(p.needsGpu[0])]);
  if (p.levers.length) out.push([seg('change it: ', { color: theme.status.info, bold: true }), seg(p.levers.join('; '))]);
  out.push([seg('vs: ', { color: theme.text.dim }), seg(p.difference)]);
  return out;
}

export function NcclView({ model, state }: { model: UiModel; state: UiState }) {
  const theme = useTheme();
  const width = state.size.columns;
  const h = bodyHeight(state);
  const r = model.nccl();
  const title = [seg('NCCL', { bold: true }), seg(`  P2P up to ${r.p2pLevel.type ?? '?'}, GDR up to ${r.gdrLevel.type}`, { color: theme.text.dim })];
  if (!r.pairs.length) {
    return (
      <Box flexDirection="column">
        <Line segs={title} width={width} />
        <Line segs={[seg(r.gpus.length ? 'one GPU and no NIC: no pairs' : 'no GPUs: NCCL has nothing to decide here', { color: theme.status.warn })]} width={width} />
      </Box>
    );
  }
  const cursor = Math.min(state.nccl.cursor, r.pairs.length - 1);
  const detail = detailLines(theme, r.pairs[cursor]);
  const listH = Math.max(1, h - detail.length - 1);
  const top = Math.max(0, Math.min(cursor - Math.floor(listH / 2), r.pairs.length - listH));
  return (
    <Box flexDirection="column" height={h + 1}>
      <Line segs={title} width={width} />
      {r.pairs.slice(top, top + listH).map((p, i) => (
        <Line key={top + i} segs={pairSegs(model, theme, p)} width={width} selected={top + i === cursor} />
      ))}
      <Box flexGrow={1} />
      {detail.map((d, i) => (
        <Line key={`d${i}`} segs={d} width={width} />
      ))}
    </Box>
  );
}
