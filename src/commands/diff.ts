// `p2p diff BASELINE [CURRENT]`: drift between two snapshots, or a snapshot and this machine.
// Exit 0 when identical, 1 when there is drift, 2 on errors (unreadable or corrupt input, usage).
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, type CommandIO } from './shared.js';
import { processIO } from './process-io.js';
import type { DiffSide, DiffSideInfo, DriftKind } from '../model/diff.js';

export interface DiffCommandOptions {
  /** Snapshot file or captured tree. */
  baseline: string;
  /** Snapshot file or captured tree; the live machine when absent. */
  current?: string;
  json?: boolean;
  /** Kinds of change not to count as drift. */
  ignore?: string[];
  /** Skip the pair verdict comparison (faster on very large fabrics). */
  pairs?: boolean;
  pciIds?: string;
}

async function loadSide(location: string | undefined, opts: DiffCommandOptions): Promise<{ side: DiffSide; info: DiffSideInfo; notes: string[] }> {
  const { UserError } = await import('../errors.js');
  const { openSource } = await import('../access/source.js');
  const { readAerCounterMap } = await import('../access/aer-counters.js');
  if (location !== undefined && !fs.existsSync(location)) throw new UserError(`${location}: no such file or directory`);
  const source = openSource({ root: location, pciIds: opts.pciIds });
  const fabric = await source.fabric();
  const manifest = source.manifest();
  const notes: string[] = [];
  const aerCounters = readAerCounterMap(source.fsRoot()!, fabric.devices.map((d) => ({ bdf: d.bdf, origin: d.raw.origin })));
  let pairs: DiffSide['pairs'] = null;
  if (opts.pairs !== false) {
    try {
      const p2p = await import('../model/p2p/index.js');
      const report = p2p.buildMatrix(fabric, p2p.selectEndpoints(fabric));
      pairs = report.pairs.map((p) => ({ client: p.client, provider: p.provider, legend: p.legend, verdict: p.p2pdma.verdict, mapType: p.p2pdma.mapType }));
    } catch (e) {
      notes.push(`pair verdicts could not be computed for ${location ?? 'this machine'}: ${(e as Error).message}`);
    }
  }
  const info: DiffSideInfo = {
    method: source.method,
    location: source.location,
    live: source.live,
    hostname: manifest ? manifest.hostname : source.live ? os.hostname() : null,
    createdAt: manifest?.createdAt ?? null,
    uid: source.readerUid(),
    devices: fabric.devices.length,
  };
  return { side: { fabric, aerCounters, pairs }, info, notes };
}

export async function runDiff(opts: DiffCommandOptions, io: CommandIO): Promise<number> {
  const { DRIFT_KINDS, diffFabrics, diffReport } = await import('../model/diff.js');
  const { UserError } = await import('../errors.js');
  const ignore = (opts.ignore ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const k of ignore) {
    if (!(DRIFT_KINDS as readonly string[]).includes(k)) throw new UserError(`--ignore ${k}: not a kind of change (one of: ${DRIFT_KINDS.join(', ')})`);
  }
  const a = await loadSide(opts.baseline, opts);
  const b = await loadSide(opts.current, opts);
  const d = diffFabrics(a.side, b.side, { ignore: ignore as DriftKind[] });
  for (const n of [...a.notes, ...b.notes]) d.notes.push({ bdf: null, message: n });
  if (a.info.hostname && b.info.hostname && a.info.hostname !== b.info.hostname) {
    d.notes.unshift({ bdf: null, message: `different hosts: ${a.info.hostname} and ${b.info.hostname}` });
  }
  const report = diffReport(d, a.info, b.info);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { renderDiffText } = await import('../format/diff-text.js');
    io.out(renderDiffText(report, { color: io.color }));
  }
  return report.identical ? 0 : 1;
}

export const diffCommand: CommandModule<object, DiffCommandOptions> = {
  command: 'diff <baseline> [current]',
  describe: 'Compare two snapshots, or a snapshot with this machine (exit 0 identical, 1 drift, 2 error)',
  builder: (y) =>
    withJsonOption(y)
      .positional('baseline', { type: 'string', describe: 'Snapshot (.tar.gz) or captured tree', demandOption: true })
      .positional('current', { type: 'string', describe: 'Snapshot or captured tree (default: this machine)' })
      .option('ignore', { type: 'string', array: true, describe: 'Kinds of change that are not drift (e.g. aer,pair)' })
      .option('pairs', { type: 'boolean', default: true, describe: 'Compare pair verdicts (--no-pairs to skip)' })
      .option('pci-ids', { type: 'string', describe: 'pci.ids file for vendor/device names', group: 'Source:' })
      .example('$0 diff golden.tar.gz', 'this machine against a known-good snapshot')
      .example('$0 diff --json monday.tar.gz today.tar.gz', 'two snapshots, for tools')
      .epilog('Exit status: 0 identical, 1 drift, 2 error (unreadable or corrupt input, bad option). See docs/snapshots.md.') as never,
  handler: async (argv) => {
    setExitCode(await runDiff(argv, processIO()));
  },
};
