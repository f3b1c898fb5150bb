// NCCL's path type between two nodes of its topology (paths.cc ncclTopoSetPaths): the worst link on the
// way, where a link between two PCI nodes is PXB, a link touching a CPU is PHB, CPU to CPU is SYS, any
// other PCI link PIX; an NVLink pair is NVL, two GPUs sharing an NVLink peer NVB.
import { ancestry, type NcclNode, type NcclSystem } from './system.js';
import { rank, type NcclPathType } from './rules.js';

export interface TreePath {
  /** null when the CPUs' NUMA placement is unknown and the pair could be PHB or SYS. */
  type: NcclPathType | null;
  /** The nodes walked, for the why line ("GPU 0000:07:00.0 > PCI 0000:03:00.0 > CPU 0"). */
  via: string[];
  why: string;
}

function linkType(a: NcclNode, b: NcclNode): NcclPathType {
  if (a.kind === 'cpu' || b.kind === 'cpu') return 'PHB';
  if (a.kind === 'pci' && b.kind === 'pci') return 'PXB';
  return 'PIX';
}

function worst(types: NcclPathType[]): NcclPathType {
  return types.reduce((w, t) => (rank(t) > rank(w) ? t : w), 'LOC' as NcclPathType);
}

export function nodeLabel(n: NcclNode): string {
  return n.kind === 'cpu' ? `CPU ${n.numa ?? '?'}` : `${n.kind.toUpperCase()} ${n.id}`;
}

/** The PCI (tree) path: up from a to the nearest common node, down to b; across CPUs when none. */
export function treePath(sys: NcclSystem, a: string, b: string): TreePath {
  if (a === b) return { type: 'LOC', via: [a], why: 'same device' };
  const up = ancestry(sys, a);
  const down = ancestry(sys, b);
  const common = up.findIndex((n) => down.includes(n));
  const types: NcclPathType[] = [];
  let via: NcclNode[];
  if (common >= 0) {
    const j = down.indexOf(up[common]);
    via = [...up.slice(0, common + 1), ...down.slice(0, j).reverse()];
  } else {
    via = [...up, ...down.slice().reverse()];
  }
  for (let i = 1; i < via.length; i++) {
    const x = via[i - 1];
    const y = via[i];
    types.push(x.kind === 'cpu' && y.kind === 'cpu' ? 'SYS' : linkType(x, y));
  }
  const labels = via.map(nodeLabel);
  const cpuA = up[up.length - 1];
  const cpuB = down[down.length - 1];
  const unknownCpu = common < 0 ? cpuA.numa === null || cpuB.numa === null : up[common].kind === 'cpu' && up[common].numa === null;
  if (unknownCpu) {
    return { type: null, via: labels, why: 'PHB if both sit on one NUMA node, SYS if not: the NUMA node is unknown' };
  }
  const type = worst(types);
  const why = common < 0
    ? `through CPU ${cpuA.numa} and CPU ${cpuB.numa} (different NUMA nodes)`
    : up[common].kind === 'cpu'
      ? `both reach CPU ${up[common].numa} (one NCCL CPU per NUMA node) without a common PCI switch`
      : type === 'PIX' ? `both under PCI switch ${up[common].id}` : `under PCI switch ${up[common].id} through further switches`;
  return { type, via: labels, why };
}

/** GPU-GPU: NVLink when known, else the tree path. */
export function gpuPath(sys: NcclSystem, a: string, b: string, nvbDisable: boolean): TreePath & { nvlink: boolean | null } {
  const tree = treePath(sys, a, b);
  if (!sys.nvlinks) return { ...tree, nvlink: null };
  if (sys.nvlinks.get(a)?.has(b)) return { type: 'NVL', via: [a, b], why: 'NVLink between them (as the XML lists it)', nvlink: true };
  if (!nvbDisable) {
    const peer = [...(sys.nvlinks.get(a) ?? [])].find((p) => sys.nvlinks!.get(p)?.has(b));
    if (peer) return { type: 'NVB', via: [a, peer, b], why: `NVLink through GPU ${peer}`, nvlink: true };
  }
  return { ...tree, nvlink: false };
}
