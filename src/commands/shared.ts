// What every command shares: the output sink, the source options (--root/--dump/--pci-ids/--json) and the exit code.
import type { Argv } from 'yargs';

export type { CommandIO } from '../io.js';
export type { SourceOptions } from '../access/source.js';

let exitCode = 0;
/** Commands report their exit status here; only src/main.ts turns it into process.exit. */
export function setExitCode(code: number): void {
  exitCode = Math.max(exitCode, code);
}
export function takeExitCode(): number {
  const c = exitCode;
  exitCode = 0;
  return c;
}

/** --root, --dump, --pci-ids: where the fabric is read from. */
export function withSourceOptions<T>(y: Argv<T>) {
  return y
    .option('root', { type: 'string', describe: 'Read sysfs/procfs under this directory (a captured tree or snapshot) instead of /', group: 'Source:' })
    .option('dump', { type: 'string', describe: 'Read an lspci -x/-xxx/-xxxx hex dump instead of sysfs', group: 'Source:' })
    .option('pci-ids', { type: 'string', describe: 'pci.ids file for vendor/device names', group: 'Source:' })
    .conflicts('root', 'dump')
    // An empty value (`--dump "$UNSET"`, or the option given last without one) would read the live
    // machine or the system pci.ids without a word: refused instead.
    .check((argv) => {
      const empty = ['root', 'dump', 'pci-ids'].find((k) => (argv as Record<string, unknown>)[k] === '');
      return empty === undefined || `--${empty} needs a value`;
    });
}

export function withJsonOption<T>(y: Argv<T>) {
  return y.option('json', { type: 'boolean', default: false, describe: 'Machine-readable JSON on stdout' });
}

/** --kernel RELEASE (matrix, path, doctor, tui, bench): the P2PDMA rules of that release. */
export function withKernelOption<T>(y: Argv<T>) {
  return y.option('kernel', {
    type: 'string', group: 'Source:',
    describe: "Decide P2PDMA for this kernel release (6.8.0-45-generic, 5.14.0-427.el9, 'latest') instead of the one the source runs",
  });
}
