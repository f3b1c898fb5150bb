// The source layer's one object (pciutils' `struct pci_methods`): which method reads the fabric (live
// sysfs, a captured tree, a snapshot archive, an lspci dump, an NCCL topology XML), whether that is this machine, its root,
// how to read the fabric (outline, full) and fill what a view asks, host facts, and requireLive.
// Built only by openSource: no other module decides whether a source is live.
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { buildFabric, applyFilledFacts } from '../model/topology.js';
import { FABRIC_CONFIG_NEEDS, SHOW_CONFIG_NEEDS } from '../model/caps/fabric-needs.js';
import { parseKernelRelease } from '../model/p2p/kernel-release.js';
import type { Device, Fabric } from '../model/types.js';
import { FILL_ALL, FILL_CONFIG_FULL, FILL_NONE, type FabricSource, type RawFabric, type SourceMethod } from './types.js';
import { loadPciIds, nativeSysfsDirReader, readDumpFile } from './load.js';
import { fillHostInfo } from './host-info.js';
import { fetchMoreConfig, fillSysfsDevices, readSysfsFabricFromOutline, readSysfsOutline, type SysfsOutline } from './sysfs.js';
import { readSysfsDirWithFs } from './sysfs-dir-reader.js';
import { isSnapshotPath, readSnapshotFabric, sourceRoot, type SnapshotManifest } from './snapshot.js';
import { isNcclXmlPath } from './nccl-xml-path.js';
import { readCapturedMemMechanisms, type RawMemMechanisms } from './mem-mechanisms.js';

/** --root, --dump and --pci-ids as the commands pass them. */
export interface SourceOptions {
  root?: string;
  dump?: string;
  pciIds?: string;
  /** --kernel: decide P2PDMA for this release ("6.8.0-45-generic", "latest") instead of the source's. */
  kernel?: string;
}

export interface Source {
  readonly method: SourceMethod;
  /** '/' for this machine, else the --root or --dump argument. */
  readonly location: string;
  /** The machine p2p runs on: no --dump, and --root absent or naming '/'. */
  readonly live: boolean;
  /** What a fabric read from here carries as `fabric.source`. */
  readonly describe: FabricSource;
  /** The filesystem root to read: '/', the --root directory, a snapshot's extraction; null for a dump or an NCCL XML. */
  fsRoot(): string | null;
  /** The archive's manifest for a snapshot source, else null. */
  manifest(): SnapshotManifest | null;
  /** uid of whoever read this source's config space: this process's when live, the manifest's for a snapshot, else null. */
  readerUid(): number | null;
  /** Refuses an offline source with one line, the way pciutils' dump_write refuses writes: `what` needs this machine. */
  requireLive(what: string): void;
  /** A sysfs source's functions placed, none read yet (the TUI's early frame); null for a dump or snapshot. */
  outline(): Promise<SysfsOutline | null>;
  /** The raw facts with the FILL_* bits asked (src/model/raw.ts). */
  readRaw(fill?: number, outline?: SysfsOutline | null): Promise<RawFabric>;
  /** The model built from readRaw. */
  fabric(fill?: number, outline?: SysfsOutline | null): Promise<Fabric>;
  /** Reads the FILL_* facts `fields` asks that `fabric` lacks (pciutils' pci_fill_info), then records them. */
  fill(fabric: Fabric, fields: number): Promise<void>;
  /** For `devices`, the config registers `p2p show` decodes (header, every capability) where the fabric was read on demand. */
  fillConfig(fabric: Fabric, devices: readonly Device[]): Promise<void>;
  /**
   * Device-memory mechanisms (device-DAX, RDMA, V4L2/DVB, HMM, dma-buf, CXL, KFD) under the source's root, read
   * when called: the explicit fact `topo`, `show` and `doctor` ask for. Unknown (with why) for a dump, an NCCL XML,
   * or an offline tree that captured none of their directories.
   */
  memMechanisms(): { known: true; value: RawMemMechanisms } | { known: false; reason: string };
}

/** Where the options read from, decided once: the one liveness rule. */
function classify(opts: SourceOptions): { method: SourceMethod; location: string; live: boolean } {
  if (opts.dump !== undefined) return { method: 'dump', location: opts.dump, live: false };
  if (opts.root === undefined) return { method: 'sysfs', location: '/', live: true };
  if (isNcclXmlPath(opts.root)) return { method: 'nccl-xml', location: opts.root, live: false };
  if (isSnapshotPath(opts.root)) return { method: 'snapshot', location: opts.root, live: false };
  return { method: 'sysfs', location: opts.root, live: path.resolve(opts.root) === '/' };
}

function offlineLine(what: string, s: { method: SourceMethod; location: string }): string {
  const where = s.method === 'dump' ? `the lspci dump ${s.location}` : s.method === 'snapshot' ? `the snapshot ${s.location}`
    : s.method === 'nccl-xml' ? `the NCCL topology file ${s.location}` : `the captured tree ${s.location}`;
  const flag = s.method === 'dump' ? '--dump' : '--root';
  return `${what} needs this machine, but the fabric comes from ${where}: run it without ${flag}`;
}

/** The --kernel value, or a UserError when it names no release. */
function checkKernelOption(value: string): string {
  const rel = parseKernelRelease(String(value));
  if (rel === null) throw new UserError(`--kernel '${value}' is not a kernel release (give e.g. 6.8, 6.8.0-45-generic or latest)`);
  // "latest" becomes the newest release in the table, so every check that reads the release sees a number.
  return rel.raw === 'latest' ? `${rel.version.major}.${rel.version.minor}` : rel.raw;
}

/** The source the options name. Cheap: nothing is read until outline/readRaw/fabric. */
export function openSource(opts: SourceOptions): Source {
  const { method, location, live } = classify(opts);
  const describe: FabricSource = { method, location, live };
  const fsRoot = () => (method === 'dump' || method === 'nccl-xml' ? null : sourceRoot(method === 'sysfs' && live ? undefined : opts.root).root);
  const manifest = () => (method === 'snapshot' ? sourceRoot(opts.root).snapshot?.manifest ?? null : null);
  const stamp = (raw: RawFabric): RawFabric => ({ ...raw, source: describe });

  const source: Source = {
    method, location, live, describe, fsRoot, manifest,
    readerUid: () => (live ? process.getuid?.() ?? null : manifest()?.uid ?? null),
    requireLive(what) {
      if (!live) throw new UserError(offlineLine(what, describe));
    },
    async outline() {
      if (method !== 'sysfs') return null;
      // On the live machine every config dword is a transaction: read what the decoders need, unless asked for all.
      return readSysfsOutline(location, { readDir: await nativeSysfsDirReader(), live, configNeeds: live ? FABRIC_CONFIG_NEEDS : null });
    },
    async readRaw(fill = FILL_ALL, outline) {
      if (method === 'dump') return stamp(readDumpFile(location));
      // Loaded only for such a file: the XML parser is not part of every command's start-up.
      if (method === 'nccl-xml') return stamp((await import('./nccl-xml.js')).readNcclXmlFile(location));
      if (method === 'snapshot') return stamp(readSnapshotFabric(location, { readDir: await nativeSysfsDirReader(), fill }));
      return stamp(readSysfsFabricFromOutline(outline ?? (await source.outline())!, fill));
    },
    async fabric(fill = FILL_ALL, outline) {
      const fabric = buildFabric(await source.readRaw(fill, outline), { pciIds: loadPciIds(opts.pciIds) });
      // --kernel RELEASE: decide for that kernel instead of the one the source names (see docs/p2p-rules.md).
      if (opts.kernel !== undefined) fabric.host.kernelRelease = checkKernelOption(opts.kernel);
      return fabric;
    },
    async fill(fabric, fields) {
      const missing = fields & ~(fabric.filled ?? FILL_ALL);
      const root = fsRoot();
      if (missing === FILL_NONE || root === null) return;
      const readDir = (await nativeSysfsDirReader()) ?? readSysfsDirWithFs;
      fillSysfsDevices(root, fabric.devices.map((d) => d.raw), missing, readDir);
      fillHostInfo(fabric.host, root, missing, readDir);
      for (const d of fabric.devices) applyFilledFacts(d);
      fabric.filled = (fabric.filled ?? FILL_ALL) | missing;
    },
    async fillConfig(fabric, devices) {
      const root = fsRoot();
      // Only the live machine reads config on demand; other sources hold whole spaces.
      if (!live || method !== 'sysfs' || (fabric.filled ?? FILL_ALL) & FILL_CONFIG_FULL || root === null) return;
      fetchMoreConfig(root, devices.map((d) => d.raw), SHOW_CONFIG_NEEDS, (await nativeSysfsDirReader()) ?? readSysfsDirWithFs);
      for (const d of devices) d.config = d.raw.config;
    },
    memMechanisms() {
      const root = fsRoot();
      if (root === null) return { known: false, reason: `${method === 'dump' ? 'an lspci dump' : 'an NCCL topology XML'} holds no device nodes` };
      return readCapturedMemMechanisms(root, live);
    },
  };
  return source;
}
