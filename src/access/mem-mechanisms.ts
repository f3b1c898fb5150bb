// Reads, as explicit facts, the non-P2PDMA ways a device's memory can be a DMA target: device-DAX,
// RDMA devices and their netdevs, V4L2 and DVB nodes, HMM test-driver nodes, dma-buf (bufinfo, udmabuf,
// heaps), CXL devices, /proc/iomem's device ranges, amdgpu/KFD links and BARs, and loaded modules.
// Everything is relative to `root` (/ on a live host, a captured tree in tests); unreadable stays null.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAttr } from './read-attr.js';
import { KERNEL_BDF } from '../model/bdf.js';
import type {
  RawAmdgpuVram, RawClassDev, RawCxlDev, RawDaxDev, RawDmabuf, RawKfdNode, RawMemMechanisms, RawRdmaDev, RawText, RawVideoDev,
} from '../model/mem-mechanisms.js';

export type { RawMemMechanisms };

/**
 * What the reader below reads, as data the snapshot writer captures from too (one list for both): each
 * class directory, the attributes read in each entry, and the device nodes listed by name.
 */
export const MECHANISM_CLASS_DIRS: readonly { dir: string; attrs: readonly string[] }[] = [
  { dir: 'sys/bus/dax/devices', attrs: ['size', 'align', 'target_node'] },
  { dir: 'sys/class/infiniband', attrs: [] },
  { dir: 'sys/class/video4linux', attrs: ['name'] },
  { dir: 'sys/class/dvb', attrs: [] },
  { dir: 'sys/bus/cxl/devices', attrs: ['ram/size', 'pmem/size', 'serial', 'numa_node', 'size', 'mode', 'target_type', 'interleave_ways', 'commit', 'devtype'] },
];
/** Machine-wide files the reader reads whole (a snapshot keeps them, capped). */
export const MECHANISM_FILES = {
  bufinfo: 'sys/kernel/debug/dma_buf/bufinfo',
  iomem: 'proc/iomem',
  nvidiaFsVersion: 'proc/driver/nvidia-fs/version',
} as const;
/** KFD's topology (amdgpu compute): one directory per node, io_links and p2p_links under each. */
export const KFD_NODES = 'sys/class/kfd/kfd/topology/nodes';
/** amdgpu's VRAM sizes in each bound function's directory: visible (the BAR) against total. */
export const AMDGPU_DRIVER_DIR = 'sys/bus/pci/drivers/amdgpu';
export const AMDGPU_VRAM_FILES = ['mem_info_vram_total', 'mem_info_vis_vram_total'] as const;
/** Modules P2P importers need, looked up in /sys/module too (a built-in one is not in /proc/modules). */
export const PEER_MODULES = ['nvidia_peermem', 'nvidia_fs', 'amdgpu', 'udmabuf'] as const;
/** An RDMA port's first netdev: ports/N/ + this. */
export const RDMA_PORT_NETDEV = 'gid_attrs/ndevs/0';
/** Device nodes listed by name under /dev (a snapshot keeps an empty file for each). */
export const MECHANISM_DEV_PREFIXES: readonly string[] = ['hmm_dmirror', 'udmabuf'];
/** Directories under /dev listed by name (the DMA-BUF heaps). */
export const MECHANISM_DEV_DIRS: readonly string[] = ['dev/dma_heap'];

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The entry's real sysfs path (root-relative, absolute): it runs through the parent device's path,
 *  so a PCI function's BDF is in it; null when the entry cannot be resolved inside root. */
function entryRealPath(root: string, entryDir: string): string | null {
  try {
    const rel = path.relative(realRoot(root), fs.realpathSync(entryDir));
    return rel.startsWith('..') ? null : '/' + rel.split(path.sep).join('/');
  } catch {
    return null;
  }
}

/** The root's own real path, resolved once per root rather than once per class entry. */
const realRoots = new Map<string, string>();
function realRoot(root: string): string {
  let r = realRoots.get(root);
  if (r === undefined) realRoots.set(root, (r = fs.realpathSync(root)));
  return r;
}

function classDevs(root: string, classDir: string): Array<RawClassDev & { dir: string }> {
  const base = path.join(root, classDir);
  return listDir(base).map((name) => {
    const dir = path.join(base, name);
    return { name, dir, devicePath: entryRealPath(root, dir) };
  });
}

function readDax(root: string): RawDaxDev[] {
  return classDevs(root, 'sys/bus/dax/devices').map(({ name, dir, devicePath }) => ({
    name,
    devicePath,
    size: readAttr(path.join(dir, 'size')),
    align: readAttr(path.join(dir, 'align')),
    targetNode: readAttr(path.join(dir, 'target_node')),
  }));
}

function rdmaNetdevs(dir: string): string[] {
  const ports = path.join(dir, 'ports');
  const names = listDir(ports)
    .map((p) => readAttr(path.join(ports, p, RDMA_PORT_NETDEV)))
    .filter((n): n is string => !!n);
  return [...new Set(names)];
}

function readRdma(root: string): RawRdmaDev[] {
  return classDevs(root, 'sys/class/infiniband').map(({ name, dir, devicePath }) => ({
    name, devicePath, netdevs: rdmaNetdevs(dir),
  }));
}

function readVideo(root: string): RawVideoDev[] {
  return classDevs(root, 'sys/class/video4linux').map(({ name, dir, devicePath }) => ({
    name, devicePath, label: readAttr(path.join(dir, 'name')),
  }));
}

/** A whole file, or why not: 'absent' (no such file: not mounted, not built) or 'denied' (needs root). */
function readWhole(file: string): RawText {
  try {
    return { text: fs.readFileSync(file, 'utf8'), error: null };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { text: null, error: code === 'EACCES' || code === 'EPERM' ? 'denied' : 'absent' };
  }
}

function readDmabuf(root: string): RawDmabuf {
  const dev = listDir(path.join(root, 'dev'));
  return {
    bufinfo: readWhole(path.join(root, MECHANISM_FILES.bufinfo)),
    udmabuf: dev.includes('udmabuf'),
    heaps: listDir(path.join(root, 'dev/dma_heap')),
  };
}

function readCxl(root: string): RawCxlDev[] | null {
  const dir = 'sys/bus/cxl/devices';
  if (!fs.existsSync(path.join(root, dir))) return null;
  const attrs = MECHANISM_CLASS_DIRS.find((c) => c.dir === dir)!.attrs;
  return classDevs(root, dir).map(({ name, dir: d, devicePath }) => ({
    name, devicePath, attrs: Object.fromEntries(attrs.map((a) => [a, readAttr(path.join(d, a))]).filter(([, v]) => v !== null)),
  }));
}

function readKfd(root: string): RawKfdNode[] | null {
  const base = path.join(root, KFD_NODES);
  if (!fs.existsSync(base)) return null;
  const links = (dir: string) => listDir(dir).map((n) => readAttr(path.join(dir, n, 'properties')) ?? '');
  return listDir(base).map((name) => ({
    name,
    properties: readAttr(path.join(base, name, 'properties')),
    ioLinks: links(path.join(base, name, 'io_links')),
    p2pLinks: links(path.join(base, name, 'p2p_links')),
  }));
}

function readAmdgpuVram(root: string): RawAmdgpuVram[] {
  const bound = listDir(path.join(root, AMDGPU_DRIVER_DIR)).filter((n) => KERNEL_BDF.test(n));
  return bound.map((bdf) => {
    const dir = path.join(root, 'sys/bus/pci/devices', bdf);
    return { bdf, vramTotal: readAttr(path.join(dir, AMDGPU_VRAM_FILES[0])), visVramTotal: readAttr(path.join(dir, AMDGPU_VRAM_FILES[1])) };
  });
}

function readModules(root: string): string[] | null {
  const text = readAttr(path.join(root, 'proc/modules'));
  if (text === null) return null;
  return text.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.length > 0);
}

/**
 * The mechanisms under `root`, or why not: an offline tree without any of the class directories did not
 * capture them (an older snapshot, a partial tree), which is unknown, not "none".
 */
export function readCapturedMemMechanisms(root: string, live: boolean): { known: true; value: RawMemMechanisms } | { known: false; reason: string } {
  const dirs = MECHANISM_CLASS_DIRS.map((c) => c.dir);
  if (!live && !dirs.some((d) => isDir(path.join(root, d)))) {
    return { known: false, reason: `the source has none of ${dirs.join(', ')} (not captured, or the kernel has none of these classes)` };
  }
  return { known: true, value: readMemMechanisms(root) };
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every mechanism's raw facts under `root`. */
export function readMemMechanisms(root = '/'): RawMemMechanisms {
  return {
    dax: readDax(root),
    rdma: readRdma(root),
    video: readVideo(root),
    dvb: classDevs(root, 'sys/class/dvb').map(({ name, devicePath }) => ({ name, devicePath })),
    hmmNodes: listDir(path.join(root, 'dev')).filter((n) => n.startsWith('hmm_dmirror')).map((n) => '/dev/' + n),
    modules: readModules(root),
    sysModules: PEER_MODULES.filter((m) => fs.existsSync(path.join(root, 'sys/module', m))),
    dmabuf: readDmabuf(root),
    cxl: readCxl(root),
    iomem: readWhole(path.join(root, MECHANISM_FILES.iomem)),
    kfd: readKfd(root),
    amdgpuVram: readAmdgpuVram(root),
    nvidiaFs: readWhole(path.join(root, MECHANISM_FILES.nvidiaFsVersion)),
  };
}
