// `p2p snapshot`: one .tar.gz with everything p2p reads on this machine, replayable with --root FILE.
import * as os from 'node:os';
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, type CommandIO } from './shared.js';
import { processIO } from './process-io.js';

export interface SnapshotCommandOptions {
  /** Output file; default p2p-snapshot-HOST-TIME.tar.gz in the current directory. */
  output?: string;
  /** Capture a tree (or re-pack a snapshot, e.g. to redact it) instead of the live machine. */
  root?: string;
  redact?: boolean;
  /** Config space per function: header (64 bytes), caps (256), full (4096, the default). */
  config?: 'header' | 'caps' | 'full';
  json?: boolean;
  /** For tests: the capture time. */
  now?: Date;
}

/** "2026-11-22T05:55:17.123Z" -> "20261122T055517Z" */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}


export async function runSnapshot(opts: SnapshotCommandOptions, io: CommandIO): Promise<number> {
  const { writeSnapshot } = await import('../access/snapshot-writer.js');
  const { formatBytes } = await import('../model/units.js');
  const { nativeSysfsDirReader } = await import('../access/load.js');
  const { openSource } = await import('../access/source.js');
  const now = opts.now ?? new Date();
  const source = openSource({ root: opts.root });
  const live = source.live;
  const fromManifest = source.manifest();
  const hostname = opts.redact ? null : live ? os.hostname() : fromManifest ? fromManifest.hostname : undefined;
  const safeHost = hostname ? hostname.replace(/[^A-Za-z0-9._-]/g, '_') : null;
  const output = opts.output ?? `p2p-snapshot-${safeHost ? `${safeHost}-` : ''}${stamp(now)}.tar.gz`;
  const { manifest, bytes } = writeSnapshot(output, {
    root: source.fsRoot()!,
    live,
    redact: opts.redact,
    config: opts.config,
    readDir: await nativeSysfsDirReader(),
    now,
    uid: source.readerUid(),
    hostname,
    sourceLabel: live ? { source: 'live', root: null } : { source: fromManifest?.source ?? 'root', root: opts.root ?? null },
  });
  if (opts.json) {
    io.out(JSON.stringify({ output, bytes, manifest }, null, 2) + '\n');
    return 0;
  }
  const sizes = Object.entries(manifest.configBytes).sort((a, b) => Number(b[0]) - Number(a[0]));
  const lines = [`wrote ${output}: ${manifest.devices} PCI functions, ${manifest.files} files, ${formatBytes(bytes)}`];
  const sizeText = sizes.map(([b, n]) => `${n} x ${b} bytes`).join(', ') || 'none';
  lines.push(`  config space: ${sizeText}`);
  if (opts.config && opts.config !== 'full') {
    lines.push(`  (--config ${opts.config}: config space past ${opts.config === 'header' ? '64' : '256'} bytes is not in this snapshot, so what it holds reads as unknown)`);
  } else if (sizes.some(([b]) => Number(b) < 256)) {
    lines.push('  (64 bytes is what a non-root reader gets: ACS, AER and link control are unknown in this snapshot; run as root for a complete one)');
  }
  if (manifest.redacted) {
    const serials = manifest.redactions.filter((r) => r.path.endsWith('/config')).length;
    lines.push(`  redacted: ${serials} device serial number${serials === 1 ? '' : 's'} zeroed, host name removed`);
  }
  if (manifest.unreadable.length) {
    lines.push(`  unreadable: ${manifest.unreadable.length} path${manifest.unreadable.length === 1 ? '' : 's'} (listed in ${'p2p-snapshot.json'} inside the archive)`);
  }
  lines.push(`  replay: p2p topo --root ${output}`);
  io.out(lines.join('\n') + '\n');
  return 0;
}

export const snapshotCommand: CommandModule<object, SnapshotCommandOptions> = {
  command: 'snapshot',
  describe: 'Write a .tar.gz of everything p2p reads here; replay it anywhere with --root FILE',
  builder: (y) =>
    withJsonOption(y)
      .option('output', { alias: 'o', type: 'string', describe: 'Output file (default: p2p-snapshot-HOST-TIME.tar.gz)' })
      .option('root', { type: 'string', describe: 'Capture this filesystem root (a captured tree or snapshot) instead of /', group: 'Source:' })
      .option('redact', { type: 'boolean', default: false, describe: 'Zero device serial numbers and drop host names' })
      .option('config', { choices: ['header', 'caps', 'full'] as const, default: 'full' as const, describe: 'Config space per function: the 64-byte header, the 256 bytes of standard capabilities, or all 4096' })
      .example('$0 snapshot -o node17.tar.gz', 'capture this machine (run as root for full config space)')
      .example('$0 topo --root node17.tar.gz', 'replay it anywhere')
      .epilog('Format, redaction and fleet recipes (Slurm, Ansible, pdsh): docs/snapshots.md.') as never,
  handler: async (argv) => {
    setExitCode(await runSnapshot(argv, processIO()));
  },
};
