// `p2p probe PROVIDER`: map peer memory and ask each DMA consumer of this kernel whether it takes it.
// Thin: argv -> checks (size, live source, write guard) -> access/peer-probe.ts -> text or JSON.
import { statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';
import type { ProbeDeps } from '../access/peer-probe.js';

export interface ProbeOptions extends SourceOptions {
  provider: string;
  device?: string;
  file?: string;
  rdma?: string;
  video?: string;
  size?: string;
  write?: boolean;
  force?: boolean;
  json?: boolean;
}

const MAX_SIZE = 1 << 30;

async function probeSize(v: string | undefined): Promise<number> {
  const { size } = await import('../bench/settings.js');
  const n = size('size', v, 1 << 20);
  if (n < 4096 || n > MAX_SIZE || n % 4096 !== 0) throw new UserError('--size must be a multiple of 4k from 4k to 1G');
  return n;
}

/** --write on a block device passes the bench's guard (partitions, mounts, holders, swap unless --force). */
async function writeWarning(opts: ProbeOptions, bytes: number): Promise<string | null> {
  if (!opts.write) return null;
  const lines: string[] = [];
  if (opts.device) {
    const wg = await import('../bench/write-guard.js');
    const st = statSync(opts.device);
    const major = Math.floor(st.rdev / 256) & 0xfff, minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    const name = wg.blockNameFor(major, minor) ?? opts.device.split('/').pop()!;
    const d = wg.decideWrite(wg.gatherBlockFacts(opts.device, name, { root: '/' }), { write: true, force: opts.force === true, offset: 0, length: bytes });
    if (!d.allowed) throw new UserError(d.reason ?? 'write refused');
    if (d.warning) lines.push(d.warning);
  }
  if (opts.file) lines.push(`--write: a scratch file in ${opts.file} is written through the memory, then removed`);
  return lines.length ? lines.join('\n') : null;
}

async function defaultDeps(): Promise<ProbeDeps> {
  const addon = await import('../native/addon.js');
  return {
    root: '/',
    probe: addon.probePeerMemory,
    addonProblem: () => {
      const s = addon.addonStatus();
      return s.loaded ? null : `native addon unavailable: ${s.error ?? 'unknown reason'}`;
    },
  };
}

/** Plain entry point (tests call this): returns the exit code (0 answered, 1 nothing could be asked). */
export async function runProbe(opts: ProbeOptions, io: CommandIO, overrides: Partial<ProbeDeps> = {}): Promise<number> {
  const bytes = await probeSize(opts.size);
  (await import('../access/source.js')).openSource(opts).requireLive('p2p probe');
  const { runPeerProbe, checkInputs, resolveProvider } = await import('../access/peer-probe.js');
  const deps: ProbeDeps = overrides.probe && overrides.addonProblem ? { root: '/', ...overrides } as ProbeDeps : { ...(await defaultDeps()), ...overrides };
  // Every input is checked before the write warning is printed and before anything is mapped.
  resolveProvider(opts.provider, deps.root);
  checkInputs({ provider: opts.provider, size: bytes, write: opts.write === true, device: opts.device, file: opts.file, rdma: opts.rdma, video: opts.video });
  const warning = await writeWarning(opts, bytes);
  if (warning) io.err(warning + '\n');
  const report = runPeerProbe({
    provider: opts.provider, size: bytes, write: opts.write === true,
    device: opts.device, file: opts.file, rdma: opts.rdma, video: opts.video,
    ibverbsLib: process.env.P2P_LIBIBVERBS || undefined,
  }, deps);
  if (opts.json) io.out(JSON.stringify(report, null, 2) + '\n');
  else io.out((await import('../format/probe-text.js')).renderProbeText(report, { color: io.color }));
  return report.results.every((r) => r.outcome === 'skipped') && report.provider.mappedBytes === 0 ? 1 : 0;
}

export const probeCommand: CommandModule<object, ProbeOptions> = {
  command: 'probe <provider>',
  describe: 'Map peer memory (p2pmem, device-DAX, udmabuf or host) and ask each DMA consumer of this kernel whether it takes it',
  builder: (y) =>
    withJsonOption(withSourceOptions(y))
      .positional('provider', { type: 'string', demandOption: true, describe: 'A PCI function with p2pmem (BDF), a device-DAX node (/dev/dax0.0), udmabuf or host' })
      .option('device', { type: 'string', describe: 'Block device for the O_DIRECT and io_uring consumers (/dev/nvme0n1)' })
      .option('file', { type: 'string', describe: 'Directory for one scratch file (O_DIRECT on a filesystem); removed afterwards' })
      .option('rdma', { type: 'string', describe: 'RDMA device for ibv_reg_mr / ibv_reg_dmabuf_mr (rxe0, mlx5_0); env P2P_LIBIBVERBS names the library' })
      .option('video', { type: 'string', describe: 'V4L2 node for USERPTR / DMABUF queueing (/dev/video1)' })
      .option('size', { type: 'string', describe: 'Bytes each consumer moves (default 1M; a multiple of 4k)' })
      .option('write', { type: 'boolean', default: false, describe: 'Also the write consumers: OVERWRITES the first --size bytes of --device' })
      .option('force', { type: 'boolean', default: false, describe: 'With --write: allow a block device with partitions or a mounted filesystem' })
      .example('p2p probe 0000:01:00.0 --device /dev/nvme0n1', "Will O_DIRECT, io_uring and vmsplice take this NVMe's CMB?")
      .example('p2p probe udmabuf --file /var/tmp --rdma rxe0 --video /dev/video1 --json', 'The host-memory control, as JSON') as never,
  handler: async (argv) => {
    setExitCode(await runProbe(argv, processIO()));
  },
};
