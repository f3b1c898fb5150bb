// `p2p probe`'s I/O: what the PROVIDER argument names on this machine (a p2pmem allocate file, a
// device-DAX node, the udmabuf device, host memory), checks of the consumer inputs, and the native
// probe itself, whose answers become the typed ProbeReport (src/model/probe.ts).
import { existsSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { KERNEL_BDF } from '../model/bdf.js';
import { allSkipped, buildProbeReport, type ProbeProvider, type ProbeReport } from '../model/probe.js';
import type { PeerProbeOptions, PeerProbeResult } from '../native/addon.js';

export interface ProbeInputs {
  provider: string;
  device?: string;
  file?: string;
  rdma?: string;
  video?: string;
  size: number;
  write: boolean;
  /** The libibverbs to dlopen (P2P_LIBIBVERBS), default libibverbs.so.1. */
  ibverbsLib?: string;
}

/** What the probe needs from the machine; tests replace parts. */
export interface ProbeDeps {
  root: string;
  probe(opts: PeerProbeOptions): PeerProbeResult;
  /** Null when the addon loads, else why not. */
  addonProblem(): string | null;
}

const DAX_NODE = /^\/dev\/dax\d+\.\d+$/;
const SHORT_BDF = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** PROVIDER -> the memory to map. Bad or absent providers are one line (exit 2). */
export function resolveProvider(spec: string, root: string): Omit<ProbeProvider, 'what' | 'mappedBytes' | 'dmabuf'> {
  const s = spec.trim();
  if (s === 'host') return { spec, kind: 'host', path: null };
  if (s === 'udmabuf') {
    const dev = join(root, 'dev/udmabuf');
    if (!existsSync(dev)) throw new UserError(`no ${dev}: this kernel has no udmabuf device (CONFIG_UDMABUF)`);
    return { spec, kind: 'udmabuf', path: dev };
  }
  if (DAX_NODE.test(s)) {
    const sys = join(root, 'sys/bus/dax/devices', basename(s));
    const dev = join(root, s);
    if (!existsSync(dev)) throw new UserError(`no ${dev}${existsSync(sys) ? '' : ` (and no ${sys})`}: no such device-DAX device`);
    return { spec, kind: 'dax', path: dev };
  }
  const lower = s.toLowerCase();
  const bdf = SHORT_BDF.test(lower) ? `0000:${lower}` : lower;
  if (KERNEL_BDF.test(bdf)) {
    const dir = join(root, 'sys/bus/pci/devices', bdf);
    if (!existsSync(dir)) throw new UserError(`no PCI function ${bdf} on this machine`);
    const allocate = join(dir, 'p2pmem/allocate');
    if (!existsSync(allocate)) throw new UserError(`${bdf} publishes no p2pmem (no ${allocate}; a CONFIG_PCI_P2PDMA kernel of 6.2 or later and a provider driver are needed)`);
    return { spec, kind: 'p2pmem', path: allocate };
  }
  throw new UserError(`PROVIDER must be a PCI function with p2pmem (0000:03:00.0), a device-DAX node (/dev/dax0.0), udmabuf or host, not '${spec}'`);
}

function requireKind(path: string, what: string, ok: (st: Stats) => boolean, expect: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UserError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!ok(st)) throw new UserError(`${what} ${path} is not ${expect}`);
}

/** Each consumer input names what it should: a block device, a directory, a character device. */
export function checkInputs(i: ProbeInputs): void {
  if (i.device !== undefined) requireKind(i.device, '--device', (st) => st.isBlockDevice(), 'a block device');
  if (i.file !== undefined) requireKind(i.file, '--file', (st) => st.isDirectory(), 'a directory');
  if (i.video !== undefined) requireKind(i.video, '--video', (st) => st.isCharacterDevice(), 'a character device (/dev/videoN)');
  if (i.rdma !== undefined && !/^[\w.-]+$/.test(i.rdma)) throw new UserError(`--rdma takes an RDMA device name (rxe0, mlx5_0), not '${i.rdma}'`);
}

/** Map the provider's memory and ask every consumer; the addon missing makes every consumer a skip. */
export function runPeerProbe(i: ProbeInputs, deps: ProbeDeps): ProbeReport {
  const p = resolveProvider(i.provider, deps.root);
  checkInputs(i);
  const problem = deps.addonProblem();
  if (problem) {
    return buildProbeReport({ ...p, what: p.path ? `${p.kind} ${p.path}` : 'host memory', mappedBytes: 0, dmabuf: false }, i.size, i.write, allSkipped(problem));
  }
  let r: PeerProbeResult;
  try {
    r = deps.probe({
      kind: p.kind, size: i.size, write: i.write,
      ...(p.path && p.kind !== 'host' ? { path: p.path } : {}),
      ...(i.device ? { blockDevice: i.device } : {}),
      ...(i.file ? { fileDir: i.file } : {}),
      ...(i.rdma ? { rdmaDevice: i.rdma } : {}),
      ...(i.video ? { videoDevice: i.video } : {}),
      ...(i.ibverbsLib ? { ibverbsLib: i.ibverbsLib } : {}),
    });
  } catch (e) {
    throw new UserError(`cannot map the memory to probe: ${(e as Error).message}`);
  }
  return buildProbeReport({ ...p, what: r.provider.what, mappedBytes: r.provider.mappedBytes, dmabuf: r.provider.dmabuf }, i.size, i.write, r.consumers);
}
