// The explicit list of commands (no commandDir: it is unreliable under ESM). Each module is light; work loads lazily.
import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.js';
import { diffCommand } from './diff.js';
import { doctorCommand } from './doctor.js';
import { matrixCommand } from './matrix.js';
import { ncclCommand } from './nccl.js';
import { pathCommand } from './path.js';
import { probeCommand } from './probe.js';
import { reportCommand } from './report.js';
import { showCommand } from './show.js';
import { snapshotCommand } from './snapshot.js';
import { topoCommand } from './topo.js';
import { tuiCommand } from './tui.js';
import { gpusCommand } from './gpus.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  topoCommand,
  showCommand,
  matrixCommand,
  pathCommand,
  doctorCommand,
  benchCommand,
  probeCommand,
  tuiCommand,
  snapshotCommand,
  diffCommand,
  ncclCommand,
  gpusCommand,
  reportCommand,
];
