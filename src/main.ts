// Entry point: parse, run, turn errors into one line and an exit code. The only place that exits the process.
import { UserError } from './errors.js';
import { takeExitCode } from './commands/shared.js';
import { buildCli } from './cli.js';
import { stdoutIsTTY, writeStderr } from './commands/std-streams.js';

async function main(argv: string[]): Promise<number> {
  // Plain `p2p` on a terminal opens the explorer; piped or in CI it stays a usage error.
  if (argv.length === 0 && stdoutIsTTY() && process.stdin.isTTY) argv = ['tui'];
  // Throwing from fail() stops yargs before any handler runs; report() prints the one line.
  // A handler's error goes on as it is; anything else is yargs's complaint about the command line
  // (its YError, or a failed .check()'s message, which it hands over as `err` too).
  const cli = buildCli(argv).fail((msg, err) => {
    if (err instanceof Error && err.name !== 'YError') throw err;
    throw new UserError(`${msg || (err instanceof Error ? err.message : String(err))} (see 'p2p --help')`, 2);
  });
  await cli.parseAsync();
  return takeExitCode();
}

function report(e: unknown): number {
  if (e instanceof UserError) {
    writeStderr(`p2p: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE') return 0;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') {
    writeStderr(`p2p: permission denied${err.path ? `: ${err.path}` : ''} (try as root)\n`);
    return 2;
  }
  writeStderr(`p2p: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.P2P_DEBUG) writeStderr(`${err?.stack ?? ''}\n`);
  else writeStderr('p2p: set P2P_DEBUG=1 for details, and please report this\n');
  return 70;
}

// EPIPE (a reader that went away, as `| head` does) ends the run quietly. Direct writes to fd 1
// (commands/std-streams.ts) throw it, and report() returns 0; process.stdout (a terminal, or yargs's help)
// emits it, and gets the handler the moment something first asks for the stream, which is created
// only then: attaching it up front would create the stream on every run.
const stdoutDescriptor = Object.getOwnPropertyDescriptor(process, 'stdout');
if (stdoutDescriptor?.get && stdoutDescriptor.configurable) {
  Object.defineProperty(process, 'stdout', {
    ...stdoutDescriptor,
    get() {
      const stream = stdoutDescriptor.get!.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, 'stdout', stdoutDescriptor);
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
      });
      return stream;
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.exitCode = report(e);
  },
);
