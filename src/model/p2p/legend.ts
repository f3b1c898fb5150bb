// nvidia-smi topo -m's connection legend, vendor-neutral: X / PIX / PXB / PHB / NODE / SYS.
//   PIX  at most one PCIe bridge (a switch counts as one: its upstream port and a downstream port)
//   PXB  several bridges, without crossing a host bridge
//   PHB  through a host bridge (same root complex, different root ports)
//   NODE between host bridges of one NUMA node
//   SYS  across NUMA nodes
import type { Device, Fabric } from '../types.js';
import type { LegendResult } from './types.js';
import { hostBridgeOf, upstreamChain } from './walk.js';

/** NUMA node of a device; -1 and null both mean unknown. */
export function numaOf(fabric: Fabric, d: Device): number | null {
  const self = d.physfn ? fabric.byBdf.get(d.physfn) ?? d : d;
  return self.numaNode !== null && self.numaNode >= 0 ? self.numaNode : null;
}

export function classifyLegend(fabric: Fabric, a: Device, b: Device): LegendResult {
  if (a === b || a.bdf === b.bdf) return { legend: 'X', why: 'same device', bridgesA: 0, bridgesB: 0, commonBridge: null };

  const chainA = upstreamChain(fabric, a);
  const chainB = upstreamChain(fabric, b);
  let iA = -1;
  let iB = -1;
  for (let i = 1; i < chainA.length; i++) {
    const j = chainB.indexOf(chainA[i]);
    if (j >= 1) { iA = i; iB = j; break; }
  }
  if (iA < 0) {
    // One may be the other's ancestor (only with --all over bridges); treat the ancestor as the common bridge.
    const jb = chainB.indexOf(a);
    if (jb >= 1) { iA = 0; iB = jb; }
    const ja = chainA.indexOf(b);
    if (ja >= 1) { iA = ja; iB = 0; }
  }
  if (iA >= 0) {
    const common = (iA === 0 ? chainA[0] : chainA[iA]).bdf;
    const bridgesA = Math.max(0, iA - 1);
    const bridgesB = Math.max(0, iB - 1);
    const single = bridgesA <= 1 && bridgesB <= 1;
    return {
      legend: single ? 'PIX' : 'PXB',
      why: single
        ? `both below ${common} with at most one bridge (one switch) between`
        : `below ${common} through ${bridgesA} and ${bridgesB} further bridges`,
      bridgesA, bridgesB, commonBridge: common,
    };
  }

  const hbA = hostBridgeOf(fabric, a);
  const hbB = hostBridgeOf(fabric, b);
  if (hbA === hbB) {
    return { legend: 'PHB', why: `no common bridge; they meet at host bridge ${hbA}`, bridgesA: chainA.length - 1, bridgesB: chainB.length - 1, commonBridge: null };
  }
  const nA = numaOf(fabric, a);
  const nB = numaOf(fabric, b);
  const nodes = fabric.host.numaNodes;
  if (nA !== null && nB !== null) {
    return nA === nB
      ? { legend: 'NODE', why: `host bridges ${hbA} and ${hbB} in NUMA node ${nA}`, bridgesA: chainA.length - 1, bridgesB: chainB.length - 1, commonBridge: null }
      : { legend: 'SYS', why: `host bridges ${hbA} (node ${nA}) and ${hbB} (node ${nB}) are on different NUMA nodes`, bridgesA: chainA.length - 1, bridgesB: chainB.length - 1, commonBridge: null };
  }
  if (nodes !== null && nodes.length <= 1) {
    return { legend: 'NODE', why: `host bridges ${hbA} and ${hbB}; the machine has a single NUMA node`, bridgesA: chainA.length - 1, bridgesB: chainB.length - 1, commonBridge: null };
  }
  return { legend: null, why: `different host bridges (${hbA}, ${hbB}) and NUMA placement unknown`, bridgesA: chainA.length - 1, bridgesB: chainB.length - 1, commonBridge: null };
}
