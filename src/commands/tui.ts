// `p2p tui`: the interactive fabric explorer. This module stays light: Ink and React load inside the
// handler (src/ui/run.ts), so `p2p --help` and the text commands never pay for them.
import type { CommandModule } from 'yargs';
import { setExitCode, withKernelOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';

export interface TuiOptions extends SourceOptions {
  device?: string;
}

/** Plain entry point: returns the exit code (0, or 128+N when a signal stopped it). */
export async function runTui(opts: TuiOptions, io: CommandIO): Promise<number> {
  const { runTui: run } = await import('../ui/run.js');
  return run(opts, io);
}

export const tuiCommand: CommandModule<object, TuiOptions> = {
  command: 'tui [device]',
  describe: 'Interactive explorer: fabric tree, device details, pairs and paths, doctor, bench (needs a terminal)',
  builder: (y) =>
    withKernelOption(withSourceOptions(y))
      .positional('device', { type: 'string', describe: 'Open on this device (alias, kernel name or BDF)' })
      .example('p2p tui', 'Browse this machine')
      .example('p2p tui --dump lspci-x.txt', "Browse a colleague's lspci -xxx dump")
      .epilog('Keys: arrows/hjkl move, Enter opens, Tab switches panes, / searches, m marks two devices for a path, ? lists all keys, q quits. See docs/tui.md.') as never,
  handler: async (argv) => {
    setExitCode(await runTui(argv, processIO()));
  },
};
