// `p2p matrix`: every pair of DMA-capable endpoints, with the nvidia-smi legend and the kernel's P2PDMA verdict.
// VFs fold into their PF unless --vfs; JSON is streamed; a request too big to answer is refused up front.
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import type { Device, DeviceKind, Fabric } from '../model/types.js';
import { processIO } from './process-io.js';
import { setExitCode, withJsonOption, withKernelOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface MatrixOptions extends SourceOptions {
  json?: boolean;
  /** Kinds to show (gpu, nvme, nic, accelerator, storage, capture, endpoint; comma lists allowed). `--only` is its alias. */
  class?: string[] | string;
  /** Every endpoint, not only the DMA-capable kinds. */
  all?: boolean;
  /** One row per VF instead of folding VFs into their PF. */
  vfs?: boolean;
}

export interface CommandDeps {
  /** Replaces the real loader (tests hand in a built Fabric). */
  loadFabric?: (opts: SourceOptions) => Promise<Fabric>;
}

/** Most ordered pairs one run writes: at ~1 million pairs a second, about a minute of output. */
export const MAX_MATRIX_PAIRS = 64_000_000;

export async function parseClasses(value: MatrixOptions['class']): Promise<DeviceKind[] | undefined> {
  if (value === undefined) return undefined;
  const { CLASS_ALIASES } = await import('../model/p2p/matrix.js');
  const words = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((w) => w.trim().toLowerCase()).filter(Boolean);
  if (words.length === 0) return undefined;
  const kinds: DeviceKind[] = [];
  for (const w of words) {
    const k = CLASS_ALIASES[w];
    if (!k) throw new UserError(`unknown --class '${w}' (use: gpu, nvme, nic, accelerator, storage, capture, endpoint)`);
    if (!kinds.includes(k)) kinds.push(k);
  }
  return kinds;
}

/** Refuses, in one line with the way out, a matrix whose pairs would take too long to write. */
export function checkBudget(rows: number, expanded: boolean): void {
  const pairs = rows * rows;
  if (pairs <= MAX_MATRIX_PAIRS) return;
  const way = expanded ? 'drop --vfs (VFs fold into their PF), narrow with --only gpu,nvme,nic' : 'narrow with --only gpu,nvme,nic';
  throw new UserError(
    `matrix of ${rows.toLocaleString('en-US')} endpoints is ${pairs.toLocaleString('en-US')} pairs, more than the ${MAX_MATRIX_PAIRS.toLocaleString('en-US')} one run writes: ${way}, or ask one pair with 'p2p path A B'`,
  );
}

export async function runMatrix(opts: MatrixOptions, io: CommandIO, deps: CommandDeps = {}): Promise<number> {
  const classes = await parseClasses(opts.class);
  const { openSource } = await import('../access/source.js');
  const { FILL_LOCAL_CPUS } = await import('../model/raw.js');
  // The matrix shows each endpoint's CPU affinity; nothing else beyond the scan.
  const load = deps.loadFabric ?? ((o: SourceOptions) => openSource(o).fabric(FILL_LOCAL_CPUS));
  const fabric = await load(opts);
  const p2p = await import('../model/p2p/matrix.js');
  const selected = p2p.selectEndpoints(fabric, { classes, all: opts.all });
  const { shown, vfsOf }: { shown: Device[]; vfsOf: Map<string, Device[]> | null } = opts.vfs ? { shown: selected, vfsOf: null } : p2p.foldVfs(selected);
  checkBudget(shown.length, !!opts.vfs);
  const head = p2p.matrixHead(fabric, shown, vfsOf);
  if (opts.json) {
    const { writeMatrixCellsJson } = await import('../format/matrix-json.js');
    const bytes = io.outBytes ? (b: Uint8Array) => io.outBytes!(b) : (b: Uint8Array) => io.out(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'));
    writeMatrixCellsJson(head, p2p.matrixPairCells(fabric, shown), bytes);
  } else {
    const { renderMatrixText } = await import('../format/matrix-text.js');
    io.out(renderMatrixText({ ...head, pairs: [...p2p.matrixPairs(fabric, shown)] }, { color: io.color, columns: io.columns, isTTY: io.isTTY }));
  }
  return 0;
}

export const matrixCommand: CommandModule<object, MatrixOptions> = {
  command: 'matrix',
  describe: 'P2P verdict for every pair of DMA endpoints: nvidia-smi legend and the kernel P2PDMA rules',
  builder: (y) =>
    withJsonOption(withKernelOption(withSourceOptions(y)))
      .option('class', { alias: 'only', type: 'string', array: true, describe: 'Only these kinds: gpu, nvme, nic, accelerator, storage, capture, endpoint (comma list allowed)' })
      .option('all', { type: 'boolean', default: false, describe: 'Every endpoint, not only GPUs, NVMe, NICs, accelerators and p2pmem providers' })
      .option('vfs', { type: 'boolean', default: false, describe: 'One row per SR-IOV VF (by default VFs fold into their PF)' }) as never,
  handler: async (argv) => {
    setExitCode(await runMatrix(argv, processIO()));
  },
};
