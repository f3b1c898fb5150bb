// Decodes the raw mechanism facts (src/access/mem-mechanisms.ts) into what a report shows: each
// device-memory mechanism's node, the PCI device behind it (or none: platform/virtual), and its
// numbers. Pure: no fs, no process.
import type { RawMemMechanisms } from '../access/mem-mechanisms.js';
import { bdfsInPath } from './bdf.js';
import { formatBytes } from './units.js';

export type MechanismKind = 'dax' | 'rdma' | 'capture' | 'dvb' | 'hmm';

export interface MemMechanism {
  kind: MechanismKind;
  /** what names it for the user: "/dev/dax0.0", "/dev/video1", "rxe0", "/dev/hmm_dmirror0". */
  node: string;
  /** the PCI function behind it (innermost BDF of its device path); null for platform/virtual ones. */
  pci: string | null;
  /** short facts: size/align/target node, netdevs, the driver's name for a V4L2 node. */
  detail: string[];
  sizeBytes?: number;
}

export interface MemMechanismReport {
  mechanisms: MemMechanism[];
  /** modules that P2P importers care about, present or not; null when /proc/modules was unreadable. */
  vendorModules: { nvidiaPeermem: boolean; nvidiaFs: boolean; amdgpu: boolean } | null;
}

function pciOf(devicePath: string | null): string | null {
  return devicePath ? bdfsInPath(devicePath).at(-1) ?? null : null;
}

function bytes(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

function daxMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  return raw.dax.map((d) => {
    const detail: string[] = [];
    const size = bytes(d.size);
    if (size !== undefined) detail.push(`size ${formatBytes(size)}`);
    const align = bytes(d.align);
    if (align !== undefined) detail.push(`align ${formatBytes(align)}`);
    if (d.targetNode !== null) detail.push(`target node ${d.targetNode}`);
    return { kind: 'dax' as const, node: `/dev/${d.name}`, pci: pciOf(d.devicePath), detail, sizeBytes: size };
  });
}

/** V4L2 nodes and DVB adapters: capture sources whose PCI parent (if any) can be a matrix endpoint. */
function captureMechanisms(raw: RawMemMechanisms): MemMechanism[] {
  const video = raw.video.map((v) => ({
    kind: 'capture' as const, node: `/dev/${v.name}`, pci: pciOf(v.devicePath), detail: v.label ? [v.label] : [],
  }));
  const dvb = raw.dvb.map((d) => ({
    kind: 'dvb' as const, node: `/dev/dvb/${d.name.replace(/^dvb(\d+)\./, 'adapter$1/')}`,
    pci: pciOf(d.devicePath), detail: [],
  }));
  return [...video, ...dvb];
}

export function decodeMemMechanisms(raw: RawMemMechanisms): MemMechanismReport {
  const rdma = raw.rdma.map((r) => ({
    kind: 'rdma' as const, node: r.name, pci: pciOf(r.devicePath),
    detail: r.netdevs.length ? [`netdev ${r.netdevs.join(', ')}`] : [],
  }));
  const hmm = raw.hmmNodes.map((n) => ({ kind: 'hmm' as const, node: n, pci: null, detail: ['device-private (HMM test driver)'] }));
  const mods = raw.modules === null ? null : new Set(raw.modules);
  return {
    mechanisms: [...daxMechanisms(raw), ...rdma, ...captureMechanisms(raw), ...hmm],
    vendorModules: mods && {
      nvidiaPeermem: mods.has('nvidia_peermem'), nvidiaFs: mods.has('nvidia_fs'), amdgpu: mods.has('amdgpu'),
    },
  };
}
