// `p2p gpus`: CUDA/ROCm devices mapped to PCI functions and the peer-access matrix. Thin: argv -> runGpus.
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withSourceOptions } from './shared.js';
import { processIO } from './process-io.js';
import type { GpusOptions } from '../bench/gpus-command.js';

export const gpusCommand: CommandModule<object, GpusOptions> = {
  command: 'gpus',
  describe: 'GPUs as CUDA/ROCm lists them (PCI bus id <-> device) and the peer-access matrix beside our verdict and legend',
  builder: (y) =>
    withJsonOption(withSourceOptions(y))
      .option('runtime', { choices: ['cuda', 'hip'] as const, default: 'cuda' as const, describe: 'GPU runtime to load' })
      .option('lib', { type: 'string', describe: 'Library to dlopen (default libcuda.so.1 / libamdhip64.so; env P2P_LIBCUDA / P2P_LIBHIP)' })
      .option('nvidia-smi-topo', { type: 'string', describe: 'A saved `nvidia-smi topo -m` to compare the legend per pair with' })
      .option('bandwidth', { type: 'boolean', default: false, describe: 'Measure peer and staged copies for every pair (16 MiB copies)' }) as never,
  handler: async (argv) => {
    const { runGpus } = await import('../bench/gpus-command.js');
    setExitCode(await runGpus(argv, processIO()));
  },
};
