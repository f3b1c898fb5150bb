// `p2p topo`: the PCIe fabric as a tree (text) or as documented JSON.
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';

export interface TopoOptions extends SourceOptions {
  json?: boolean;
}

export async function runTopo(opts: TopoOptions, io: CommandIO): Promise<number> {
  const { loadFabric } = await import('../access/load.js');
  const fabric = await loadFabric(opts);
  if (opts.json) {
    const { fabricToJson } = await import('../format/topo-json.js');
    io.out(JSON.stringify(fabricToJson(fabric), null, 2) + '\n');
  } else {
    const { renderTopoText } = await import('../format/topo-text.js');
    io.out(renderTopoText(fabric, { color: io.color }));
  }
  return 0;
}

export const topoCommand: CommandModule<object, TopoOptions> = {
  command: 'topo',
  describe: 'Show the PCIe fabric: switches, links, NUMA, drivers, IOMMU groups',
  builder: (y) => withJsonOption(withSourceOptions(y)) as never,
  handler: async (argv) => {
    setExitCode(await runTopo(argv, processIO()));
  },
};
