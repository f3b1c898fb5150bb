// Entry point: parse, run, turn errors into one line and an exit code. The only place that exits the process.
import { UserError } from './errors.js';
import { takeExitCode } from './commands/shared.js';
import { buildCli } from './cli.js';

async function main(argv: string[]): Promise<number> {
  // Plain `p2p` on a terminal opens the explorer; piped or in CI it stays a usage error.
  if (argv.length === 0 && process.stdout.isTTY && process.stdin.isTTY) argv = ['tui'];
  // Throwing from fail() stops yargs before any handler runs; report() prints the one line.
  const cli = buildCli(argv).fail((msg, err) => {
    if (err) throw err;
    throw new UserError(`${msg} (see 'p2p --help')`, 2);
  });
  await cli.parseAsync();
  return takeExitCode();
}

function report(e: unknown): number {
  if (e instanceof UserError) {
    process.stderr.write(`p2p: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE') return 0;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') {
    process.stderr.write(`p2p: permission denied${err.path ? `: ${err.path}` : ''} (try as root)\n`);
    return 2;
  }
  process.stderr.write(`p2p: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.P2P_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('p2p: set P2P_DEBUG=1 for details, and please report this\n');
  return 70;
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = report(e);
  },
);
