// `p2p path <a> <b>`: hop by hop from one device to another, the kernel verdict, the narrowest link.
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import type { CommandDeps } from './matrix.js';
import { processIO } from './process-io.js';
import { setExitCode, withJsonOption, withKernelOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface PathOptions extends SourceOptions {
  a: string;
  b: string;
  json?: boolean;
}


export async function runPath(opts: PathOptions, io: CommandIO, deps: CommandDeps = {}): Promise<number> {
  if (!opts.a || !opts.b) throw new UserError('p2p path needs two devices: p2p path <a> <b>');
  const { openSource } = await import('../access/source.js');
  const { FILL_NONE } = await import('../model/raw.js');
  const load = deps.loadFabric ?? ((o: SourceOptions) => openSource(o).fabric(FILL_NONE));
  const fabric = await load(opts);
  const { resolveDevice } = await import('../model/lookup.js');
  const { BRIDGE_KINDS } = await import('../model/classify.js');
  const a = resolveDevice(fabric, String(opts.a));
  const b = resolveDevice(fabric, String(opts.b));
  if (a === b) throw new UserError(`'${opts.a}' and '${opts.b}' are the same device (${a.bdf}); give two different devices`);
  for (const [name, d] of [[opts.a, a], [opts.b, b]] as const) {
    if (BRIDGE_KINDS.has(d.kind)) throw new UserError(`'${name}' (${d.bdf}) is a ${d.kind}, not a DMA endpoint; p2p path takes GPUs, NVMe, NICs, accelerators or other endpoints`);
  }
  const { buildPath } = await import('../model/p2p/path.js');
  const report = buildPath(fabric, a, b);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { renderPathText } = await import('../format/path-text.js');
    io.out(renderPathText(report, { color: io.color }));
  }
  return 0;
}

export const pathCommand: CommandModule<object, PathOptions> = {
  command: 'path <a> <b>',
  describe: 'Hop by hop from device a (DMA client) to device b (provider): links, ACS, IOMMU groups, verdict, bottleneck',
  builder: (y) =>
    withJsonOption(withKernelOption(withSourceOptions(y)))
      .positional('a', { type: 'string', describe: 'Client device: alias (gpu0, nvme1), kernel name or BDF' })
      .positional('b', { type: 'string', describe: 'Provider device (whose memory is used)' }) as never,
  handler: async (argv) => {
    setExitCode(await runPath(argv, processIO()));
  },
};
