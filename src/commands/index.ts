// The explicit list of commands (no commandDir: it is unreliable under ESM). Each module is light; work loads lazily.
import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.js';
import { matrixCommand } from './matrix.js';
import { pathCommand } from './path.js';
import { showCommand } from './show.js';
import { topoCommand } from './topo.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  topoCommand,
  showCommand,
  matrixCommand,
  pathCommand,
  benchCommand,
];
