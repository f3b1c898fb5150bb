// `npm run lab -- [--topology SPEC.json]... [--out DIR] [--jobs N]`: boot fabrics, write one JSON per run,
// print what the kernel said next to what the spec and p2p say. Exit 0 only when everything agrees.
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { benchVerified, kernelVsSpec, matrixVsKernel, topoVsLspci, type Comparison } from './compare.js';
import { findKernel, findQemu, repoRoot } from './kernel.js';
import { buildOracle, p2pCommands, runAll, timeoutFromEnv, type LabResult } from './runner.js';
import { parseSpec, SpecError, type LabSpec } from './spec.js';

export const DEFAULT_JOBS = 2;

/** All specs in test/lab/specs, sorted by file name. */
export function loadSpecs(root: string): { file: string; spec: LabSpec }[] {
  const dir = join(root, 'test', 'lab', 'specs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: join(dir, f), spec: parseSpec(readFileSync(join(dir, f), 'utf8'), join(dir, f)) }));
}

export interface Prerequisites {
  kernel: string;
  qemu: string;
  oracle: string;
  root: string;
}

/** Kernel, QEMU and the compiled oracle; a reason string when any is missing. */
export function prerequisites(root = repoRoot()): Prerequisites | { missing: string } {
  const kernel = findKernel(root);
  if (!kernel.ok) return { missing: kernel.reason };
  const qemu = findQemu();
  if (!qemu.ok) return { missing: qemu.reason };
  const oracle = buildOracle(root);
  if (!oracle.ok) return { missing: oracle.reason };
  return { kernel: kernel.path, qemu: qemu.path, oracle: oracle.path, root };
}

function summarize(c: Comparison): string {
  if (!c.available) return `skipped: ${c.reason}`;
  const bad = c.checks.filter((x) => !x.ok);
  return bad.length === 0 ? `${c.checks.length} agree` : `${bad.length}/${c.checks.length} DISAGREE: ${bad.map((b) => `${b.pair} expected ${b.expected} got ${b.actual}`).join('; ')}`;
}

export function report(r: LabResult): { lines: string[]; ok: boolean } {
  const lines = [`${r.fabric}: ${r.status} in ${(r.wallMs / 1000).toFixed(1)}s${r.message ? ` - ${r.message}` : ''}`];
  if (r.status !== 'ok') return { lines, ok: false };
  const k = kernelVsSpec(r);
  for (const c of k) lines.push(`  kernel ${c.pair}: ${c.actual}${c.ok ? '' : ` (spec expects ${c.expected})`} - ${c.detail}`);
  lines.push(`  p2p matrix vs kernel: ${summarize(matrixVsKernel(r))}`);
  lines.push(`  p2p topo vs lspci:    ${summarize(topoVsLspci(r))}`);
  lines.push(`  p2p bench verified:   ${summarize(benchVerified(r))}`);
  return { lines, ok: k.every((c) => c.ok) };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string', multiple: true },
      out: { type: 'string' },
      jobs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run lab -- [--topology SPEC.json]... [--out DIR] [--jobs N]\n' +
        '  Boots each fabric under QEMU (TCG) and writes DIR/<name>.json (default DIR: test/lab/out).\n' +
        '  Without --topology, runs every spec in test/lab/specs. See docs/lab.md.\n',
    );
    return 0;
  }
  const root = repoRoot();
  let specs: LabSpec[];
  try {
    specs = values.topology?.length
      ? values.topology.map((f) => parseSpec(readFileSync(resolve(f), 'utf8'), f))
      : loadSpecs(root).map((s) => s.spec);
  } catch (e) {
    process.stderr.write(`lab: ${(e as Error).message}\n`);
    return e instanceof SpecError ? 2 : 1;
  }
  const pre = prerequisites(root);
  if ('missing' in pre) {
    process.stderr.write(`lab: cannot run: ${pre.missing}\n`);
    return 3;
  }
  const outDir = resolve(values.out ?? join(root, 'test', 'lab', 'out'));
  mkdirSync(outDir, { recursive: true });
  const jobs = Number(values.jobs ?? process.env.P2P_LAB_JOBS ?? DEFAULT_JOBS);
  const commands = p2pCommands(root);
  const t0 = Date.now();
  const results = await runAll(specs, { ...pre, outDir, commands, timeoutSec: timeoutFromEnv(), log: (l) => process.stderr.write(`lab: ${l}\n`) }, jobs);
  let ok = true;
  for (const r of results) {
    const rep = report(r);
    ok &&= rep.ok;
    process.stdout.write(rep.lines.join('\n') + '\n');
  }
  const total = ((Date.now() - t0) / 1000).toFixed(1);
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ wallSec: Number(total), jobs, fabrics: results.map((r) => ({ fabric: r.fabric, status: r.status, wallMs: r.wallMs, kernel: kernelVsSpec(r) })) }, null, 2) + '\n');
  process.stdout.write(`${results.length} fabric(s) in ${total}s with ${jobs} at a time; results in ${outDir}\n`);
  return ok ? 0 : 1;
}

const invokedDirectly = !!process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`lab: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
