// `p2p show <device>`: everything decoded about one function (lspci -vvv grade, readable), or JSON.
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface ShowOptions extends SourceOptions {
  device: string;
  json?: boolean;
}

/** Loads the fabric, resolves the name (alias, kernel name, full or short BDF) and prints its details. */
export async function runShow(opts: ShowOptions, io: CommandIO): Promise<number> {
  const { loadFabric } = await import('../access/load.js');
  const { resolveDevice } = await import('../model/lookup.js');
  const { describeDevice } = await import('../model/details.js');
  const fabric = await loadFabric(opts);
  const device = resolveDevice(fabric, String(opts.device));
  const details = describeDevice(device, { source: fabric.source.method, host: fabric.host });
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
