// `p2p bench SOURCE [DEST]`: how well storage streams straight into GPU / peer memory, and what it saves.
// Thin: argv -> BenchOptions -> runBench (src/bench/bench-command.ts, loaded lazily with the addon).
import type { CommandModule } from 'yargs';
import { setExitCode, withJsonOption, withKernelOption, withSourceOptions, type CommandIO } from './shared.js';
import { processIO } from './process-io.js';
import type { BenchOptions } from '../bench/bench-command.js';

export type { BenchOptions };

/** Plain entry point (tests call this): returns the exit code. */
export async function runBench(opts: BenchOptions, io: CommandIO): Promise<number> {
  const mod = await import('../bench/bench-command.js');
  return mod.runBench(opts, io);
}

export const benchCommand: CommandModule<object, BenchOptions> = {
  command: 'bench [source] [dest]',
  describe: 'Benchmark NVMe/file -> GPU, p2pmem or host memory: direct (P2P) vs bounce through host memory',
  builder: (y) =>
    withJsonOption(withKernelOption(withSourceOptions(y)))
      .positional('source', { type: 'string', describe: 'nvme0 / nvme0n1 / a device alias or BDF, a block device or a file (O_DIRECT); none with --hmm' })
      .positional('dest', { type: 'string', default: 'host', describe: "p2pmem provider or GPU (alias or BDF), a device-DAX node (/dev/dax0.0), 'udmabuf' or 'host'" })
      .option('mode', { choices: ['direct', 'bounce', 'both'] as const, default: 'both' as const, describe: 'direct: DMA into the destination; bounce: via host memory + CPU copy; both: A/B interleaved' })
      .option('bs', { type: 'string', default: '1M', describe: 'Block size (4k, 128k, 1M...)' })
      .option('qd', { type: 'number', default: 32, describe: 'Queue depth per worker' })
      .option('workers', { alias: 'j', type: 'number', default: 1, describe: 'I/O threads (each with its own ring)' })
      .option('total', { type: 'string', describe: 'Bytes to move per path (e.g. 8G); default: use --duration' })
      .option('duration', { type: 'number', describe: 'Seconds per path (default 5; 1 per sweep point)' })
      .option('offset', { type: 'string', describe: 'Start of the source range (multiple of 4096)' })
      .option('size', { type: 'string', describe: 'Length of the source range (default: the whole source)' })
      .option('pattern', { choices: ['seq', 'rand'] as const, default: 'seq' as const, describe: 'Sequential or random offsets' })
      .option('engine', { choices: ['auto', 'io_uring', 'psync'] as const, describe: 'I/O engine (auto: io_uring, else a pread thread pool; env P2P_BENCH_ENGINE)' })
      .option('register', { type: 'boolean', default: true, describe: 'Register buffers with io_uring (--no-register to skip)' })
      .option('verify', { type: 'boolean', default: true, describe: 'Compare the destination with a host read of the source after the run' })
      .option('verify-sample', { type: 'number', describe: 'Verify only N sampled blocks' })
      .option('rounds', { type: 'number', describe: 'A/B rounds for --mode both (default 3)' })
      .option('ceiling', { type: 'number', describe: "The path's link ceiling in GB/s (default: the narrowest link between source and destination)" })
      .option('write', { type: 'boolean', default: false, describe: 'Write test: destination memory -> source. OVERWRITES the source range' })
      .option('force', { type: 'boolean', default: false, describe: 'With --write: allow a block device with partitions or a mounted filesystem' })
      .option('sweep', { type: 'boolean', default: false, describe: 'Run block sizes x queue depths and draw the curve' })
      .option('sweep-bs', { type: 'string', describe: 'Block sizes for --sweep (default 4k,16k,64k,256k,1M)' })
      .option('sweep-qd', { type: 'string', describe: 'Queue depths for --sweep (default 1,4,16,32,64)' })
      .option('hmm', { type: 'string', describe: "HMM migration bench: the kernel's HMM test driver device (/dev/hmm_dmirror0), to device memory and back with --size and --rounds", group: 'HMM:' })
      .option('hmm-back', { choices: ['migrate', 'fault'] as const, describe: 'With --hmm: back to system memory by HMM_DMIRROR_MIGRATE_TO_SYS (default) or by CPU page faults', group: 'HMM:' })
      .option('libcuda', { type: 'string', describe: 'libcuda to dlopen (default libcuda.so.1; env P2P_LIBCUDA)', group: 'GPU:' })
      .option('libcufile', { type: 'string', describe: 'libcufile to dlopen (default libcufile.so.0; env P2P_LIBCUFILE)', group: 'GPU:' })
      .option('libhip', { type: 'string', describe: 'libamdhip64 to dlopen (default libamdhip64.so; env P2P_LIBHIP)', group: 'GPU:' })
      .example('p2p bench host gpu0', 'Host <-> GPU copy bandwidth, pinned and pageable')
      .example('p2p bench gpu0 gpu1', 'GPU -> GPU with peer access against a copy staged through host memory, both ways')
      .example('p2p bench nvme0 gpu0', 'A/B: NVMe -> GPU memory via cuFile vs via host memory')
      .example('p2p bench --hmm /dev/hmm_dmirror0 --size 64M', 'HMM: migrate 64 MiB to the test driver\'s device memory and back, bytes verified')
      .example('p2p bench /data/big.bin host --bs 4k --qd 64 --pattern rand', 'IOPS of a file, O_DIRECT') as never,
  handler: async (argv) => {
    setExitCode(await runBench(argv, processIO()));
  },
};
