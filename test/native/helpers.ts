// Shared by the native and bench tests: a temp dir that supports O_DIRECT, random source files,
// the repo root, and the fake CUDA/cuFile libraries compiled on demand.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSource } from '../../src/native/addon.js';

export const repoRoot = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || !existsSync(join(d, 'binding.gyp'))) {
    const up = dirname(d);
    if (up === d) throw new Error('repo root not found');
    d = up;
  }
  return d;
})();

/** A fresh temp dir on a filesystem where O_DIRECT works (tmpfs does not): os.tmpdir(), else /var/tmp. */
export function directTempDir(prefix = 'p2p-test-'): string {
  const tried: string[] = [];
  for (const base of [tmpdir(), '/var/tmp', repoRoot]) {
    let dir: string | null = null;
    try {
      dir = mkdtempSync(join(base, prefix));
      const probe = join(dir, 'probe');
      writeFileSync(probe, Buffer.alloc(4096));
      const s = statSource(probe);
      if (s.directOk) return dir;
      tried.push(`${base}: ${s.directError ?? 'O_DIRECT refused'}`);
    } catch (e) {
      tried.push(`${base}: ${(e as Error).message}`); // then the next base
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`no directory supporting O_DIRECT found (${tried.join('; ')})`);
}

/** Write `bytes` random bytes to dir/name and return [path, contents]. */
export function randomFile(dir: string, name: string, bytes: number): [string, Buffer] {
  const buf = randomBytes(bytes);
  const p = join(dir, name);
  writeFileSync(p, buf);
  return [p, buf];
}

export interface FakeCuda {
  dir: string;
  cuda: string;
  cufile: string;
  cudaMissingSymbol: string;
  /** The fake libamdhip64.so (ROCm HIP). */
  hip: string;
}

let fake: FakeCuda | null | undefined;
/** Compile the fake libcuda/libcufile/libamdhip64 (test/native/fake-cuda) once into a temp dir; null when no C compiler. */
export function fakeCuda(): FakeCuda | null {
  if (fake !== undefined) return fake;
  const src = join(repoRoot, 'test/native/fake-cuda');
  const dir = resolve(directTempDir('p2p-fakecuda-'));
  mkdirSync(dir, { recursive: true });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const cc = (out: string, file: string, extra: string[] = []) =>
    execFileSync('cc', ['-shared', '-fPIC', '-O1', ...extra, '-o', join(dir, out), join(src, file)], { stdio: 'pipe' });
  try {
    cc('libcuda.so.1', 'fake_cuda.c');
    cc('libcufile.so.0', 'fake_cufile.c');
    cc('libamdhip64.so', 'fake_hip.c');
    mkdirSync(join(dir, 'missing'));
    cc('missing/libcuda.so.1', 'fake_cuda.c', ['-DOMIT_SYMBOL']);
    fake = { dir, cuda: join(dir, 'libcuda.so.1'), cufile: join(dir, 'libcufile.so.0'), cudaMissingSymbol: join(dir, 'missing/libcuda.so.1'), hip: join(dir, 'libamdhip64.so') };
  } catch {
    fake = null;
  }
  return fake;
}

export interface FakeIbverbs {
  /** The fake libibverbs.so.1 (test/native/fake-ibverbs). */
  lib: string;
  /** The same without ibv_reg_dmabuf_mr (an rdma-core older than 34). */
  noDmabuf: string;
}

let fakeIbv: FakeIbverbs | null | undefined;
/** Compile the fake libibverbs once into a temp dir; null when no C compiler. */
export function fakeIbverbs(): FakeIbverbs | null {
  if (fakeIbv !== undefined) return fakeIbv;
  const src = join(repoRoot, 'test/native/fake-ibverbs/fake_ibverbs.c');
  const dir = mkdtempSync(join(tmpdir(), 'p2p-fakeibv-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    mkdirSync(join(dir, 'old'));
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', join(dir, 'libibverbs.so.1'), src], { stdio: 'pipe' });
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-DOMIT_DMABUF', '-o', join(dir, 'old/libibverbs.so.1'), src], { stdio: 'pipe' });
    fakeIbv = { lib: join(dir, 'libibverbs.so.1'), noDmabuf: join(dir, 'old/libibverbs.so.1') };
  } catch {
    fakeIbv = null;
  }
  return fakeIbv;
}
