// Performance bar for the native bench engine: A/B against fio with identical settings on the same file,
// interleaved in one run (fio, p2p, p2p, fio, ...), medians of each. Writes bench/RESULTS-bench.md.
//
//   npx tsc -p tsconfig.json && node dist/bench/fio-compare.js [--file PATH] [--size 1G] [--runtime 4] [--rounds 3] [--out FILE]
//
// Cases (the bar):
//   seq1m  : O_DIRECT, 1 MiB blocks, QD32, io_uring, sequential read   -> throughput >= 0.95x, CPU/GB <= 1.1x fio
//   rand4k : O_DIRECT, 4 KiB blocks, QD64, io_uring, random read       -> IOPS >= 0.9x fio
//   psync  : O_DIRECT, 1 MiB blocks, pread thread pool of N vs fio psync numjobs=N -> throughput >= 0.95x fio
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startBench, statSource, type NativeBenchOptions } from '../src/native/addon.js';

interface Args { file: string; size: number; runtime: number; rounds: number; out: string; jobs: number }

const here = dirname(fileURLToPath(import.meta.url));
const repo = [resolve(here, '..'), resolve(here, '../..')].find((d) => existsSync(join(d, 'binding.gyp')))!;

function parseArgs(argv: string[]): Args {
  const a: Args = { file: '/var/tmp/p2p-fio/data.bin', size: 1 << 30, runtime: 4, rounds: 3, out: join(repo, 'bench/RESULTS-bench.md'), jobs: 4 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--file': a.file = v; i++; break;
      case '--size': a.size = Number(v.replace(/g$/i, '')) * (/g$/i.test(v) ? 2 ** 30 : 1); i++; break;
      case '--runtime': a.runtime = Number(v); i++; break;
      case '--rounds': a.rounds = Number(v); i++; break;
      case '--out': a.out = v; i++; break;
      case '--jobs': a.jobs = Number(v); i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

function ensureFile(path: string, size: number): void {
  if (existsSync(path) && statSync(path).size === size) return;
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(8 << 20);
  for (let off = 0; off < size; off += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
  }
  fsyncSync(fd);
  closeSync(fd);
}

interface Case {
  name: string;
  bs: number;
  qd: number;
  pattern: 'seq' | 'rand';
  engine: 'io_uring' | 'psync';
  jobs: number;
}

interface Measure { gbps: number; iops: number; cpuPerGB: number; bytes: number; sec: number }

function fioArgs(c: Case, a: Args): string[] {
  const args = [
    '--name=cmp', `--filename=${a.file}`, '--direct=1', `--rw=${c.pattern === 'seq' ? 'read' : 'randread'}`,
    `--bs=${c.bs}`, `--ioengine=${c.engine}`, '--time_based', `--runtime=${a.runtime}`, '--ramp_time=0',
    '--output-format=json', '--invalidate=0', '--randrepeat=0', '--norandommap',
  ];
  if (c.engine === 'io_uring') args.push(`--iodepth=${c.qd}`, '--fixedbufs=1', `--size=${a.size}`);
  else args.push(`--numjobs=${c.jobs}`, '--thread', `--size=${Math.floor(a.size / c.jobs / c.bs) * c.bs}`, `--offset_increment=${Math.floor(a.size / c.jobs / c.bs) * c.bs}`);
  return args;
}

function runFio(c: Case, a: Args): Measure {
  const r = spawnSync('fio', fioArgs(c, a), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`fio failed: ${r.stderr || r.stdout}`);
  const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  let bytes = 0, ios = 0, cpu = 0, sec = 0;
  for (const j of doc.jobs) {
    bytes += j.read.io_bytes;
    ios += j.read.total_ios;
    const rt = j.job_runtime / 1000;
    sec = Math.max(sec, rt);
    cpu += ((j.usr_cpu + j.sys_cpu) / 100) * rt;
  }
  return { gbps: bytes / 1e9 / sec, iops: ios / sec, cpuPerGB: cpu / (bytes / 1e9), bytes, sec };
}

async function runP2p(c: Case, a: Args, thp = true): Promise<Measure> {
  if (thp) delete process.env.P2P_NO_THP;
  else process.env.P2P_NO_THP = '1';
  const o: NativeBenchOptions = {
    path: a.file, write: false, direct: true, engine: c.engine, dest: { kind: 'host' }, mode: 'direct',
    blockSize: c.bs, queueDepth: c.engine === 'psync' ? c.jobs : c.qd, workers: 1, rangeOffset: 0,
    rangeLength: Math.floor(a.size / c.bs) * c.bs, totalBytes: 0, durationMs: a.runtime * 1000,
    pattern: c.pattern, registerBuffers: true, verifySlots: -1, progressIntervalMs: 250, seed: Date.now() % 1e9,
  };
  const r = await startBench(o).promise;
  delete process.env.P2P_NO_THP;
  if (r.error) throw new Error(`p2p engine error: ${r.error}`);
  if (!r.verify.ok) throw new Error('p2p engine verification failed');
  const cpu = r.cpu.userSec + r.cpu.sysSec;
  return { gbps: r.bytes / 1e9 / r.elapsedSec, iops: r.ios / r.elapsedSec, cpuPerGB: cpu / (r.bytes / 1e9), bytes: r.bytes, sec: r.elapsedSec };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const fioV = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  if (fioV.status !== 0) throw new Error('fio not found (apt-get install -y fio)');
  ensureFile(a.file, a.size);
  const st = statSource(a.file);
  if (!st.directOk) throw new Error(`${a.file}: no O_DIRECT (${st.directError})`);
  const cases: Case[] = [
    { name: 'seq1m', bs: 1 << 20, qd: 32, pattern: 'seq', engine: 'io_uring', jobs: 1 },
    { name: 'rand4k', bs: 4096, qd: 64, pattern: 'rand', engine: 'io_uring', jobs: 1 },
    { name: 'psync', bs: 1 << 20, qd: 1, pattern: 'seq', engine: 'psync', jobs: a.jobs },
  ];
  type Tool = 'fio' | 'p2p' | 'p2p-4k';
  const results: Record<string, Record<Tool, Measure[]>> = {};
  for (const c of cases) {
    results[c.name] = { fio: [], p2p: [], 'p2p-4k': [] };
    for (let r = 0; r < a.rounds; r++) {
      const tools: Tool[] = ['fio', 'p2p', 'p2p-4k'];
      const order = r % 2 === 0 ? tools : [...tools].reverse();
      for (const who of order) {
        const m = who === 'fio' ? runFio(c, a) : await runP2p(c, a, who === 'p2p');
        results[c.name][who].push(m);
        process.stderr.write(`${c.name} round ${r + 1} ${who}: ${m.gbps.toFixed(3)} GB/s ${m.iops.toFixed(0)} IOPS ${m.cpuPerGB.toFixed(4)} CPU s/GB\n`);
      }
    }
  }
  const med = (c: string, who: Tool, k: keyof Measure) => median(results[c][who].map((m) => m[k]));
  const row = (c: string, metric: keyof Measure, label: string, bar: string, ok: (ratio: number) => boolean, digits = 3) => {
    const f = med(c, 'fio', metric), p = med(c, 'p2p', metric), q = med(c, 'p2p-4k', metric);
    // paired: each round's p2p run against the fio run next to it, then the median of those ratios
    const paired = (who: Tool) => median(results[c][who].map((m, i) => m[metric] / results[c].fio[i][metric]));
    const verdict = (x: number) => (ok(x) ? 'PASS' : 'FAIL');
    const pp = paired('p2p'), pq = paired('p2p-4k');
    return `| ${c} | ${label} | ${f.toFixed(digits)} | ${p.toFixed(digits)} | ${(p / f).toFixed(3)} | **${pp.toFixed(3)}** ${verdict(pp)} | ${q.toFixed(digits)} | ${(q / f).toFixed(3)} | **${pq.toFixed(3)}** ${verdict(pq)} | ${bar} |`;
  };
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const fsLine = spawnSync('df', ['-T', a.file], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
  const lines = [
    '# p2p bench engine vs fio',
    '',
    `Generated by \`bench/fio-compare.ts\` on ${new Date().toISOString()}.`,
    '',
    `- Machine: ${cpuModel}, ${cpus().length} CPUs, kernel ${release()}; ${fioV.stdout.trim()}; node ${process.version}`,
    `- File: \`${a.file}\`, ${(a.size / 2 ** 30).toFixed(2)} GiB of random data; filesystem: \`${fsLine.replace(/\s+/g, ' ')}\``,
    `- Each case: ${a.rounds} rounds of ${a.runtime} s per tool, interleaved (round 1: fio, p2p, p2p-4k; round 2: the reverse; ...).`,
    '  "medians": median p2p over median fio. "paired": median over rounds of (p2p / the fio run of the same round), which',
    '  cancels the slow drift of a shared virtual disk; PASS/FAIL is judged on the paired ratio.',
    '- p2p runs the same native engine as `p2p bench` (host destination, direct path, registered buffers, verification after the timed window).',
    '- "p2p" is the engine as shipped: host buffers of 2 MiB or more are 2 MiB-aligned with MADV_HUGEPAGE. "p2p 4K pages" is the same engine with',
    '  P2P_NO_THP=1 (plain 4 KiB pages, like fio\'s default malloc buffers): the like-for-like column for the engine loop itself.',
    '- CPU s/GB: fio = (usr_cpu + sys_cpu) x job_runtime summed over jobs; p2p = getrusage(RUSAGE_SELF) delta of the whole node process over the run.',
    '',
    '| case | metric | fio | p2p | p2p / fio (medians) | p2p / fio (paired) | p2p 4K pages | 4K / fio (medians) | 4K / fio (paired) | bar |',
    '|---|---|---|---|---|---|---|---|---|---|',
    row('seq1m', 'gbps', 'GB/s', '>= 0.95', (r) => r >= 0.95),
    row('seq1m', 'cpuPerGB', 'CPU s/GB', '<= 1.10', (r) => r <= 1.1, 4),
    row('rand4k', 'iops', 'IOPS', '>= 0.90', (r) => r >= 0.9, 0),
    row('rand4k', 'cpuPerGB', 'CPU s/GB (info)', '-', () => true, 4),
    row('psync', 'gbps', 'GB/s', '>= 0.95', (r) => r >= 0.95),
    row('psync', 'cpuPerGB', 'CPU s/GB (info)', '-', () => true, 4),
    '',
    '## Commands',
    '',
    ...cases.flatMap((c) => [
      `### ${c.name}`,
      '',
      '```',
      `fio ${fioArgs(c, a).join(' ')}`,
      `p2p engine: startBench({ path: '${a.file}', engine: '${c.engine}', mode: 'direct', dest: host, blockSize: ${c.bs}, queueDepth: ${c.engine === 'psync' ? c.jobs : c.qd}, workers: 1, pattern: '${c.pattern}', durationMs: ${a.runtime * 1000}, registerBuffers: true })`,
      `   = p2p bench ${a.file} host --mode direct --bs ${c.bs} --qd ${c.engine === 'psync' ? c.jobs : c.qd} --pattern ${c.pattern} --engine ${c.engine} --duration ${a.runtime}`,
      '```',
      '',
    ]),
    '## Every round',
    '',
    '| case | round | tool | GB/s | IOPS | CPU s/GB |',
    '|---|---|---|---|---|---|',
    ...cases.flatMap((c) => (['fio', 'p2p', 'p2p-4k'] as const).flatMap((who) => results[c.name][who].map((m, i) =>
      `| ${c.name} | ${i + 1} | ${who} | ${m.gbps.toFixed(3)} | ${m.iops.toFixed(0)} | ${m.cpuPerGB.toFixed(4)} |`))),
    '',
  ];
  const prev = existsSync(a.out) ? readFileSync(a.out, 'utf8') : '';
  const notesAt = prev.indexOf('\n## Notes');
  const notes = notesAt >= 0 ? prev.slice(notesAt + 1) : '';
  writeFileSync(a.out, lines.join('\n') + (notes ? '\n' + notes : ''));
  process.stdout.write(lines.slice(0, 23).join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`fio-compare: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
