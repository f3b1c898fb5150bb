// Time to the first full frame and key-to-redraw latency of `p2p tui` on the generated 2,000-function
// DGX-like fabric (bench/gen-fabric.ts), in a real terminal (tmux). The app itself records the times
// (P2P_TUI_TRACE): process start -> first frame written, full fabric loaded, Ink up; and each key's
// arrival on stdin -> the frame written for it. Targets: first frame within 300 ms, redraw within 50 ms.
//   node dist/bench/tui-latency.js [--functions 2000] [--domains 1] [--runs 5] [--keys 40] [--json]
// (--functions 2000 --domains 5: the 10,000-function fabric of five PCI domains, issue 16)
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFabric } from './gen-fabric.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Trace {
  startMs: number;
  fabricMs: number | null;
  firstFrameMs: number | null;
  /** The first frame was drawn from part of the fabric, before the full read. */
  earlyFrame?: boolean;
  /** Ink up: keys answered from here. */
  readyMs?: number | null;
  keys: { key: string; at: number; drawnAt: number | null }[];
}

function tuiEntry(): string[] {
  const help = spawnSync(process.execPath, [path.join(REPO, 'bin/p2p.js'), '--help'], { encoding: 'utf8' });
  return /\btui\b/.test(help.stdout) ? [path.join(REPO, 'bin/p2p.js'), 'tui'] : [path.join(REPO, 'dist/test/ui/tui-main.js'), 'tui'];
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

async function oneRun(root: string, keys: number, columns: number, rows: number): Promise<Trace> {
  const sock = `p2p-tui-bench-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', sock, '-f', '/dev/null', ...a], { encoding: 'utf8', timeout: 10000 });
  const traceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-tui-trace-'));
  const traceFile = path.join(traceDir, 'trace.json');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = `env -u CI -u CONTINUOUS_INTEGRATION P2P_TUI_TRACE=${q(traceFile)} ${[process.execPath, ...tuiEntry(), '--root', root].map(q).join(' ')}`;
  try {
    tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-e', 'TERM=xterm-256color', cmd);
    const end = Date.now() + 60000;
    // Polling spawns tmux: slowly while the app starts, so the poller does not compete with what it measures.
    while (!/1 Fabric/.test(tmux('capture-pane', '-p', '-t', '0')) && Date.now() < end) await sleep(150);
    // The first frame is drawn before Ink has loaded: wait until a key is answered before measuring.
    tmux('send-keys', '-t', '0', 'j');
    while (!/ 2\/\d+/.test(tmux('capture-pane', '-p', '-t', '0')) && Date.now() < end) await sleep(20);
    tmux('send-keys', '-t', '0', 'k');
    await sleep(300);
    // Keys that each change the frame: down through the tree, then pane switches and back.
    const seq = ['j', 'j', 'j', 'J', 'k', 'G', 'g', '2', '1', '/', 'g', 'p', 'u', 'Escape', 'Tab', 'BTab'];
    for (let i = 0; i < keys; i++) {
      tmux('send-keys', '-t', '0', seq[i % seq.length]);
      await sleep(120); // one key at a time: each redraw is measured on its own
    }
    tmux('send-keys', '-t', '0', 'Escape');
    await sleep(200);
    tmux('send-keys', '-t', '0', 'q');
    while (!fs.existsSync(traceFile) && Date.now() < end + 30000) await sleep(20);
    await sleep(50);
    return JSON.parse(fs.readFileSync(traceFile, 'utf8')) as Trace;
  } finally {
    spawnSync('tmux', ['-L', sock, 'kill-server'], { stdio: 'ignore' });
    fs.rmSync(traceDir, { recursive: true, force: true });
  }
}

async function main() {
  const functions = arg('functions', 2000);
  const runs = arg('runs', 5);
  const keys = arg('keys', 40);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-tui-fabric-'));
  const n = generateFabric(root, { functions, domains: arg('domains', 1) });
  const first: number[] = [];
  const fabric: number[] = [];
  const ready: number[] = [];
  let early = 0;
  const redraw: number[] = [];
  const byKey = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    const t = await oneRun(root, keys, 80, 24);
    if (t.firstFrameMs !== null) first.push(t.firstFrameMs);
    if (t.fabricMs !== null) fabric.push(t.fabricMs);
    if (t.readyMs !== undefined && t.readyMs !== null) ready.push(t.readyMs);
    if (t.earlyFrame) early++;
    // The measured keys only: not the two warm-up keys, nor the closing Escape and q. That Escape often
    // changes nothing, and a key without a frame of its own would be timed to the next one (q's).
    for (const k of t.keys.slice(2, 2 + keys)) {
      if (k.drawnAt === null) continue;
      redraw.push(k.drawnAt - k.at);
      byKey.set(k.key, [...(byKey.get(k.key) ?? []), k.drawnAt - k.at]);
    }
  }
  const result = {
    functions: n,
    runs,
    load: os.loadavg()[0],
    cpus: os.cpus().length,
    firstFrameMs: { median: pct(first, 50), max: Math.max(...first), all: first.map((x) => Math.round(x)) },
    /** Runs whose first frame was drawn from part of the fabric (src/ui/early-frame.ts). */
    earlyFrames: early,
    /** Process start to the full fabric loaded, and to Ink up (keys answered). */
    fabricLoadedMs: { median: pct(fabric, 50) },
    readyMs: { median: pct(ready, 50), max: Math.max(...ready) },
    redrawMs: { n: redraw.length, median: pct(redraw, 50), p95: pct(redraw, 95), max: Math.max(...redraw) },
    /** Per key as the app read it: which screens are slow to redraw. */
    redrawByKeyMs: Object.fromEntries([...byKey].map(([k, v]) => [k, { n: v.length, median: Math.round(pct(v, 50) * 10) / 10, max: Math.round(Math.max(...v) * 10) / 10 }])),
    targets: { firstFrameMs: 300, redrawMs: 50 },
  };
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    process.stdout.write(`p2p tui on ${n} functions (${runs} runs, load ${result.load.toFixed(1)} on ${result.cpus} CPUs)\n`);
    process.stdout.write(`  first frame: median ${result.firstFrameMs.median.toFixed(0)} ms, max ${result.firstFrameMs.max.toFixed(0)} ms (target 300)\n`);
    process.stdout.write(`    drawn from part of the fabric in ${early} of ${runs} runs; full fabric loaded at ${result.fabricLoadedMs.median.toFixed(0)} ms, keys answered from ${result.readyMs.median.toFixed(0)} ms (medians)\n`);
    process.stdout.write(`  key to redraw: median ${result.redrawMs.median.toFixed(1)} ms, p95 ${result.redrawMs.p95.toFixed(1)} ms, max ${result.redrawMs.max.toFixed(1)} ms over ${result.redrawMs.n} keys (target 50)\n`);
  }
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`tui-latency: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
