// `p2p matrix --json` at scale (issue 16): wall time over `node -e 0` and peak RSS (VmHWM, read from
// /proc/PID/status while it runs) on generated SR-IOV fabrics: the XE8640 shape (521 functions), a
// 1,220-function node, five 2,000-function fabrics in separate PCI domains (10,000), and --vfs expanded
// (pairs per second); `p2p doctor` on the 10,000-function fabric as well.
//   node dist/bench/matrix-scale.js [--runs 3] [--dir /tmp/p2p-matrix-scale]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFabric, SHAPES } from './gen-fabric.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

interface Run { ms: number; rssMb: number; bytes: number; code: number | null }

/** One run: wall ms, the peak RSS the kernel kept for it (VmHWM, sampled until exit), bytes written to stdout. */
function measure(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    let hwm = 0;
    child.stdout.on('data', (b: Buffer) => { bytes += b.length; });
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch { /* exited */ }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(sample);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: hwm / 1024, bytes, code });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function medianRun(args: string[], runs: number): Promise<Run> {
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) rs.push(await measure(args));
  return { ms: median(rs.map((r) => r.ms)), rssMb: Math.max(...rs.map((r) => r.rssMb)), bytes: rs[0].bytes, code: rs[0].code };
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  const dir = arg('dir', path.join(os.tmpdir(), 'p2p-matrix-scale'));
  const fabrics: [string, number, string, number][] = [['xe8640', 0, 'xe8640', 1], ['node1220', 1220, 'dgx', 1], ['fabric2000', 2000, 'dgx', 1], ['fabric10000', 2000, 'dgx', 5]];
  const roots = new Map<string, { root: string; functions: number }>();
  for (const [name, fns, shape, domains] of fabrics) {
    const root = path.join(dir, name);
    roots.set(name, { root, functions: generateFabric(root, { ...SHAPES[shape], functions: fns, domains }) });
  }
  const node = await medianRun(['-e', '0'], runs);
  const rows: string[] = [`node -e 0: ${node.ms.toFixed(0)} ms, ${node.rssMb.toFixed(0)} MB (median of ${runs}; load ${os.loadavg()[0].toFixed(2)})`, '', '| command | fabric | functions | wall ms | over node ms | peak RSS MB | stdout MB | pairs | pairs/s |', '|---|---|---|---|---|---|---|---|---|'];
  const cases: [string, string, string[]][] = [
    ['matrix --json', 'xe8640', ['matrix', '--json']],
    ['matrix --json', 'node1220', ['matrix', '--json']],
    ['matrix --json', 'fabric2000', ['matrix', '--json']],
    ['matrix --json', 'fabric10000', ['matrix', '--json']],
    ['matrix --json --vfs', 'xe8640', ['matrix', '--json', '--vfs']],
    ['doctor --json', 'fabric10000', ['doctor', '--json']],
  ];
  for (const [label, name, args] of cases) {
    const { root, functions } = roots.get(name)!;
    const r = await medianRun([MAIN, ...args, '--root', root], runs);
    let pairs = '';
    let rate = '';
    if (args[0] === 'matrix') {
      const out = spawnSync(process.execPath, [MAIN, ...args, '--root', root], { maxBuffer: 1 << 30 }).stdout.toString();
      const n = (out.match(/^ {4}\{"client"/gm) ?? []).length;
      pairs = String(n);
      rate = (n / ((r.ms - node.ms) / 1000)).toFixed(0);
    }
    rows.push(`| ${label} | ${name} | ${functions} | ${r.ms.toFixed(0)} | ${(r.ms - node.ms).toFixed(0)} | ${r.rssMb.toFixed(0)} | ${(r.bytes / 1e6).toFixed(1)} | ${pairs} | ${rate} |${r.code === 0 ? '' : ` exit ${r.code}`}`);
  }
  process.stdout.write(rows.join('\n') + '\n');
}

void main();
