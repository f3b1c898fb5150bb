// Reads, as explicit facts, the non-P2PDMA ways a device's memory can be a DMA target: device-DAX,
// RDMA devices and their netdevs, V4L2 and DVB nodes, HMM test-driver nodes and loaded modules.
// Everything is relative to `root` (/ on a live host, a captured tree in tests); unreadable stays null.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAttr } from './read-attr.js';
import type { RawClassDev, RawDaxDev, RawMemMechanisms, RawRdmaDev, RawVideoDev } from '../model/mem-mechanisms.js';

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
];
/** An RDMA port's first netdev: ports/N/ + this. */
export const RDMA_PORT_NETDEV = 'gid_attrs/ndevs/0';
/** Device nodes listed by name under /dev (a snapshot keeps an empty file for each). */
export const MECHANISM_DEV_PREFIXES: readonly string[] = ['hmm_dmirror'];

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
    const rel = path.relative(fs.realpathSync(root), fs.realpathSync(entryDir));
    return rel.startsWith('..') ? null : '/' + rel.split(path.sep).join('/');
  } catch {
    return null;
  }
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

function readModules(root: string): string[] | null {
  const text = readAttr(path.join(root, 'proc/modules'));
  if (text === null) return null;
  return text.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.length > 0);
}

/** Every mechanism's raw facts under `root`. */
export function readMemMechanisms(root = '/'): RawMemMechanisms {
  return {
    dax: readDax(root),
    rdma: readRdma(root),
    video: readVideo(root),
    dvb: classDevs(root, 'sys/class/dvb').map(({ name, devicePath }) => ({ name, devicePath })),
    hmmNodes: listDir(path.join(root, 'dev')).filter((n) => MECHANISM_DEV_PREFIXES.some((p) => n.startsWith(p))).map((n) => '/dev/' + n),
    modules: readModules(root),
  };
}
