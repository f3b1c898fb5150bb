// `p2p topo`: the PCIe fabric as a tree (text) or as documented JSON.
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';

export interface TopoOptions extends SourceOptions {
  json?: boolean;
  /** Write the fabric as an SVG diagram to this file ('-': stdout). */
  svg?: string;
}

export async function runTopo(opts: TopoOptions, io: CommandIO): Promise<number> {
  const { openSource } = await import('../access/source.js');
  const { FILL_NONE } = await import('../model/raw.js');
  // The tree shows no BARs, CPU lists, kernel config or IOMMU types: none is read.
  const source = openSource(opts);
  const fabric = await source.fabric(FILL_NONE);
  // Device-memory mechanisms (dax, RDMA, V4L2, dma-buf importers, CXL, KFD) behind each function: a few directory reads.
  const mem = source.memMechanisms();
  const { decodeMemMechanisms, placeMechanisms } = await import('../model/mem-mechanisms.js');
  const memory = mem.known ? placeMechanisms(decodeMemMechanisms(mem.value), new Set(fabric.devices.map((d) => d.bdf))) : undefined;
  if (opts.svg !== undefined) {
    const { fabricToJson } = await import('../format/topo-json.js');
    const { renderTopoSvg } = await import('../format/topo-svg.js');
    const svg = await renderTopoSvg(fabricToJson(fabric));
    if (opts.svg === '-') io.out(svg);
    else (await import('../access/output-file.js')).writeOutputFile(opts.svg, '<?xml version="1.0" encoding="UTF-8"?>\n' + svg);
  } else if (opts.json) {
    const { fabricToJson } = await import('../format/topo-json.js');
    io.out(JSON.stringify(fabricToJson(fabric, memory), null, 2) + '\n');
  } else {
    const { renderTopoText } = await import('../format/topo-text.js');
    io.out(renderTopoText(fabric, { color: io.color, memory: memory?.byPci, memoryElsewhere: memory?.elsewhere }));
  }
  return 0;
}

export const topoCommand: CommandModule<object, TopoOptions> = {
  command: 'topo',
  describe: 'Show the PCIe fabric: switches, links, NUMA, drivers, IOMMU groups',
  builder: (y) =>
    withJsonOption(withSourceOptions(y))
      .option('svg', { type: 'string', nargs: 1, describe: 'Write the fabric as an SVG diagram to FILE (- for stdout)' })
      .check((a) => (a.svg === '' ? '--svg needs a file name (or - for stdout)' : a.svg !== undefined && a.json ? '--svg and --json are two outputs: give one' : true)) as never,
  handler: async (argv) => {
    setExitCode(await runTopo(argv, processIO()));
  },
};
