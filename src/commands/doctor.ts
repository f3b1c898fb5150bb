// `p2p doctor`: every known reason P2P is impossible or slow, with the evidence and the fix.
// Exit codes: 0 all ok, 1 warnings, 2 failures, 3 doctor could not run (bad source or option).
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { setExitCode, withJsonOption, withKernelOption, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';

export type DoctorFormat = 'text' | 'json' | 'prometheus';
export const DOCTOR_FORMATS: readonly DoctorFormat[] = ['text', 'json', 'prometheus'];
/** Exit code when the doctor cannot run at all (unreadable source, bad --only/--skip...). */
export const DOCTOR_EXIT_CANNOT_RUN = 3;

export interface DoctorOptions extends SourceOptions {
  json?: boolean;
  format?: DoctorFormat;
  /** Check ids or groups, comma separated (repeatable). */
  only?: string | string[];
  skip?: string | string[];
  /** Bench file to test O_DIRECT on (live machine). */
  file?: string;
  /** Saved kernel log to read instead of the live one. */
  dmesg?: string;
  verbose?: boolean;
  /** Print the check ids and exit. */
  list?: boolean;
  /** For tests: environment and io_uring probe instead of the process's. */
  env?: Record<string, string | undefined>;
  ioUringProbe?: () => { available: boolean; reason?: string } | null;
  /** For tests: fixed time for the Prometheus timestamp metric. */
  now?: number;
}

export function splitList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return parts.map((x) => x.trim()).filter(Boolean);
}

export async function runDoctor(opts: DoctorOptions, io: CommandIO): Promise<number> {
  try {
    return await doctor(opts, io);
  } catch (e) {
    // Same one-line message, but a code that cannot be mistaken for "failures found".
    if (e instanceof UserError && e.exitCode !== DOCTOR_EXIT_CANNOT_RUN) throw new UserError(e.message, DOCTOR_EXIT_CANNOT_RUN);
    throw e;
  }
}

async function doctor(opts: DoctorOptions, io: CommandIO): Promise<number> {
  const model = await import('../model/doctor/index.js');
  if (opts.list) {
    const w = Math.max(...model.CHECKS.map((c) => c.id.length));
    io.out(model.CHECKS.map((c) => `${c.id.padEnd(w)}  ${c.describe}`).join('\n') + '\n');
    return 0;
  }
  let format: DoctorFormat = opts.format ?? 'text';
  if (opts.json) {
    if (opts.format && opts.format !== 'json') throw new UserError(`--json conflicts with --format ${opts.format}`);
    format = 'json';
  }
  if (!DOCTOR_FORMATS.includes(format)) throw new UserError(`--format ${format}: expected one of ${DOCTOR_FORMATS.join(', ')}`);
  const only = splitList(opts.only);
  const skip = splitList(opts.skip);
  const bad = model.unknownSelectors([...only, ...skip]);
  if (bad.length) {
    throw new UserError(`unknown check ${bad.map((b) => `'${b}'`).join(', ')} (known: ${model.CHECK_IDS.join(', ')}, or a group: ${[...new Set(model.CHECKS.map((c) => c.group))].join(', ')})`);
  }
  if (only.length && model.selectChecks({ only, skip }).length === 0) throw new UserError('--only and --skip leave no check to run');

  const { loadDoctorInput } = await import('../access/doctor-facts.js');
  const { live } = (await import('../access/source.js')).openSource(opts);
  const input = await loadDoctorInput({
    root: opts.root, dump: opts.dump, pciIds: opts.pciIds, file: opts.file, dmesg: opts.dmesg,
    env: opts.env ?? (live ? process.env : {}),
    ioUringProbe: opts.ioUringProbe ?? (live ? await (await import('../access/load.js')).nativeIoUringProbe() : undefined),
    gpuMemory: live ? await (await import('../access/gpu-facts.js')).nativeGpuMemory() : undefined,
  });
  const { fabric } = input;
  // One context: the pair verdicts the checks compute are the ones the Prometheus view prints.
  const ctx = model.makeContext(input);
  const report = model.runDoctorChecks(input, { only, skip }, ctx);

  if (format === 'json') {
    const { reportToJson } = await import('../model/doctor/json.js');
    io.out(JSON.stringify(reportToJson(fabric, report), null, 2) + '\n');
  } else if (format === 'prometheus') {
    const { renderPrometheus } = await import('../format/prometheus.js');
    io.out(renderPrometheus(input, report, { now: opts.now ?? Math.floor(Date.now() / 1000), pairs: ctx.pairs }));
  } else {
    const { renderDoctorText } = await import('../format/doctor-text.js');
    io.out(renderDoctorText(fabric, report, { color: io.color, verbose: opts.verbose }));
  }
  return report.exitCode;
}

export const doctorCommand: CommandModule<object, DoctorOptions> = {
  command: 'doctor',
  describe: 'Diagnose why P2P is impossible or slow: kernel, IOMMU, ACS, links, BARs, NUMA, drivers, with fixes',
  builder: (y) =>
    withJsonOption(withKernelOption(withSourceOptions(y)))
      .option('format', { choices: DOCTOR_FORMATS as DoctorFormat[], describe: 'Output format (--json is --format json; prometheus: textfile-collector metrics)' })
      .option('only', { type: 'string', describe: 'Run only these checks or groups (comma separated ids, see --list)' })
      .option('skip', { type: 'string', describe: 'Do not run these checks or groups (comma separated)' })
      .option('file', { type: 'string', describe: 'Bench file whose filesystem to test for O_DIRECT (live machine)' })
      .option('dmesg', { type: 'string', describe: 'Read this saved kernel log (dmesg output) instead of the live one' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Show all evidence of ok and skipped checks too' })
      .option('list', { type: 'boolean', default: false, describe: 'List the checks and exit' })
      .epilog('Exit status: 0 all checks ok (or skipped), 1 warnings, 2 failures, 3 the doctor could not run. See docs/doctor.md.') as never,
  handler: async (argv) => {
    setExitCode(await runDoctor(argv, processIO()));
  },
};
