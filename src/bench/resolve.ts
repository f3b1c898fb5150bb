// Turning what the user typed into a bench source (path) and destination (host, p2pmem, GPU), and deciding
// whether the direct path is possible — with a one-line reason when it is not. Pure functions over facts;
// the command gathers the facts (sysfs, fabric, cuFile probe).
import { join } from 'node:path';
import type { NativeDestination } from '../native/addon.js';
import { labelWithBdf, shortLabel } from '../model/aliases.js';

// ---------------------------------------------------------------------------------------------
// Source
// ---------------------------------------------------------------------------------------------

/** Directory listing used to find an NVMe controller's namespaces; tests pass a fake. */
export type ListDir = (dir: string) => string[];

/** Facts from the fabric about a device named by alias/BDF (only what the bench needs). */
export interface DeviceFacts {
  bdf: string;
  alias: string | null;
  names: string[];
  kind: string;
  vendorId: string | null;
  p2pmem: { size: number | null; available: number | null; published: boolean | null } | null | undefined;
}

const NAMESPACE = /^nvme\d+n\d+$/;
const CONTROLLER = /^nvme\d+$/;
const MULTIPATH_NS = /^nvme(\d+)c\d+n(\d+)$/;

/** The namespace block devices of NVMe controller `ctrl` under <root>/sys/class/nvme/<ctrl>/ (sorted). */
export function namespacesOf(ctrl: string, root: string, list: ListDir): string[] {
  const entries = list(join(root, 'sys/class/nvme', ctrl));
  const direct = entries.filter((e) => e.startsWith(ctrl + 'n') && NAMESPACE.test(e));
  const viaHead = entries.map((e) => MULTIPATH_NS.exec(e)).filter((m): m is RegExpExecArray => m !== null).map((m) => `nvme${m[1]}n${m[2]}`);
  const byNum = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return [...new Set([...direct.sort(byNum), ...viaHead.sort(byNum)])];
}

export type SourceSpec =
  | { kind: 'path'; path: string }
  | { kind: 'needs-fabric' };

/**
 * Resolve a source without the fabric where possible: a path (contains '/', or exists), an NVMe namespace
 * name (nvme0n1 -> /dev/nvme0n1) or controller (nvme0 -> its first namespace). Anything else (gpu0, a BDF)
 * needs the fabric: see sourceFromDevice.
 */
export function resolveSourceSpec(spec: string, env: { root: string; devDir: string; list: ListDir; exists(p: string): boolean }): SourceSpec {
  if (spec.includes('/')) return { kind: 'path', path: spec };
  if (NAMESPACE.test(spec)) return { kind: 'path', path: join(env.devDir, spec) };
  if (CONTROLLER.test(spec)) {
    const ns = namespacesOf(spec, env.root, env.list);
    if (!ns.length) throw new SourceError(`${spec} has no namespace block device (nothing under ${join(env.root, 'sys/class/nvme', spec)})`);
    return { kind: 'path', path: join(env.devDir, ns[0]) };
  }
  if (env.exists(spec)) return { kind: 'path', path: spec };
  return { kind: 'needs-fabric' };
}

/** A fabric device as a source: its NVMe namespace, found through its kernel names. */
export function sourceFromDevice(dev: DeviceFacts, env: { root: string; devDir: string; list: ListDir }): string {
  const ns = dev.names.find((n) => NAMESPACE.test(n));
  if (ns) return join(env.devDir, ns);
  const ctrl = dev.names.find((n) => CONTROLLER.test(n));
  if (ctrl) {
    const list = namespacesOf(ctrl, env.root, env.list);
    if (list.length) return join(env.devDir, list[0]);
    throw new SourceError(`${shortLabel(dev)} (${ctrl}) has no namespace block device`);
  }
  throw new SourceError(`${shortLabel(dev)} is not an NVMe controller: give a block device or file path as the source`);
}

/** Source problems the user can fix. */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/** PCI function that does the DMA for a block device: the last BDF in its /sys/dev/block link target. */
export function bdfFromSysfsPath(target: string): string | null {
  const m = target.match(/[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/gi);
  return m ? m[m.length - 1].toLowerCase() : null;
}

// ---------------------------------------------------------------------------------------------
// Destination
// ---------------------------------------------------------------------------------------------

export interface DestinationFacts {
  /** What the user typed ("host", "gpu0", "0000:03:00.0"). */
  spec: string;
  /** The fabric device, null for "host". */
  device: DeviceFacts | null;
  /** Root for sysfs paths ("/" live). */
  root: string;
  /** `uname -r`, e.g. "6.12.117". */
  kernelRelease: string | null;
  /** CONFIG_PCI_P2PDMA: true =y, false not set, null unknown (no /proc/config.gz). */
  kernelP2pdma: boolean | null;
  /** Whether <root>/sys/bus/pci/devices/BDF/p2pmem/allocate exists. */
  allocateExists: boolean;
  /** Result of probeCuFile() for NVIDIA devices (null: not probed). */
  cufile: { available: boolean; stage?: string; reason?: string; devicePciIds?: (string | null)[] } | null;
  /**
   * The P2P pair analysis for (source's DMA client, destination provider), written elsewhere
   * (model/p2p computeP2pdma). Null when unknown/not computed. NOT_SUPPORTED makes the direct path impossible.
   */
  pairVerdict: { mapType: string | null; verdict: string; reason: string | null } | null;
}

export interface DestinationPlan {
  /** Short label for tables: "host", "p2pmem 0000:03:00.0", "gpu0 (cuFile)". */
  label: string;
  /** Native destination for the direct path (null when impossible). */
  direct: NativeDestination | null;
  /** One line: why the direct path is impossible. */
  directReason: string | null;
  /** Native destination for the bounce path (always possible: host memory at worst). */
  bounce: NativeDestination;
  /** Set when the bounce path cannot reach the device itself and measures into host memory instead. */
  bounceNote: string | null;
  /** p2pmem bytes available for the mapping (null when unknown or not p2pmem). */
  p2pmemAvailable: number | null;
}

/** "6.12.117-amd64" -> [6, 12]. */
export function kernelVersion(release: string | null): [number, number] | null {
  const m = release?.match(/^(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function kernelBlocksP2pmem(f: DestinationFacts): string | null {
  const v = kernelVersion(f.kernelRelease);
  if (v && (v[0] < 6 || (v[0] === 6 && v[1] < 2))) {
    return `kernel ${f.kernelRelease} is older than 6.2: no userspace p2pmem mmap with O_DIRECT`;
  }
  if (f.kernelP2pdma === false) return `kernel ${f.kernelRelease ?? ''} is built without CONFIG_PCI_P2PDMA`.replace('  ', ' ');
  return null;
}

const HOST: NativeDestination = { kind: 'host' };

/** Decide the direct and bounce destinations for one bench, with the reason when direct is impossible. */
export function planDestination(f: DestinationFacts): DestinationPlan {
  if (f.spec === 'host' || f.device === null) {
    return { label: 'host', direct: HOST, directReason: null, bounce: HOST, bounceNote: null, p2pmemAvailable: null };
  }
  const d = f.device;
  const name = shortLabel(d);
  const label = labelWithBdf(d);
  const allocatePath = join(f.root, 'sys/bus/pci/devices', d.bdf, 'p2pmem/allocate');
  const notSupported = f.pairVerdict && f.pairVerdict.mapType === 'NOT_SUPPORTED'
    ? `verdict NOT_SUPPORTED for this pair: ${f.pairVerdict.reason ?? f.pairVerdict.verdict}`
    : null;

  // 1. A p2pmem provider
  if (d.p2pmem && d.p2pmem.published !== null) {
    const kernelWhy = kernelBlocksP2pmem(f);
    const mappable = f.allocateExists;
    const bounce: NativeDestination = mappable ? { kind: 'p2pmem', allocatePath } : HOST;
    const bounceNote = mappable ? null : `${allocatePath} does not exist: the bounce run copies into host memory`;
    let why: string | null = null;
    if (kernelWhy) why = kernelWhy;
    else if (!mappable) why = `${name} has p2pmem but ${allocatePath} is missing (kernel older than 6.2?)`;
    else if (d.p2pmem.published === false) why = `${name} has p2pmem but does not publish it (p2pmem/published = 0)`;
    else if (notSupported) why = notSupported;
    return {
      label: `p2pmem ${label}`,
      direct: why ? null : { kind: 'p2pmem', allocatePath },
      directReason: why,
      bounce,
      bounceNote,
      p2pmemAvailable: d.p2pmem.available ?? null,
    };
  }

  // 2. An NVIDIA GPU: cuFile
  if (d.vendorId?.toLowerCase() === '10de' || d.kind === 'gpu') {
    const isNvidia = d.vendorId?.toLowerCase() === '10de';
    const cf = f.cufile;
    const ordinal = cf?.devicePciIds?.findIndex((id) => id !== null && id.toLowerCase().endsWith(d.bdf.slice(-7))) ?? -1;
    // libcuda worked and lists this GPU: the bounce path can cuMemcpyHtoD into it even without cuFile
    const cudaOk = ordinal >= 0;
    let why: string | null = null;
    if (!isNvidia) why = `${name} is not an NVIDIA GPU and publishes no p2pmem: no direct path to its memory`;
    else if (!cf) why = 'cuFile was not probed';
    else if (!cf.available) why = `no cuFile (GPUDirect Storage): ${cf.reason ?? cf.stage ?? 'unavailable'}`;
    else if (ordinal < 0) why = `CUDA does not list ${d.bdf} among its devices`;
    else if (notSupported) why = notSupported;
    const gpuDest: NativeDestination = { kind: 'cufile', gpuOrdinal: Math.max(ordinal, 0) };
    return {
      label: `${label} (GPU)`,
      direct: why ? null : gpuDest,
      directReason: why,
      bounce: cudaOk ? gpuDest : HOST,
      bounceNote: cudaOk ? null : 'no CUDA driver to copy into GPU memory: the bounce run copies into host memory',
      p2pmemAvailable: null,
    };
  }

  // 3. Anything else: no p2pmem
  const why = kernelBlocksP2pmem(f) ?? `${name} publishes no p2pmem (no ${join(f.root, 'sys/bus/pci/devices', d.bdf, 'p2pmem')})`;
  return {
    label,
    direct: null,
    directReason: why,
    bounce: HOST,
    bounceNote: 'the device has no CPU-mappable p2pmem: the bounce run copies into host memory',
    p2pmemAvailable: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Memory destinations without a PCI function: device-DAX and udmabuf
// ---------------------------------------------------------------------------------------------

const DAX_NODE = /^\/dev\/dax\d+\.\d+$/;

/** Whether DEST names memory the engine maps itself (a /dev/daxX.Y node or 'udmabuf'), not a fabric device. */
export function isMemoryDestination(spec: string): boolean {
  return spec === 'udmabuf' || DAX_NODE.test(spec);
}

/**
 * NVMe -> device-DAX or NVMe -> udmabuf: both paths land in that memory (direct: O_DIRECT into the
 * mapping; bounce: host staging, then a CPU copy into it). The node must exist (SourceError otherwise).
 */
export function planMemoryDestination(spec: string, root: string, exists: (p: string) => boolean): DestinationPlan {
  const node = spec === 'udmabuf' ? join(root, 'dev/udmabuf') : join(root, spec);
  if (!exists(node)) {
    throw new SourceError(spec === 'udmabuf' ? `no ${node}: this kernel has no udmabuf device (CONFIG_UDMABUF)` : `no ${node}: no such device-DAX device`);
  }
  const dest: NativeDestination = spec === 'udmabuf' ? { kind: 'udmabuf', path: node } : { kind: 'dax', path: node };
  return { label: spec === 'udmabuf' ? 'udmabuf (its memfd pages)' : `device-DAX ${spec}`, direct: dest, directReason: null, bounce: dest, bounceNote: null, p2pmemAvailable: null };
}
