// What NCCL decides for every GPU pair (P2P, else SHM through host memory, else NET) and every GPU-NIC
// pair (GPUDirect RDMA by distance, PXN through an NVLink peer), with the variables that would change
// each answer, beside the kernel's P2PDMA verdict and the nvidia-smi legend for the same pair.
import type { Device, Fabric } from '../types.js';
import { classifyLegend } from '../p2p/legend.js';
import { computeP2pdma } from '../p2p/kernel-rules.js';
import type { Legend } from '../p2p/types.js';
import type { NcclEnv } from './env.js';
import { gpuPath, treePath } from './paths.js';
import {
  GDR_DEFAULT_LEVEL, GDR_DEFAULT_LEVEL_C2C, GDR_READ_MIN_SM, NCCL_RELEASE, P2P_AMD_LEVEL, P2P_AMD_MAX_GPUS, P2P_DEFAULT_LEVEL,
  PXN_PEER_MAX, rank, type NcclPathType,
} from './rules.js';
import { buildNcclSystem, type NcclNode, type NcclSystem } from './system.js';
import { describeDifference } from './compare.js';

export type Transport = 'P2P' | 'SHM' | 'NET';

export interface NcclPair {
  a: string;
  b: string;
  kind: 'gpu-gpu' | 'gpu-nic';
  /** NCCL's path type (after PXN for GPU-NIC pairs); null when the source cannot decide it. */
  path: NcclPathType | null;
  /** The PCIe-tree path before NVLink or PXN. */
  pciPath: NcclPathType | null;
  via: string[];
  /** GPU-GPU: P2P by NCCL's distance rule (NVML can still refuse it: see nvml). */
  p2p?: boolean | null;
  transport?: Transport | null;
  /** GPU-NIC: GPUDirect RDMA for receives (writes into GPU memory), and for sends (reads). */
  gdr?: boolean | null;
  gdrRead?: boolean | null;
  /** GPU-NIC: the NVLink peer NCCL would relay through (PXN), when it would. */
  pxnVia?: string | null;
  /** Unknown here: NVML's P2P status (GPU pairs) or the NIC/driver's GPUDirect support (GPU-NIC). */
  needsGpu: string[];
  why: string[];
  /** Environment settings that would change this answer. */
  levers: string[];
  legend: Legend | null;
  kernel: string;
  difference: string;
}

export interface NcclReport {
  release: string;
  source: { method: string; location: string };
  shape: string;
  cpu: { vendor: string | null; arch: string | null };
  gpus: { bdf: string; numa: string | null; names: string[] }[];
  nics: { bdf: string; numa: string | null; names: string[] }[];
  p2pLevel: { type: NcclPathType | null; from: string };
  gdrLevel: { type: NcclPathType; from: string };
  env: NcclEnv['seen'];
  pairs: NcclPair[];
  /** What this source cannot know (and how to find out on the machine). */
  unknown: string[];
  warnings: string[];
}

function isX86(fabric: Fabric): boolean | null {
  const { arch, cpuVendor } = fabric.host;
  if (arch) return arch === 'x64' || arch === 'ia32';
  if (cpuVendor) return /GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls|Shanghai/.test(cpuVendor);
  return null;
}

/** ncclTopoCheckP2p's level: user setting, else PXB, else SYS on x86 AMD with <=2 GPUs. */
function p2pLevelOf(fabric: Fabric, sys: NcclSystem, env: NcclEnv): NcclReport['p2pLevel'] {
  if (env.p2pLevel) return { type: env.p2pLevel.type, from: env.p2pLevel.from };
  if (sys.gpus.length > P2P_AMD_MAX_GPUS) return { type: P2P_DEFAULT_LEVEL, from: `default (${sys.gpus.length} GPUs)` };
  const vendor = fabric.host.cpuVendor;
  const x86 = isX86(fabric);
  if (vendor === null || x86 === null) return { type: null, from: `default: ${P2P_DEFAULT_LEVEL}, or ${P2P_AMD_LEVEL} on an x86 AMD CPU with <=${P2P_AMD_MAX_GPUS} GPUs; the CPU is unknown here` };
  if (x86 && vendor === 'AuthenticAMD') return { type: P2P_AMD_LEVEL, from: `default on AMD with ${sys.gpus.length} GPU(s) (<=${P2P_AMD_MAX_GPUS})` };
  return { type: P2P_DEFAULT_LEVEL, from: 'default' };
}

function gdrLevelOf(env: NcclEnv): NcclReport['gdrLevel'] {
  if (env.gdrLevel) return env.gdrLevel;
  return env.gdrC2c ? { type: GDR_DEFAULT_LEVEL_C2C, from: 'default (P2C with NCCL_NET_GDR_C2C=1: the same as PXB without C2C)' } : { type: GDR_DEFAULT_LEVEL, from: 'default (NCCL_NET_GDR_C2C=0)' };
}

const le = (t: NcclPathType, level: NcclPathType) => rank(t) <= rank(level);

function gpuGpuPair(fabric: Fabric, sys: NcclSystem, env: NcclEnv, level: NcclReport['p2pLevel'], a: NcclNode, b: NcclNode): NcclPair {
  const p = gpuPath(sys, a.id, b.id, env.nvbDisable === 1);
  const why: string[] = [`${p.type ?? 'PHB or SYS'}: ${p.why}`];
  const levers: string[] = [];
  const needsGpu: string[] = [];
  let p2p: boolean | null = null;
  if (p.type !== null && level.type !== null) {
    p2p = le(p.type, level.type);
    why.push(`P2P ${p2p ? 'yes' : 'no'}: ${p.type} ${p2p ? '<=' : '>'} P2P level ${level.type} (${level.from})`);
    if (p2p) levers.push('NCCL_P2P_DISABLE=1 turns P2P off', ...(p.type !== 'LOC' ? [`NCCL_P2P_LEVEL below ${p.type} turns it off`] : []));
    else levers.push(`NCCL_P2P_LEVEL=${p.type} (or SYS) turns P2P on${env.p2pLevel?.type === 'LOC' ? ', with NCCL_P2P_DISABLE unset' : ''}`);
  } else {
    why.push(`P2P unknown: ${p.type === null ? 'the path type' : 'the P2P level'} is unknown here (${level.from})`);
  }
  if (p2p && env.ignoreDisabledP2p !== 2) {
    needsGpu.push('NVML P2P status (nvidia-smi topo -p2p rw): NCCL drops P2P when it is not OK');
    why.push(env.ignoreDisabledP2p === 1 ? 'if NVML refuses P2P, NCCL falls back quietly (NCCL_IGNORE_DISABLED_P2P=1)' : 'if NVML refuses P2P, NCCL falls back (and fails on an NVLink pair; NCCL_IGNORE_DISABLED_P2P=1 makes it fall back)');
  }
  if (p.nvlink === null) needsGpu.push('NVLink (nvidia-smi nvlink -s): an NVLink pair would be NVL');
  const transport: Transport | null = p2p === null ? null : p2p ? 'P2P' : env.shmDisable === 1 ? 'NET' : 'SHM';
  if (transport === 'SHM') { why.push('SHM: through host memory (same machine)'); levers.push('NCCL_SHM_DISABLE=1 sends it over the network instead'); }
  if (transport === 'NET') why.push('NET: P2P off and NCCL_SHM_DISABLE=1');
  return finishPair(fabric, a, b, 'gpu-gpu', { path: p.type, pciPath: treePath(sys, a.id, b.id).type, via: p.via, p2p, transport, needsGpu, why, levers });
}

/** ncclTopoGetLocalGpu: the GPU closest to the NIC (first of the best). */
function localGpu(sys: NcclSystem, nic: NcclNode): NcclNode | null {
  let best: NcclNode | null = null;
  let bestRank = Infinity;
  for (const g of sys.gpus) {
    const t = treePath(sys, g.id, nic.id).type;
    if (t !== null && rank(t) < bestRank) { best = g; bestRank = rank(t); }
  }
  return best;
}

function netGdrSupport(nic: NcclNode): { ok: boolean | null; why: string } {
  const nets = nic.devices.flatMap((d) => d.raw.nccl?.nets ?? []);
  if (nets.some((n) => n.gdr === true)) return { ok: true, why: 'the XML marks the NIC gdr="1"' };
  if (nets.length && nets.every((n) => n.gdr === false)) return { ok: false, why: 'the XML marks the NIC gdr="0"' };
  const names = nic.devices.flatMap((d) => d.raw.classNames?.infiniband ?? []);
  if (names.length) return { ok: null, why: `${names.join(', ')}: GPUDirect needs nvidia-peermem or DMA-BUF and the net plugin's say, unknown here` };
  return { ok: null, why: 'whether this NIC is an RDMA device with GPUDirect support is unknown here' };
}

function gpuNicPair(fabric: Fabric, sys: NcclSystem, env: NcclEnv, gdrLevel: NcclReport['gdrLevel'], g: NcclNode, nic: NcclNode): NcclPair {
  const tree = treePath(sys, g.id, nic.id);
  const why: string[] = [`${tree.type ?? 'PHB or SYS'}: ${tree.why}`];
  const levers: string[] = [];
  const needsGpu: string[] = [];
  let path = tree.type;
  let distance = tree.type;
  let pxnVia: string | null = null;
  // PXN: relay through the NIC's closest GPU when that one is NVLink-connected to us and we'd cross a CPU.
  const peer = localGpu(sys, nic);
  const pxnMax: NcclPathType = env.pxnC2c ? 'P2C' : PXN_PEER_MAX;
  if (env.pxnDisable !== 1 && peer && peer !== g && tree.type !== null && rank(tree.type) > rank('PXN')) {
    const peerPath = treePath(sys, peer.id, nic.id).type;
    const nv = sys.nvlinks ? sys.nvlinks.get(g.id)?.has(peer.id) ?? false : null;
    if (peerPath !== null && le(peerPath, pxnMax)) {
      if (nv === true) {
        path = 'PXN'; distance = peerPath; pxnVia = peer.id;
        why.push(`PXN: GPU ${peer.id} is ${peerPath} to the NIC and NVLink-connected to this GPU: NCCL sends through it`);
        levers.push('NCCL_PXN_DISABLE=1 turns PXN off');
      } else if (nv === null) {
        needsGpu.push(`NVLink to GPU ${peer.id} (nvidia-smi nvlink -s): with it NCCL would use PXN through that GPU (${peerPath} to the NIC)`);
      }
    }
  }
  const support = netGdrSupport(nic);
  const gpuGdr = g.devices[0].raw.nccl?.gpu?.gdr ?? null;
  let gdr: boolean | null = null;
  if (distance !== null) {
    const close = le(distance, gdrLevel.type);
    why.push(`GDR by distance ${close ? 'yes' : 'no'}: ${distance}${pxnVia ? ' (the PXN peer\'s)' : ''} ${close ? '<=' : '>'} ${gdrLevel.type} (${gdrLevel.from})`);
    if (!close) levers.push(`NCCL_NET_GDR_LEVEL=${distance} (or SYS) allows GPUDirect RDMA`);
    else levers.push(`NCCL_NET_GDR_LEVEL below ${distance} turns GPUDirect RDMA off`);
    if (!close || support.ok === false || gpuGdr === false) gdr = false;
    else if (support.ok === true && gpuGdr !== null) gdr = true;
    else gdr = null;
  } else {
    why.push('GDR unknown: the path type is unknown here');
  }
  if (support.ok !== true || gpuGdr === null) {
    why.push(support.why);
    needsGpu.push('GPUDirect support (lsmod | grep nvidia_peermem, or NCCL_DEBUG=INFO "GPU Direct RDMA Enabled")');
  }
  const sm = g.devices[0].raw.nccl?.gpu?.sm ?? null;
  let gdrRead: boolean | null = gdr;
  if (gdr !== false) {
    if (env.gdrRead === 0) { gdrRead = false; why.push('GDR reads (sends) off: NCCL_NET_GDR_READ=0'); }
    else if (env.gdrRead < 0) {
      if (sm !== null && sm < GDR_READ_MIN_SM && !(sys.nvlinks?.get(g.id)?.size || sys.gpus.length === 1)) { gdrRead = false; why.push(`GDR reads (sends) off: sm_${sm} < ${GDR_READ_MIN_SM} without an NVLink peer`); levers.push('NCCL_NET_GDR_READ=1 allows GDR reads'); }
      else if (sm === null) { gdrRead = gdr === true ? null : gdr; why.push(`GDR reads (sends) need sm_${GDR_READ_MIN_SM}+ or an NVLink peer: compute capability unknown here`); }
    }
  }
  return finishPair(fabric, g, nic, 'gpu-nic', { path, pciPath: tree.type, via: tree.via, gdr, gdrRead, pxnVia, needsGpu, why, levers });
}

type PairCore = Omit<NcclPair, 'a' | 'b' | 'kind' | 'legend' | 'kernel' | 'difference'>;

function finishPair(fabric: Fabric, a: NcclNode, b: NcclNode, kind: NcclPair['kind'], core: PairCore): NcclPair {
  const da: Device = a.devices[0];
  const db: Device = b.devices[0];
  const legend = classifyLegend(fabric, da, db);
  const kernel = computeP2pdma(fabric, da, db);
  const pair: NcclPair = { a: a.id, b: b.id, kind, ...core, legend: legend.legend, kernel: kernel.verdict, difference: '' };
  pair.difference = describeDifference(pair, legend, kernel);
  return pair;
}

function unknowns(fabric: Fabric, sys: NcclSystem): string[] {
  const out = [...sys.notes];
  out.push('NVML P2P status per GPU pair: nvidia-smi topo -p2p rw (NCCL asks NVML and drops P2P when it is not OK)');
  if (fabric.source.method === 'nccl-xml') out.push('ACS, config space, link state beyond the XML\'s link_speed/width, drivers, IOMMU: an NCCL topology XML does not record them (kernel verdicts say unknown)');
  out.push('GPUs a job sees: CUDA_VISIBLE_DEVICES and the ranks decide; this counts every GPU in the source');
  return out;
}

export function buildNcclReport(fabric: Fabric, env: NcclEnv): NcclReport {
  const sys = buildNcclSystem(fabric);
  const p2pLevel = p2pLevelOf(fabric, sys, env);
  const gdrLevel = gdrLevelOf(env);
  const pairs: NcclPair[] = [];
  for (let i = 0; i < sys.gpus.length; i++) {
    for (let j = i + 1; j < sys.gpus.length; j++) pairs.push(gpuGpuPair(fabric, sys, env, p2pLevel, sys.gpus[i], sys.gpus[j]));
  }
  for (const g of sys.gpus) for (const n of sys.nics) pairs.push(gpuNicPair(fabric, sys, env, gdrLevel, g, n));
  const ep = (n: NcclNode) => ({ bdf: n.id, numa: cpuOf(sys, n)?.numa ?? null, names: [...new Set(n.devices.flatMap((d) => (d.alias ? [d.alias] : []).concat(d.names)))] });
  return {
    release: NCCL_RELEASE,
    source: { ...fabric.source },
    shape: sys.shape,
    cpu: { vendor: fabric.host.cpuVendor, arch: fabric.host.arch },
    gpus: sys.gpus.map(ep),
    nics: sys.nics.map(ep),
    p2pLevel,
    gdrLevel,
    env: env.seen,
    pairs,
    unknown: unknowns(fabric, sys),
    warnings: env.warnings,
  };
}

function cpuOf(sys: NcclSystem, n: NcclNode): NcclNode | null {
  let cur: NcclNode | undefined = n;
  while (cur && cur.kind !== 'cpu') cur = cur.parent ? sys.nodes.get(cur.parent) : undefined;
  return cur ?? null;
}
