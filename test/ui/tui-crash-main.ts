// An entry that runs the real TUI (src/ui/run.ts) with an observer that throws once the selection moves:
// the tmux test's way to crash it mid-run and check the terminal is restored. Same error contract as main.
import { runTui } from '../../src/ui/run.js';
import { processIO } from '../../src/commands/process-io.js';
import { UserError } from '../../src/errors.js';

const dump = process.argv[process.argv.indexOf('--dump') + 1];
let first: string | null | undefined;
runTui({ dump }, processIO(), {
  stdout: process.stdout,
  stdin: process.stdin,
  env: process.env,
  onState: (s) => {
    if (first === undefined) first = s.selected;
    else if (s.selected !== first) throw new Error('test crash (the selection moved)');
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`p2p: ${e instanceof UserError ? e.message : `internal error: ${(e as Error).message}`}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  },
);
