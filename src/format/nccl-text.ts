// `p2p nccl` as text: the levels in force, then one block per GPU pair and GPU-NIC pair.
import type { NcclPair, NcclReport } from '../model/nccl/decide.js';

const yn = (v: boolean | null | undefined) => (v === true ? 'yes' : v === false ? 'no' : 'unknown');

function pairLines(p: NcclPair): string[] {
  const head = p.kind === 'gpu-gpu'
    ? `${p.a} <-> ${p.b}  ${p.path ?? '?'}  P2P ${yn(p.p2p)}  transport ${p.transport ?? 'unknown'}`
    : `${p.a}  -> NIC ${p.b}  ${p.path ?? '?'}${p.pxnVia ? ` via ${p.pxnVia}` : ''}  GDR ${yn(p.gdr)}  GDR read ${yn(p.gdrRead)}`;
  const out = [head];
  for (const w of p.why) out.push(`    ${w}`);
  if (p.needsGpu.length) out.push(`    unknown here: ${p.needsGpu.join('; ')}`);
  if (p.levers.length) out.push(`    change it: ${p.levers.join('; ')}`);
  out.push(`    vs: ${p.difference}`);
  return out;
}

export function renderNcclText(r: NcclReport): string {
  const lines = [
    `NCCL rules: ${r.release}`,
    `source: ${r.source.method} ${r.source.location} (${r.shape})`,
    `GPUs ${r.gpus.length}, NICs ${r.nics.length}; CPU ${r.cpu.vendor ?? 'unknown'}`,
    `P2P level: ${r.p2pLevel.type ?? 'unknown'} (${r.p2pLevel.from}); GDR level: ${r.gdrLevel.type} (${r.gdrLevel.from})`,
  ];
  if (r.env.length) lines.push(`environment: ${r.env.map((e) => `${e.name}=${e.value}${e.origin === '--env' ? ' (--env)' : ''}`).join(' ')}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (!r.pairs.length) lines.push('', r.gpus.length ? 'one GPU and no NIC: no pairs' : 'no GPUs: NCCL has nothing to decide here');
  for (const p of r.pairs) lines.push('', ...pairLines(p));
  lines.push('', 'not known from this source:', ...r.unknown.map((u) => `  - ${u}`));
  return lines.join('\n') + '\n';
}
