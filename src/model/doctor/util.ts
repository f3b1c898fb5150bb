// Small pure helpers the doctor checks share: version parsing, sizes, capped lists, link pairs.
import type { Device, Fabric } from '../types.js';
import type { Status } from './types.js';

/** "6.12.117-amd64" -> [6, 12]; null when it does not start with two numbers. */
export function parseKernelVersion(release: string | null): [number, number] | null {
  if (!release) return null;
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? [parseInt(m[1], 10), parseInt(m[2], 10)] : null;
}

export function versionAtLeast(v: [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** At most `max` lines, then "... and N more". */
export function capped(lines: string[], max = 12): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max), `... and ${lines.length - max} more`];
}

export function worst(statuses: Status[]): Status {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('warn')) return 'warn';
  if (statuses.includes('ok')) return 'ok';
  return 'skip';
}

export function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/** "nvme0 (0000:03:00.0)" or just the BDF: the one home is model/aliases.ts. */
export { labelWithBdf as deviceLabel } from '../aliases.js';

const DOWNSTREAM_PORT_KINDS = new Set(['root-port', 'switch-downstream']);

/** The port at the other end of `d`'s upstream link, or null (root-bus functions, internal switch links). */
export function linkPartner(fabric: Fabric, d: Device): Device | null {
  if (!d.parent) return null;
  const p = fabric.byBdf.get(d.parent);
  if (!p) return null;
  if (DOWNSTREAM_PORT_KINDS.has(p.kind) || p.portType === 'root-port' || p.portType === 'downstream') return p;
  return null;
}

/** Functions that sit at the bottom of a physical link, with the port above them. */
export function physicalLinks(fabric: Fabric): { port: Device; dev: Device }[] {
  const out: { port: Device; dev: Device }[] = [];
  for (const d of fabric.devices) {
    if (d.physfn) continue; // VFs share their PF's link
    const port = linkPartner(fabric, d);
    if (port) out.push({ port, dev: d });
  }
  return out;
}

/** True for functions only root can fully see: fewer than 256 bytes of config space (capabilities unknown). */
export function shortConfig(d: Device): boolean {
  return d.configBytes < 256;
}

export function isNvidiaGpu(d: Device): boolean {
  return d.kind === 'gpu' && d.vendorId === '10de';
}

/** Why a Device Control field (MPS, MRRS, relaxed ordering) is null for these devices. */
export function whyRegisterUnknown(devs: readonly Device[], what: string): string {
  const short = devs.filter((d) => d.configBytes < 256 || !d.capabilities.complete);
  if (short.length === devs.length) return `${what} unknown for ${devs.length === 1 ? 'the' : `all ${devs.length}`} device(s): Device Control lives past byte 64 of config space (needs root)`;
  if (short.length === 0) return `${what} unknown: ${devs.length === 1 ? 'the device has' : `the ${devs.length} devices have`} no PCI Express capability (conventional PCI or virtual devices)`;
  return `${what} unknown for ${devs.length} device(s): ${short.length} show only part of their config space (needs root), the others have no PCI Express capability`;
}
