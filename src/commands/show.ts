// `p2p show <device>`: everything decoded about one function (lspci -vvv grade, readable), or JSON.
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface ShowOptions extends SourceOptions {
  device: string;
  json?: boolean;
}

/** Loads the fabric, resolves the name (alias, kernel name, full or short BDF) and prints its details. */
export async function runShow(opts: ShowOptions, io: CommandIO): Promise<number> {
  const { openSource } = await import('../access/source.js');
  const { FILL_ALL, FILL_CONFIG_FULL } = await import('../model/raw.js');
  const { resolveDevice } = await import('../model/lookup.js');
  const { describeDevice } = await import('../model/details.js');
  const { decodeMemMechanisms } = await import('../model/mem-mechanisms.js');
  // Config on demand: the scan's registers for every function, then all that show decodes of this one.
  const source = openSource(opts);
  const fabric = await source.fabric(FILL_ALL & ~FILL_CONFIG_FULL);
  const device = resolveDevice(fabric, String(opts.device));
  await source.fillConfig(fabric, [device]);
  const details = describeDevice(device, { source: fabric.source.method, host: fabric.host });
  // The mechanisms behind this function (dax, RDMA, V4L2, dma-buf importer, CXL memdev, KFD node): absent when none.
  const mem = source.memMechanisms();
  const mine = mem.known ? decodeMemMechanisms(mem.value).mechanisms.filter((m) => m.pci === device.bdf) : [];
  if (mine.length) details.memory = mine;
  if (opts.json) {
    io.out(JSON.stringify(details, null, 2) + '\n');
  } else {
    const { renderShowText } = await import('../format/show-text.js');
    io.out(renderShowText(details, { color: io.color }));
  }
  return 0;
}

export const showCommand: CommandModule<object, ShowOptions> = {
  command: 'show <device>',
  describe: 'Show everything decoded about one device: header, BARs, link, capabilities, ACS, AER, SR-IOV',
  builder: (y) =>
    withJsonOption(withSourceOptions(y))
      .positional('device', { type: 'string', describe: 'Alias (gpu0, nvme1...), kernel name, or BDF (0000:03:00.0 or 03:00.0)', demandOption: true }) as never,
  handler: async (argv) => {
    const { processIO } = await import('./process-io.js');
    setExitCode(await runShow(argv, processIO()));
  },
};
