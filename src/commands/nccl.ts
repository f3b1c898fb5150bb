// `p2p nccl`: what NCCL would decide on this machine (or any source): path types, P2P/SHM/NET, GPUDirect
// RDMA, PXN, with the NCCL_* variables from the environment or --env; --topo-xml writes NCCL's XML.
import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import type { CommandDeps } from './matrix.js';
import { processIO } from './process-io.js';
import { setExitCode, withJsonOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';

export interface NcclOptions extends SourceOptions {
  json?: boolean;
  env?: string[] | string;
  topoXml?: string;
}

export interface NcclDeps extends CommandDeps {
  /** The process environment (tests hand in their own). */
  processEnv?: Record<string, string | undefined>;
}

/** --env NAME=VALUE pairs; a malformed one is a usage error. */
export function parseEnvPairs(value: NcclOptions['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String)) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new UserError(`--env ${item}: expected NAME=VALUE (e.g. NCCL_P2P_LEVEL=SYS)`);
    out[m[1]] = m[2];
  }
  return out;
}

function writeXml(file: string, text: string, io: CommandIO): void {
  if (file === '-') return io.out(text);
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--topo-xml ${file}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  io.err(`wrote NCCL topology XML to ${file} (use it with NCCL_TOPO_FILE=${file})\n`);
}

export async function runNccl(opts: NcclOptions, io: CommandIO, deps: NcclDeps = {}): Promise<number> {
  const { parseNcclEnv } = await import('../model/nccl/env.js');
  const env = parseNcclEnv(deps.processEnv ?? process.env, parseEnvPairs(opts.env));
  // NCCL itself reads NCCL_TOPO_FILE instead of the machine: so do we, unless a source was named.
  const source: SourceOptions = !opts.root && !opts.dump && env.topoFile ? { ...opts, root: env.topoFile } : opts;
  const load = deps.loadFabric ?? (await import('../access/load.js')).loadFabric;
  const fabric = await load(source);
  if (opts.topoXml) {
    const { writeNcclXml } = await import('../format/nccl-xml.js');
    writeXml(opts.topoXml, writeNcclXml(fabric), io);
    if (opts.topoXml === '-') return 0;
  }
  const { buildNcclReport } = await import('../model/nccl/decide.js');
  const report = buildNcclReport(fabric, env);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { renderNcclText } = await import('../format/nccl-text.js');
    io.out(renderNcclText(report));
  }
  return 0;
}

export const ncclCommand: CommandModule<object, NcclOptions> = {
  command: 'nccl',
  describe: "What NCCL would do: path types, P2P/SHM/NET and GPUDirect RDMA per GPU pair and GPU-NIC pair, vs nvidia-smi and the kernel",
  builder: (y) =>
    withJsonOption(withSourceOptions(y))
      .option('env', { type: 'string', array: true, describe: 'NCCL variable as NAME=VALUE, over the environment (repeatable)' })
      .option('topo-xml', { type: 'string', describe: "Write the source as an NCCL topology XML (NCCL_TOPO_FILE) to FILE ('-' for stdout)" }) as never,
  handler: async (argv) => {
    setExitCode(await runNccl(argv, processIO()));
  },
};
