// Builds the yargs parser from the command list; knows nothing about process exit.
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { toolVersion } from './version.js';
import { stdoutColumns } from './commands/std-streams.js';

export function buildCli(argv: string[]) {
  let y = yargs(argv)
    .scriptName('p2p')
    .usage('$0 <command> [options]\n\nPCIe fabric and peer-to-peer DMA explorer.')
    .strict()
    .demandCommand(1, 'Give a command (try: p2p topo)')
    .help()
    .alias('h', 'help')
    // Given, not guessed: yargs would look for the nearest package.json from the working directory.
    .version(toolVersion())
    .wrap(Math.min(110, stdoutColumns()))
    .epilog('Sources: live sysfs by default; --root DIR reads a captured tree; --dump FILE reads lspci -x output.');
  for (const c of commands) y = y.command(c);
  skipHelpCaching(y);
  return y;
}

/**
 * yargs renders a command's whole help text each time the command runs (~6 ms of start-up), to print
 * it should the handler fail later. p2p's fail() never prints help, so that text is never used.
 * getInternalMethods() is yargs's own (untyped) door to its usage instance.
 */
function skipHelpCaching(y: object): void {
  const internal = (y as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
