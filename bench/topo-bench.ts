// Start-up and scan cost of `p2p topo --json` against `lspci -tv` on the same trees, in one run.
// Usage: npm run build && node dist/bench/topo-bench.js [--runs N]   (prints a Markdown table)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFabric } from './gen-fabric.js';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const P2P = path.join(REPO, 'bin/p2p.js');
const REFDATA = path.resolve(REPO, '../shared/refdata/hwloc');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? parseInt(process.argv[runsArg + 1], 10) : 15;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
}
const median = (xs: number[]) => quantile(xs, 0.5);

/** Round by round differences a[i] - b[i]: both ran in the same round, under the same load. */
const paired = (a: number[], b: number[]) => a.map((x, i) => x - b[i]);
const spread = (xs: number[]) => `${quantile(xs, 0.25).toFixed(0)}-${quantile(xs, 0.75).toFixed(0)}`;

type Cmd = [string, string[]];

/**
 * Wall times in ms of each command, one per round, after one warm-up round. The commands take turns
 * within each round, so the slow drift of a shared machine's load falls on all of them alike, and a
 * difference is taken within each round (paired) before its median.
 */
function timeInterleaved(cmds: Cmd[]): number[][] {
  const times: number[][] = cmds.map(() => []);
  for (let i = 0; i <= RUNS; i++) {
    cmds.forEach(([cmd, args], j) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
      if (i > 0) times[j].push(ms);
    });
  }
  return times;
}

function lspciArgs(root: string): string[] {
  return ['-A', 'linux-sysfs', '-O', `sysfs.path=${root}/sys/bus/pci`, '-tv'];
}

function unpack(name: string, into: string): string {
  spawnSync('tar', ['xjf', path.join(REFDATA, name, `${name}.tar.bz2`), '-C', into]);
  const dirs = fs.readdirSync(into);
  return path.join(into, dirs.find((d) => name.startsWith(d.slice(0, 12)))!);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-bench-'));
const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  process.stdout.write(s + '\n');
};
try {
  out(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg()[0].toFixed(2)}, node ${process.version}, ${RUNS} runs each, median wall ms`);
  out('');
  out('| input | functions | node -e 0 | p2p --help | p2p topo --json | overhead over node (IQR) | lspci -tv | p2p / lspci |');
  out('|---|---|---|---|---|---|---|---|');
  for (const name of ['32intel64-2p8co2t+8ve', '40intel64-2g2n4c+pcilocality', '2pa-pcidomain32bits']) {
    const dir = fs.mkdtempSync(path.join(tmp, 'ref-'));
    const root = unpack(name, dir);
    const n = fs.readdirSync(path.join(root, 'sys/bus/pci/devices')).length;
    const [node0, help, p2p, lspci] = timeInterleaved([
      [process.execPath, ['-e', '0']],
      [process.execPath, [P2P, '--help']],
      [process.execPath, [P2P, 'topo', '--json', '--root', root]],
      ['lspci', lspciArgs(root)],
    ]);
    const over = paired(p2p, node0);
    out(`| ${name} | ${n} | ${median(node0).toFixed(0)} | ${median(help).toFixed(0)} | ${median(p2p).toFixed(0)} | ${median(over).toFixed(0)} (${spread(over)}) | ${median(lspci).toFixed(0)} | ${(median(p2p) / median(lspci)).toFixed(1)} |`);
  }
  // Per-function cost: the slope between a small and a large generated fabric of the same shape.
  const small = path.join(tmp, 'gen-small');
  const large = path.join(tmp, 'gen-large');
  const nSmall = generateFabric(small, { functions: 200 });
  const nLarge = generateFabric(large, { functions: 2000 });
  const [pS, pL, lS, lL] = timeInterleaved([
    [process.execPath, [P2P, 'topo', '--json', '--root', small]],
    [process.execPath, [P2P, 'topo', '--json', '--root', large]],
    ['lspci', lspciArgs(small)],
    ['lspci', lspciArgs(large)],
  ]);
  out(`| generated | ${nSmall} | | | ${median(pS).toFixed(0)} | | ${median(lS).toFixed(0)} | ${(median(pS) / median(lS)).toFixed(1)} |`);
  out(`| generated | ${nLarge} | | | ${median(pL).toFixed(0)} | | ${median(lL).toFixed(0)} | ${(median(pL) / median(lL)).toFixed(1)} |`);
  const perFunction = (xs: number[]) => xs.map((d) => (d / (nLarge - nSmall)) * 1000);
  const perP2p = perFunction(paired(pL, pS));
  const perLspci = perFunction(paired(lL, lS));
  const ratios = perP2p.map((x, i) => x / perLspci[i]);
  out('');
  out(`Per-function cost (slope ${nSmall} -> ${nLarge}, median of each round's): p2p topo --json ${median(perP2p).toFixed(0)} µs (IQR ${spread(perP2p)}), lspci -tv ${median(perLspci).toFixed(0)} µs (IQR ${spread(perLspci)}), ratio ${(median(perP2p) / median(perLspci)).toFixed(2)} (rounds' ratios: median ${median(ratios).toFixed(2)}, IQR ${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)})`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
