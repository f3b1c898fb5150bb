// Boot one fabric under QEMU (TCG) and bring back one JSON result; or many, a few at a time.
// Every wait is bounded: QEMU is killed when the spec's timeoutSec passes and the result says so.
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { collectGuest, type GuestFacts } from './collect.js';
import { findCompiler } from './kernel.js';
import { memBackingFiles, qemuArgs } from './qemu-args.js';
import { drivesOf, type LabSpec } from './spec.js';

export type RunStatus = 'ok' | 'guest-hung' | 'boot-failed' | 'guest-incomplete' | 'qemu-failed';

export interface LabResult {
  schema: 1;
  fabric: string;
  spec: LabSpec;
  status: RunStatus;
  /** One line for humans when status is not ok. */
  message: string | null;
  startedAt: string;
  wallMs: number;
  /** Boots it took (2 when the first never reached init). */
  attempts: number;
  qemu: { argv: string[]; exitCode: number | null; signal: string | null; timedOut: boolean; consoleTail: string };
  /** Drive name -> FNV-1a 64 of the first readBytes of its backing file. */
  driveFingerprints: Record<string, string>;
  guest: GuestFacts;
}

export interface RunOptions {
  /** Results go to OUT/<fabric>.json, raw guest files to OUT/<fabric>/. */
  outDir: string;
  kernel: string;
  qemu: string;
  oracle: string;
  root: string;
  node?: string;
  /** The p2p commands that exist in this checkout (see p2pCommands); bench runs only if listed. */
  commands?: ReadonlySet<string>;
  /** Seconds for each p2p command inside the guest (default 90). */
  commandTimeoutSec?: number;
  /** Overrides every spec's timeoutSec (P2P_LAB_TIMEOUT), for slow or crowded machines. */
  timeoutSec?: number;
  /** bench-args.txt lines to run instead of benchLines(spec) (a fabric without NVMe pairs, e.g. test/lab/hmm.test.ts). */
  benchLines?: string[];
  log?: (line: string) => void;
}

/** FNV-1a 64 as 16 hex digits, computed with 32-bit halves (matches oracle.c). */
export function fnv1a64(buf: Uint8Array): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < buf.length; i++) {
    lo = (lo ^ buf[i]!) >>> 0;
    // h * (2^40 + 0x1b3) mod 2^64
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 4294967296);
    const newHi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % 4294967296;
    lo = loMul % 4294967296;
    hi = newHi;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** The NVDIMM and CXL backing files (qemu-args.ts's memBackingFiles) in DIR: sparse, so the guest's writes to them stay there. */
export function createMemFiles(spec: Pick<LabSpec, 'nvdimm' | 'cxl'>, dir: string): Map<string, string> {
  const memFiles = new Map<string, string>();
  for (const [k, mb] of memBackingFiles(spec)) {
    const file = join(dir, `${k}.mem`);
    writeFileSync(file, '');
    truncateSync(file, mb * 1048576);
    memFiles.set(k, file);
  }
  return memFiles;
}

/** The backing file's bytes: AES-CTR keystream seeded by the drive name, so every drive differs and runs repeat. */
export function drivePattern(name: string, bytes: number): Buffer {
  const key = createHash('sha256').update(`p2p-lab drive ${name}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(bytes));
}

/** Compile test/lab/guest/oracle.c with the host compiler (static when possible), cached by source hash. */
export function buildOracle(root: string): { ok: true; path: string; static: boolean } | { ok: false; reason: string } {
  const cc = findCompiler();
  if (!cc.ok) return cc;
  const src = join(root, 'test', 'lab', 'guest', 'oracle.c');
  if (!existsSync(src)) return { ok: false, reason: `missing ${src}` };
  const hash = createHash('sha256').update(readFileSync(src)).update(cc.how).digest('hex').slice(0, 12);
  const cache = join(root, 'test', 'lab', '.cache');
  mkdirSync(cache, { recursive: true });
  for (const [flavour, extra] of [['static', ['-static']], ['dynamic', []]] as const) {
    const out = join(cache, `oracle-${hash}-${flavour}`);
    if (existsSync(out)) return { ok: true, path: out, static: flavour === 'static' };
    const r = spawnSync(cc.path, ['-O2', '-Wall', '-Wextra', ...extra, '-o', `${out}.tmp`, src], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      spawnSync('mv', [`${out}.tmp`, out]);
      return { ok: true, path: out, static: flavour === 'static' };
    }
    if (flavour === 'dynamic') return { ok: false, reason: `cannot compile the guest oracle: ${r.stderr || r.error?.message}` };
  }
  return { ok: false, reason: 'unreachable' };
}

/** The commands this checkout's `p2p --help` lists (asked on the host, where node starts fast). */
export function p2pCommands(root: string, node = process.execPath): Set<string> {
  const bin = join(root, 'bin', 'p2p.js');
  if (!existsSync(bin)) return new Set();
  const r = spawnSync(node, [bin, '--help'], { encoding: 'utf8', timeout: 30_000 });
  const found = new Set<string>();
  for (const m of (r.stdout ?? '').matchAll(/^\s+p2p ([a-z][a-z-]*)\b/gm)) found.add(m[1]!);
  return found;
}

/** The p2p commands the guest runs, in order; those missing from `commands` are recorded as absent. */
export const GUEST_COMMANDS = ['topo', 'matrix', 'doctor', 'snapshot'] as const;

/**
 * Benchmark runs for the pairs the spec says the kernel allows (at most `max`; pairs of two
 * different drives first): each line of bench-args.txt is "CLIENT PROVIDER ARGS..." and the guest
 * replaces {client}, {clientDev} and {provider} in ARGS with the client's BDF, its block device
 * and the provider's BDF. Only the direct path, a few I/Os, verified against a host read.
 */
export function benchLines(spec: LabSpec, max = 1): string[] {
  return benchPairs(spec, max).map(
    (e) => `${e.client} ${e.provider} bench {clientDev} {provider} --json --mode direct --size ${spec.readBytes} --total ${spec.readBytes} --bs 256k --qd 4 --verify`,
  );
}

/** The pairs benchLines() measures, in the same order (bench-1, bench-2, ...). */
export function benchPairs(spec: LabSpec, max = 1): LabSpec['expect'] {
  const allowed = spec.expect.filter((e) => e.kernel !== 'EREMOTEIO');
  return [...allowed.filter((e) => e.client !== e.provider), ...allowed.filter((e) => e.client === e.provider)].slice(0, max);
}

/** QEMUs still running: killed if this process exits first, so no guest outlives its runner. */
const running = new Set<ReturnType<typeof spawn>>();
/** Backing-file directories in use: removed on exit too, so a killed run leaves no images in /tmp. */
const scratch = new Set<string>();
let exitHook = false;
function track(child: ReturnType<typeof spawn>): void {
  running.add(child);
  child.on('close', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    // SIGTERM: the coreutils timeout wrapper passes it on to QEMU and SIGKILLs it 5 s later.
    const cleanup = (): void => {
      for (const c of running) killChild(c, 'SIGTERM');
      for (const d of scratch) rmSync(d, { recursive: true, force: true });
    };
    process.on('exit', cleanup);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        cleanup();
        process.kill(process.pid, sig);
      });
    }
  }
}

function killChild(child: ReturnType<typeof spawn>, sig: NodeJS.Signals): void {
  child.kill(sig);
}

let timeoutCommand: boolean | null = null;
/** A Python the guest can run from the host root (a pyenv shim needs the host's HOME): the system one when there is one. */
function pythonPath(): string {
  return ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
}

function hasTimeoutCommand(): boolean {
  timeoutCommand ??= spawnSync('timeout', ['--version'], { timeout: 5000 }).status === 0;
  return timeoutCommand;
}

function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Boot one fabric. Never throws for guest problems: they become status + message. A guest that
 * never reached init is booted once more (a starved TCG guest can fail early checks); the result
 * says how many attempts it took. Hung guests are not retried: their bound is already long.
 */
export async function runFabric(spec: LabSpec, opt: RunOptions): Promise<LabResult> {
  const first = await runFabricOnce(spec, opt);
  if (first.status !== 'boot-failed') return first;
  opt.log?.(`${spec.name}: retrying once after: ${first.message}`);
  const second = await runFabricOnce(spec, opt);
  second.attempts = 2;
  if (second.status !== 'ok') second.message = `${second.message} (second attempt; the first: ${first.message})`;
  writeFileSync(join(opt.outDir, `${spec.name}.json`), JSON.stringify(second, null, 2) + '\n');
  return second;
}

async function runFabricOnce(specIn: LabSpec, opt: RunOptions): Promise<LabResult> {
  const spec = opt.timeoutSec ? { ...specIn, timeoutSec: opt.timeoutSec } : specIn;
  const log = opt.log ?? (() => {});
  const started = Date.now();
  const runDir = resolve(opt.outDir, spec.name);
  const guestDir = join(runDir, 'guest');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(guestDir, { recursive: true });

  // Backing files with a known pattern; the guest only reads them.
  const driveDir = mkdtempSync(join(tmpdir(), `p2p-lab-${spec.name}-`));
  scratch.add(driveDir);
  const driveFiles = new Map<string, string>();
  const fingerprints: Record<string, string> = {};
  for (const d of drivesOf(spec)) {
    const file = join(driveDir, `${d.name}.img`);
    const bytes = (d.sizeMb ?? 8) * 1048576;
    const data = drivePattern(d.name, bytes);
    writeFileSync(file, data);
    fingerprints[d.name] = fnv1a64(data.subarray(0, spec.readBytes));
    driveFiles.set(d.name, file);
  }

  // The guest mounts its own /proc, /sys, /dev and a scratch /run over the host's read-only root.
  for (const [what, p] of [['checkout', opt.root], ['node', opt.node ?? process.execPath], ['oracle', resolve(opt.oracle)]] as const) {
    if (/^\/(run|proc|sys|dev)(\/|$)/.test(resolve(p))) {
      throw new Error(`the ${what} at ${p} is under a directory the lab guest mounts over; move it elsewhere`);
    }
  }
  const env = {
    REPO: opt.root,
    NODE: opt.node ?? process.execPath,
    ORACLE: resolve(opt.oracle),
    LEN: String(spec.readBytes),
    CMD_TIMEOUT: String(opt.commandTimeoutSec ?? 90),
    P2P_COMMANDS: GUEST_COMMANDS.filter((c) => opt.commands?.has(c)).join(' '),
    // Device-memory extras init.sh sets up before p2p runs (empty: none).
    NVDIMM_MODE: spec.nvdimm?.mode ?? '',
    RDMA: (spec.rdma ?? []).join(' '),
    UDMABUF: spec.udmabuf ? '1' : '',
    PYTHON: spec.udmabuf ? pythonPath() : '',
  };
  writeFileSync(join(guestDir, 'guest.env'), Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`).join('\n') + '\n');
  const bench = opt.benchLines ?? (opt.commands?.has('bench') ? benchLines(spec) : []);
  if (bench.length) writeFileSync(join(guestDir, 'bench-args.txt'), bench.join('\n') + '\n');

  const memFiles = createMemFiles(spec, driveDir);

  let argv: string[];
  try {
    argv = qemuArgs(spec, {
      kernel: opt.kernel,
      initScript: join(opt.root, 'test', 'lab', 'guest', 'init.sh'),
      resultsDir: guestDir,
      driveFiles,
      memFiles,
    });
  } catch (e) {
    rmSync(driveDir, { recursive: true, force: true });
    throw e;
  }
  writeFileSync(join(runDir, 'qemu.argv'), [opt.qemu, ...argv].map((a) => (/[\s'"]/.test(a) ? `'${a}'` : a)).join(' \\\n  ') + '\n');

  log(`${spec.name}: booting (timeout ${spec.timeoutSec}s)`);
  const consoleFd = openSync(join(runDir, 'console.log'), 'w');
  let consoleText = '';
  let timedOut = false;
  const exit = await new Promise<{ code: number | null; signal: string | null; error?: string }>((done) => {
    // coreutils timeout as a second bound, in case this process dies without killing QEMU.
    const [cmd, cmdArgs] = hasTimeoutCommand()
      ? ['timeout', ['-k', '5', String(spec.timeoutSec + 15), opt.qemu, ...argv]]
      : [opt.qemu, argv];
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const onData = (b: Buffer): void => {
      writeSync(consoleFd, b);
      consoleText += b.toString('utf8');
      if (consoleText.length > 400_000) consoleText = consoleText.slice(-200_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      log(`${spec.name}: no power-off after ${spec.timeoutSec}s, killing QEMU`);
      killChild(child, 'SIGTERM');
      setTimeout(() => killChild(child, 'SIGKILL'), 10_000).unref();
    }, spec.timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ code: null, signal: null, error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal });
    });
  });
  closeSync(consoleFd);
  rmSync(driveDir, { recursive: true, force: true });
  scratch.delete(driveDir);

  const guest = collectGuest(guestDir, new Map(Object.entries(fingerprints)));
  let status: RunStatus = 'ok';
  let message: string | null = null;
  const consoleTail = tail(consoleText);
  if (exit.error) {
    status = 'qemu-failed';
    message = `QEMU did not start: ${exit.error}`;
  } else if (timedOut) {
    status = 'guest-hung';
    message = `guest hung: no power-off within ${spec.timeoutSec}s (last stage: ${guest.stage ?? 'init never started'}); see ${join(runDir, 'console.log')}`;
  } else if (exit.code !== 0) {
    status = 'qemu-failed';
    message = `QEMU exited with ${exit.code ?? exit.signal}: ${tail(consoleText, 5).trim()}`;
  } else if (guest.stage === null) {
    status = 'boot-failed';
    const panic = consoleText.match(/Kernel panic[^\n]*/)?.[0];
    message = `boot failed: the guest never ran test/lab/guest/init.sh${panic ? ` (${panic.trim()})` : ''}; see ${join(runDir, 'console.log')}`;
  } else if (guest.stage !== 'done') {
    status = 'guest-incomplete';
    message = `the guest stopped during stage "${guest.stage}"; see ${join(runDir, 'console.log')}`;
  }

  const result: LabResult = {
    schema: 1,
    fabric: spec.name,
    spec,
    status,
    message,
    startedAt: new Date(started).toISOString(),
    wallMs: Date.now() - started,
    attempts: 1,
    qemu: { argv: [opt.qemu, ...argv], exitCode: exit.code, signal: exit.signal, timedOut, consoleTail },
    driveFingerprints: fingerprints,
    guest,
  };
  writeFileSync(join(opt.outDir, `${spec.name}.json`), JSON.stringify(result, null, 2) + '\n');
  log(`${spec.name}: ${status}${message ? ` - ${message}` : ''} (${(result.wallMs / 1000).toFixed(1)}s)`);
  return result;
}

/** P2P_LAB_TIMEOUT as a number of seconds, or undefined. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env.P2P_LAB_TIMEOUT);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Run specs with at most `jobs` QEMUs at once; results in spec order. */
export async function runAll(specs: LabSpec[], opt: RunOptions, jobs: number): Promise<LabResult[]> {
  const results: LabResult[] = new Array(specs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      results[i] = await runFabric(specs[i]!, opt);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, specs.length)) }, worker));
  return results;
}
