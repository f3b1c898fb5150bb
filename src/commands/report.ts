// `p2p report -o FILE.html`: the diagram, device details, every pair's verdict and path, the doctor's
// findings and bench results in one self-contained HTML file, from any source (live, --root, --dump).
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { setExitCode, withSourceOptions, type CommandIO, type SourceOptions } from './shared.js';
import { processIO } from './process-io.js';

export interface ReportOptions extends SourceOptions {
  output?: string;
  /** `p2p bench --json` result files (repeatable). */
  bench?: string | string[];
  /** false with --no-redact: keep device serial numbers and host names. */
  redact?: boolean;
  /** For tests: the "written" time shown on the page. */
  now?: Date;
}

export interface ReportWritten { output: string; bytes: number; functions: number; pairs: number }

function readBench(file: string): unknown {
  let doc: { schema?: unknown };
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { schema?: unknown };
  } catch (e) {
    throw new UserError(`--bench ${file}: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'} (expected the output of p2p bench --json)`);
  }
  if (doc?.schema !== 'p2p.bench/1') throw new UserError(`--bench ${file}: not a p2p bench --json result (schema ${JSON.stringify(doc?.schema ?? null)})`);
  return doc;
}

/** Host names a report must not carry under redaction: this machine's when live, the tree's own. */
function hostNames(root: string | null, live: boolean): string[] {
  const out = live ? [os.hostname()] : [];
  if (root !== null) {
    try {
      out.push(fs.readFileSync(`${root}/proc/sys/kernel/hostname`, 'utf8').trim());
    } catch { /* a tree without one */ }
  }
  return out.filter(Boolean);
}

export async function writeReport(opts: ReportOptions): Promise<ReportWritten> {
  if (!opts.output) throw new UserError('p2p report needs an output file: p2p report -o FILE.html');
  const benches = (Array.isArray(opts.bench) ? opts.bench : opts.bench ? [opts.bench] : []).map(readBench);
  const source = (await import('../access/source.js')).openSource(opts);
  const { loadDoctorInput } = await import('../access/doctor-facts.js');
  // Offline sources have no process environment or io_uring of their own to report.
  const input = await loadDoctorInput({ root: opts.root, dump: opts.dump, pciIds: opts.pciIds, env: source.live ? process.env : {} });
  const model = await import('../model/doctor/index.js');
  const { reportToJson } = await import('../model/doctor/json.js');
  let doctor = reportToJson(input.fabric, model.runDoctorChecks(input));
  const redact = opts.redact !== false;
  if (redact) {
    const { redactText } = await import('../access/snapshot-writer.js');
    doctor = JSON.parse(redactText(JSON.stringify(doctor), hostNames(source.fsRoot(), source.live)));
  }
  const { fabricToJson } = await import('../format/topo-json.js');
  const topo = fabricToJson(input.fabric);
  const { buildReportData } = await import('../model/report.js');
  const data = buildReportData(input.fabric, topo, doctor, benches, { redact });
  const { renderTopoSvg } = await import('../format/topo-svg.js');
  const { renderReportHtml } = await import('../format/report-html.js');
  const html = renderReportHtml(data, await renderTopoSvg(topo), (opts.now ?? new Date()).toISOString());
  const { writeOutputFile } = await import('../access/output-file.js');
  const bytes = writeOutputFile(opts.output, html);
  return { output: opts.output, bytes, functions: topo.devices.length, pairs: Object.keys(data.paths).length };
}

export async function runReport(opts: ReportOptions, io: CommandIO): Promise<number> {
  const r = await writeReport(opts);
  const { formatBytes } = await import('../model/units.js');
  io.out(`wrote ${r.output}: ${r.functions} PCI functions, ${r.pairs} device pairs, ${formatBytes(r.bytes)}\n`);
  return 0;
}

export const reportCommand: CommandModule<object, ReportOptions> = {
  command: 'report',
  describe: 'Write one self-contained HTML report: diagram, device details, pair verdicts and paths, doctor, bench',
  builder: (y) =>
    withSourceOptions(y)
      .option('output', { alias: 'o', type: 'string', nargs: 1, describe: 'HTML file to write' })
      .option('bench', { type: 'string', describe: 'A p2p bench --json result to include (repeatable)' })
      .option('redact', { type: 'boolean', default: true, describe: 'Leave out device serial numbers and host names (--no-redact keeps them)' })
      .check((a) => !!a.output || 'p2p report needs an output file: p2p report -o FILE.html') as never,
  handler: async (argv) => {
    setExitCode(await runReport(argv, processIO()));
  },
};
