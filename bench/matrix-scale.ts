// `p2p matrix --json` at scale (issue 16): wall time over `node -e 0`, CPU time and peak RSS (VmHWM and
// utime+stime, read from /proc/PID while it runs) on generated SR-IOV fabrics: the XE8640 shape (521
// functions), a 1,220-function node, five 2,000-function fabrics in separate PCI domains (10,000), and
// --vfs expanded (pairs per second; RSS on runs of 0.5 and 3 GB of JSON shows whether memory stays flat);
// `p2p doctor` on the 10,000-function fabric as well.
//   node dist/bench/matrix-scale.js [--runs 3] [--dir /tmp/p2p-matrix-scale]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFabric } from '../src/access/load.js';
import { foldVfs, selectEndpoints } from '../src/model/p2p/matrix.js';
import { generateFabric, SHAPES } from './gen-fabric.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js');
const TICK_MS = 10; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

interface Run { ms: number; cpuMs: number; rssMb: number; bytes: number; code: number | null }

/** One run: wall ms, CPU ms and peak RSS the kernel kept for it (sampled until exit), bytes written to stdout. */
function measure(args: string[], toNull = false): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    // To /dev/null: the writer alone, without this process reading gigabytes from a pipe beside it.
    const nul = toNull ? fs.openSync('/dev/null', 'w') : null;
    const child = spawn(process.execPath, args, { stdio: ['ignore', nul ?? 'pipe', 'inherit'] });
    if (nul !== null) fs.closeSync(nul);
    let bytes = 0;
    let hwm = 0;
    let ticks = 0;
    child.stdout?.on('data', (b: Buffer) => { bytes += b.length; });
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks = Math.max(ticks, Number(f[11]) + Number(f[12]));
      } catch { /* exited */ }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(sample);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: ticks * TICK_MS, rssMb: hwm / 1024, bytes, code });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function medianRun(args: string[], runs: number, toNull = false): Promise<Run> {
  const rs: Run[] = [];
  for (let i = 0; i < runs; i++) rs.push(await measure(args, toNull));
  return { ms: median(rs.map((r) => r.ms)), cpuMs: median(rs.map((r) => r.cpuMs)), rssMb: Math.max(...rs.map((r) => r.rssMb)), bytes: rs[0].bytes, code: rs[0].code };
}

/** The pairs a matrix run writes: its rows squared (VFs folded unless --vfs). */
async function pairsOf(root: string, vfs: boolean): Promise<number> {
  const fabric = await loadFabric({ root });
  const all = selectEndpoints(fabric);
  return (vfs ? all : foldVfs(all).shown).length ** 2;
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
  const rows: string[] = [
    `node -e 0: ${node.ms.toFixed(0)} ms, ${node.rssMb.toFixed(0)} MB (median of ${runs}; load ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs)`, '',
    '| command | fabric | functions | wall ms | over node ms | CPU ms | peak RSS MB | stdout MB | pairs | pairs/s (wall over node) | pairs/s (CPU) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cases: [string, string, string[], boolean?][] = [
    ['matrix --json', 'xe8640', ['matrix', '--json']],
    ['matrix --json', 'node1220', ['matrix', '--json']],
    ['matrix --json', 'fabric2000', ['matrix', '--json']],
    ['matrix --json', 'fabric10000', ['matrix', '--json']],
    ['matrix --json --vfs', 'xe8640', ['matrix', '--json', '--vfs']],
    ['matrix --json --vfs', 'node1220', ['matrix', '--json', '--vfs']],
    ['matrix --json --vfs > /dev/null', 'xe8640', ['matrix', '--json', '--vfs'], true],
    ['matrix --json --vfs > /dev/null', 'node1220', ['matrix', '--json', '--vfs'], true],
    ['doctor --json', 'fabric10000', ['doctor', '--json']],
  ];
  for (const [label, name, args, toNull] of cases) {
    const { root, functions } = roots.get(name)!;
    const r = await medianRun([MAIN, ...args, '--root', root], runs, toNull);
    let pairs = '';
    let rate = '';
    let cpuRate = '';
    if (args[0] === 'matrix') {
      const n = await pairsOf(root, args.includes('--vfs'));
      pairs = String(n);
      rate = (n / ((r.ms - node.ms) / 1000)).toFixed(0);
      cpuRate = (n / (r.cpuMs / 1000)).toFixed(0);
    }
    rows.push(`| ${label} | ${name} | ${functions} | ${r.ms.toFixed(0)} | ${(r.ms - node.ms).toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${toNull ? '-' : (r.bytes / 1e6).toFixed(1)} | ${pairs} | ${rate} | ${cpuRate} |${r.code === 0 ? '' : ` exit ${r.code}`}`);
  }
  rows.push('', `load after: ${os.loadavg()[0].toFixed(2)}`);
  process.stdout.write(rows.join('\n') + '\n');
}

void main();
