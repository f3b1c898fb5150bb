// Picks the access method from the options (--dump, --root, live /), reads, and builds the Fabric.
import * as fs from 'node:fs';
import { UserError } from '../errors.js';
import { PciIds } from '../model/pci-ids.js';
import { buildFabric } from '../model/topology.js';
import type { Fabric } from '../model/types.js';
import { parseKernelRelease } from '../model/p2p/kernel-release.js';
import type { SourceOptions } from '../commands/shared.js';
import { parseLspciDump } from './dump.js';
import { readSysfsFabricFromOutline, readSysfsOutline, type SysfsOutline } from './sysfs.js';
import { sysfsDirReaderFromAddon, type SysfsDirReader } from './sysfs-dir-reader.js';
import type { RawFabric } from './types.js';

const SYSTEM_PCI_IDS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids'];

const pciIdsCache = new Map<string, PciIds | null>();

/** pci.ids from --pci-ids or the system; read once per process (`p2p diff` loads two fabrics). */
export function loadPciIds(file?: string): PciIds | null {
  const key = file ?? '';
  if (!pciIdsCache.has(key)) pciIdsCache.set(key, readPciIds(file));
  return pciIdsCache.get(key)!;
}

function readPciIds(file?: string): PciIds | null {
  if (file) {
    try {
      return new PciIds(fs.readFileSync(file, 'latin1'));
    } catch (e) {
      throw new UserError(`--pci-ids ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  for (const f of SYSTEM_PCI_IDS) {
    try {
      return new PciIds(fs.readFileSync(f, 'latin1'));
    } catch {
      /* try the next location */
    }
  }
  return null;
}

export function readDumpFile(file: string): RawFabric {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new UserError(`--dump ${file}: is a directory (expected an lspci -x dump file)`);
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--dump ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (text.includes('\u0000')) throw new UserError(`--dump ${file}: binary data, not an lspci text dump`);
  return parseLspciDump(text, file);
}

/** The native addon when it loaded (P2P_NO_ADDON=1 turns it off), else undefined: callers fall back. */
export async function loadedAddon(): Promise<typeof import('../native/addon.js') | undefined> {
  try {
    const addon = await import('../native/addon.js');
    return addon.addonStatus().loaded ? addon : undefined;
  } catch {
    return undefined;
  }
}

/** The addon's batched directory reader (a scan is a handful of calls, read on a few threads); undefined without the addon. */
export async function nativeSysfsDirReader(): Promise<SysfsDirReader | undefined> {
  const addon = await loadedAddon();
  return addon ? sysfsDirReaderFromAddon(addon) : undefined;
}

/** io_uring availability as the native helper sees it; undefined without the addon. */
export async function nativeIoUringProbe(): Promise<(() => { available: boolean; reason?: string } | null) | undefined> {
  const addon = await loadedAddon();
  if (!addon) return undefined;
  return () => {
    try {
      return addon.ioUringProbe();
    } catch {
      return null;
    }
  };
}

export async function loadRawFabric(opts: SourceOptions): Promise<RawFabric> {
  if (opts.dump) return readDumpFile(opts.dump);
  const outline = await loadSysfsOutline(opts);
  if (outline) return readSysfsFabricFromOutline(outline);
  // A snapshot archive (p2p snapshot): extracted to a private temp dir, read like a captured tree.
  const snapshot = await import('./snapshot.js');
  return snapshot.readSnapshotFabric(opts.root!, { readDir: await nativeSysfsDirReader() });
}

/**
 * The outline of a sysfs source (live or --root directory): its functions placed, none read yet. Null
 * for a dump or a snapshot archive, which are read whole.
 */
export async function loadSysfsOutline(opts: SourceOptions): Promise<SysfsOutline | null> {
  if (opts.dump) return null;
  if (opts.root) {
    const snapshot = await import('./snapshot.js');
    if (snapshot.isSnapshotPath(opts.root)) return null;
  }
  return readSysfsOutline(opts.root ?? '/', { readDir: await nativeSysfsDirReader() });
}

/** The fabric from the options, or from an outline loadSysfsOutline gave for them. */
/** The --kernel value, or a UserError when it names no release. */
function checkKernelOption(value: string): string {
  const rel = parseKernelRelease(String(value));
  if (rel === null) throw new UserError(`--kernel '${value}' is not a kernel release (give e.g. 6.8, 6.8.0-45-generic or latest)`);
  // "latest" becomes the newest release in the table, so every check that reads the release sees a number.
  return rel.raw === 'latest' ? `${rel.version.major}.${rel.version.minor}` : rel.raw;
}

export async function loadFabric(opts: SourceOptions, outline?: SysfsOutline | null): Promise<Fabric> {
  const raw = outline ? readSysfsFabricFromOutline(outline) : await loadRawFabric(opts);
  const fabric = buildFabric(raw, { pciIds: loadPciIds(opts.pciIds) });
  // --kernel RELEASE: decide for that kernel instead of the one the source names (see docs/p2p-rules.md).
  if (opts.kernel !== undefined) fabric.host.kernelRelease = checkKernelOption(opts.kernel);
  return fabric;
}
