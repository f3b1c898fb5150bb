// The `p2p probe` lab: one q35 guest on the v2 kernel with an NVMe CMB (p2pmem) under a switch beside
// a raw disk and an ext4 disk, a far disk under another root port, an nvdimm made device-DAX, /dev/udmabuf, vivid and rxe over veth.
// guest/probe-init.sh runs the C oracle (guest/probe-oracle.c) and `p2p probe --json` for each
// provider; compareProbe() holds p2p's answers against the oracle's, consumer by consumer.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findCompiler } from './kernel.js';
import { qemuArgs } from './qemu-args.js';
import { createMemFiles, drivePattern } from './runner.js';
import { SPEC_DEFAULTS, type LabSpec, type TopNode } from './spec.js';

/** The fabric: one switch holding the CMB drive, the raw disk and the ext4 disk (peers: P2PDMA allowed). */
export const PROBE_FABRIC: TopNode[] = [
  { kind: 'root-port', child: { kind: 'switch', downstream: [
    { kind: 'nvme', name: 'cmb', cmbMb: 16 },
    { kind: 'nvme', name: 'disk', sizeMb: 16 },
    { kind: 'nvme', name: 'fs', sizeMb: 32 },
  ] } },
  // Under another root port of the q35 host bridge (not on the kernel's allow-list): the distance check refuses it.
  { kind: 'root-port', child: { kind: 'nvme', name: 'far', sizeMb: 8 } },
];

/** The guest's runs, by name: each memory with every consumer, and p2pmem read from the far disk. */
export const PROBE_PROVIDERS = ['p2pmem', 'dax', 'udmabuf', 'host', 'p2pmem-far'] as const;
export const NVDIMM_MB = 256;

// The nvdimm is declared the way a lab spec does it, so qemu-args.ts gives its machine, memory and device
// options; probe-init.sh makes its devdax namespace itself.
const SPEC: LabSpec = {
  ...SPEC_DEFAULTS, name: 'probe', description: 'p2p probe lab', kernelArgs: [], fabric: PROBE_FABRIC, expect: [], timeoutSec: 600,
  nvdimm: { sizeMb: NVDIMM_MB, mode: 'devdax' },
};

export interface ProbePlan {
  kernel: string;
  initScript: string;
  resultsDir: string;
  driveFiles: ReadonlyMap<string, string>;
  nvdimmFile: string;
}

/** The QEMU argument vector: the lab's usual one (qemu-args.ts) for the probe spec, the nvdimm backed by p.nvdimmFile. */
export function probeQemuArgs(p: ProbePlan): string[] {
  const { nvdimmFile, ...plan } = p;
  return qemuArgs(SPEC, { ...plan, memFiles: new Map([['nvdimm', nvdimmFile]]) });
}

/** guest/probe-oracle.c, compiled dynamically (it dlopens libibverbs), cached by source hash. */
export function buildProbeOracle(root: string): { ok: true; path: string } | { ok: false; reason: string } {
  const cc = findCompiler();
  if (!cc.ok) return cc;
  const src = join(root, 'test/lab/guest/probe-oracle.c');
  const hash = createHash('sha256').update(readFileSync(src)).update(cc.how).digest('hex').slice(0, 12);
  const cache = join(root, 'test/lab/.cache');
  mkdirSync(cache, { recursive: true });
  const out = join(cache, `probe-oracle-${hash}`);
  if (existsSync(out)) return { ok: true, path: out };
  const r = spawnSync(cc.path, ['-O2', '-Wall', '-Wextra', '-o', out, src, '-ldl'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? { ok: true, path: out } : { ok: false, reason: `cannot compile the probe oracle: ${r.stderr}` };
}

export interface ProbeLabRun {
  guestDir: string;
  status: 'ok' | 'hung' | 'incomplete';
  stage: string | null;
  wallMs: number;
  consoleTail: string;
}

/** Boot the probe guest once; the raw files land in OUT/probe/guest. */
export async function runProbeLab(o: { root: string; kernel: string; qemu: string; outDir: string; timeoutSec?: number }): Promise<ProbeLabRun> {
  const started = Date.now();
  const runDir = resolve(o.outDir, 'probe');
  const guestDir = join(runDir, 'guest');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(guestDir, { recursive: true });
  const oracle = buildProbeOracle(o.root);
  if (!oracle.ok) throw new Error(oracle.reason);
  const scratch = join(runDir, 'images');
  mkdirSync(scratch);
  const driveFiles = new Map<string, string>();
  for (const [name, mb] of [['cmb', 8], ['disk', 16], ['fs', 32], ['far', 8]] as const) {
    const f = join(scratch, `${name}.img`);
    writeFileSync(f, drivePattern(name, mb << 20));
    driveFiles.set(name, f);
  }
  const nvdimmFile = createMemFiles(SPEC, scratch).get('nvdimm')!;
  const env = { REPO: o.root, NODE: process.execPath, ORACLE: oracle.path, SIZE: String(1 << 20), CMD_TIMEOUT: '120' };
  writeFileSync(join(guestDir, 'guest.env'), Object.entries(env).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n');
  const argv = probeQemuArgs({ kernel: o.kernel, initScript: join(o.root, 'test/lab/guest/probe-init.sh'), resultsDir: guestDir, driveFiles, nvdimmFile });
  writeFileSync(join(runDir, 'qemu.argv'), [o.qemu, ...argv].join(' ') + '\n');
  const timeoutSec = o.timeoutSec ?? SPEC.timeoutSec;
  const consoleFd = openSync(join(runDir, 'console.log'), 'w');
  let text = '';
  let hung = false;
  await new Promise<void>((done) => {
    const child = spawn('timeout', ['-k', '5', String(timeoutSec + 15), o.qemu, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b: Buffer) => {
      writeSync(consoleFd, b);
      text = (text + b.toString('utf8')).slice(-100_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => { hung = true; child.kill('SIGTERM'); }, timeoutSec * 1000);
    const kill = () => child.kill('SIGTERM');
    process.once('exit', kill);
    child.on('close', () => { clearTimeout(timer); process.removeListener('exit', kill); done(); });
  });
  closeSync(consoleFd);
  rmSync(scratch, { recursive: true, force: true });
  const stageFile = join(guestDir, 'stage');
  const stage = existsSync(stageFile) ? readFileSync(stageFile, 'utf8').trim() : null;
  return { guestDir, status: hung ? 'hung' : stage === 'done' ? 'ok' : 'incomplete', stage, wallMs: Date.now() - started, consoleTail: text.split('\n').slice(-30).join('\n') };
}

export interface ProbeCheck {
  consumer: string;
  oracle: string;
  p2p: string;
  ok: boolean;
}

interface Answer { consumer: string; outcome: string; errno: string | null; bytesVerified: number }

const word = (a: Answer | undefined) => (a ? `${a.outcome}${a.errno ? ` ${a.errno}` : ''} (${a.bytesVerified} B)` : 'absent');

/**
 * p2p's answer for every consumer the oracle asked: the same outcome, errno and bytes verified. A consumer
 * the oracle could not ask (skipped) only needs p2p to have not accepted it either.
 */
export function compareProbe(oracleJsonl: string, probeJson: string): ProbeCheck[] {
  const oracle = oracleJsonl.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Answer);
  const p2p = new Map((JSON.parse(probeJson) as { results: Answer[] }).results.map((r) => [r.consumer, r]));
  return oracle.map((o) => {
    const mine = p2p.get(o.consumer);
    const ok = o.outcome === 'skipped'
      ? mine !== undefined && mine.outcome !== 'accepted'
      : mine !== undefined && mine.outcome === o.outcome && mine.errno === o.errno && mine.bytesVerified === o.bytesVerified;
    return { consumer: o.consumer, oracle: word(o), p2p: word(mine), ok };
  });
}
