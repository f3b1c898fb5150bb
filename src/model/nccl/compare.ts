// One line on how NCCL's answer for a pair differs from nvidia-smi's legend and the kernel's P2PDMA
// verdict, and why: they read the same tree with different rules.
import type { LegendResult, P2pdmaVerdict } from '../p2p/types.js';
import type { NcclPair } from './decide.js';

function legendPart(pair: NcclPair, legend: LegendResult): string {
  const l = legend.legend;
  const t = pair.path;
  if (l === null) return `nvidia-smi legend unknown here (${legend.why})`;
  if (t === null) return `nvidia-smi ${l}; NCCL's type unknown here`;
  if (t === 'NVL' || t === 'NVB') return `nvidia-smi would show NV# (NVLink); its PCIe legend is ${l}`;
  if (t === 'PXN') return `nvidia-smi ${l} (PCIe); NCCL relays through an NVLink peer (PXN)`;
  if (t === l) return `same as nvidia-smi (${l})`;
  if (l === 'NODE' && t === 'PHB') return `nvidia-smi NODE (${legend.why}); NCCL has no NODE: it gives every root complex of a NUMA node one CPU, so PHB`;
  if (pair.pciPath === 'PIX' && l === 'PXB') return 'nvidia-smi PXB; NCCL PIX: it skips the bridge between (two sysfs levels up) or flattens a Broadcom gen4 switch';
  if (l === 'PIX' || l === 'PXB') return `nvidia-smi ${l}; NCCL ${t}: NCCL counts switches two sysfs levels apart, nvidia-smi counts bridges`;
  return `nvidia-smi ${l}; NCCL ${t}`;
}

function kernelPart(pair: NcclPair, kernel: P2pdmaVerdict): string {
  if (pair.kind !== 'gpu-gpu') return `kernel P2PDMA ${kernel.verdict} (what in-kernel peer DMA such as nvidia-peermem/DMA-BUF mappings gets)`;
  if (kernel.mapType === 'NOT_SUPPORTED' && pair.p2p) return 'kernel P2PDMA NOT_SUPPORTED, yet NCCL uses P2P: CUDA P2P goes through the NVIDIA driver, not the kernel\'s p2pdma';
  if (kernel.mapType !== null && kernel.mapType !== 'NOT_SUPPORTED' && pair.p2p === false) return `kernel P2PDMA ${kernel.verdict}, yet NCCL declines P2P by distance`;
  return `kernel P2PDMA ${kernel.verdict}`;
}

export function describeDifference(pair: NcclPair, legend: LegendResult, kernel: P2pdmaVerdict): string {
  return `${legendPart(pair, legend)}; ${kernelPart(pair, kernel)}`;
}
