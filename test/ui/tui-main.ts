// A minimal entry point that runs `p2p tui` through its real command module, for the tmux end-to-end
// test and the latency benchmark when the main CLI does not list `tui` yet. Same error contract as
// src/main.ts: one line on stderr, exit code from setExitCode.
import yargs from 'yargs';
import { tuiCommand } from '../../src/commands/tui.js';
import { takeExitCode } from '../../src/commands/shared.js';
import { UserError } from '../../src/errors.js';

async function main(): Promise<number> {
  await yargs(process.argv.slice(2)).scriptName('p2p').command(tuiCommand).demandCommand(1).strict().parseAsync();
  return takeExitCode();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`p2p: ${e instanceof UserError ? e.message : `internal error: ${(e as Error).message}`}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  },
);
