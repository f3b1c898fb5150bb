// `p2p matrix`: every pair of DMA-capable endpoints, with the nvidia-smi legend and the kernel's P2PDMA verdict.
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import type { DeviceKind, Fabric } from '../model/types.js';
import { processIO } from './process-io.js';
import { setExitCode, withJsonOption, withKernelOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface MatrixOptions extends SourceOptions {
  json?: boolean;
  /** Kinds to show (gpu, nvme, nic, accelerator, storage, endpoint; comma lists allowed). */
  class?: string[] | string;
  /** Every endpoint, not only the DMA-capable kinds. */
  all?: boolean;
}

export interface CommandDeps {
  /** Replaces the real loader (tests hand in a built Fabric). */
  loadFabric?: (opts: SourceOptions) => Promise<Fabric>;
}

export async function parseClasses(value: MatrixOptions['class']): Promise<DeviceKind[] | undefined> {
  if (value === undefined) return undefined;
  const { CLASS_ALIASES } = await import('../model/p2p/matrix.js');
  const words = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((w) => w.trim().toLowerCase()).filter(Boolean);
  if (words.length === 0) return undefined;
  const kinds: DeviceKind[] = [];
  for (const w of words) {
    const k = CLASS_ALIASES[w];
    if (!k) throw new UserError(`unknown --class '${w}' (use: gpu, nvme, nic, accelerator, storage, endpoint)`);
    if (!kinds.includes(k)) kinds.push(k);
  }
  return kinds;
}

export async function runMatrix(opts: MatrixOptions, io: CommandIO, deps: CommandDeps = {}): Promise<number> {
  const classes = await parseClasses(opts.class);
  const { openSource } = await import('../access/source.js');
  const { FILL_LOCAL_CPUS } = await import('../model/raw.js');
  // The matrix shows each endpoint's CPU affinity; nothing else beyond the scan.
  const load = deps.loadFabric ?? ((o: SourceOptions) => openSource(o).fabric(FILL_LOCAL_CPUS));
  const fabric = await load(opts);
  const { selectEndpoints, buildMatrix } = await import('../model/p2p/matrix.js');
  const devs = selectEndpoints(fabric, { classes, all: opts.all });
  const report = buildMatrix(fabric, devs);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { renderMatrixText } = await import('../format/matrix-text.js');
    io.out(renderMatrixText(report, { color: io.color }));
  }
  return 0;
}

export const matrixCommand: CommandModule<object, MatrixOptions> = {
  command: 'matrix',
  describe: 'P2P verdict for every pair of DMA endpoints: nvidia-smi legend and the kernel P2PDMA rules',
  builder: (y) =>
    withJsonOption(withKernelOption(withSourceOptions(y)))
      .option('class', { type: 'string', array: true, describe: 'Only these kinds: gpu, nvme, nic, accelerator, storage, endpoint (comma list allowed)' })
      .option('all', { type: 'boolean', default: false, describe: 'Every endpoint, not only GPUs, NVMe, NICs, accelerators and p2pmem providers' }) as never,
  handler: async (argv) => {
    setExitCode(await runMatrix(argv, processIO()));
  },
};
