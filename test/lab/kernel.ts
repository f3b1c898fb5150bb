// Where the lab's tools are: the checkout, the kernel image, QEMU and a C compiler.
// Each lookup returns a reason instead of throwing, so the suite can skip with it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

/** The checkout root: the nearest directory above this file with p2p's package.json. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'p2p') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the p2p checkout above ${from}`);
    dir = up;
  }
}

export const KERNEL_FILE = 'bzImage-6.12-p2pdma-v2';
export const FRAGMENT_FILE = 'kernel-fragment-v2.config';

export type Found = { ok: true; path: string; how: string } | { ok: false; reason: string };

/** The cache key of a kernel built from this fragment: the first 16 hex digits of its sha256 (as scripts/build-lab-kernel.sh computes it). */
export function fragmentKey(fragmentPath: string): string {
  return createHash('sha256').update(readFileSync(fragmentPath)).digest('hex').slice(0, 16);
}

/** Where scripts/build-lab-kernel.sh caches the kernel for this checkout's fragment: outside the clone, shared by every clone. */
export function kernelCacheDir(root = repoRoot(), env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'p2p', 'lab', fragmentKey(join(root, 'test', 'lab', FRAGMENT_FILE)));
}

/**
 * The lab kernel, in order: $P2P_LAB_KERNEL; the cache for this checkout's fragment
 * (scripts/build-lab-kernel.sh); ../shared/lab beside the checkout, but only when the fragment it was
 * built from has the same hash as test/lab's (a shortcut of this workshop, never required).
 */
export function findKernel(root = repoRoot(), env: NodeJS.ProcessEnv = process.env): Found {
  const override = env.P2P_LAB_KERNEL;
  if (override) {
    if (isFile(override)) return { ok: true, path: resolve(override), how: 'P2P_LAB_KERNEL' };
    return { ok: false, reason: `P2P_LAB_KERNEL=${override} is not a readable file` };
  }
  let cacheDir: string;
  try {
    cacheDir = kernelCacheDir(root, env);
  } catch {
    return { ok: false, reason: `no ${join('test', 'lab', FRAGMENT_FILE)} in ${root}: not a p2p checkout` };
  }
  const cached = join(cacheDir, KERNEL_FILE);
  if (isFile(cached)) return { ok: true, path: cached, how: `cache (${cacheDir})` };
  const shared = resolve(root, '..', 'shared', 'lab');
  if (isFile(join(shared, KERNEL_FILE)) && isFile(join(shared, FRAGMENT_FILE)) && fragmentKey(join(shared, FRAGMENT_FILE)) === basename(cacheDir)) {
    return { ok: true, path: join(shared, KERNEL_FILE), how: '../shared/lab (same fragment hash)' };
  }
  return {
    ok: false,
    reason: `no lab kernel for this fragment: build it with scripts/build-lab-kernel.sh --install-deps (about 25 minutes on 2 cores; it caches ${cached}), or set P2P_LAB_KERNEL`,
  };
}

/** qemu-system-x86_64 on PATH (or $P2P_LAB_QEMU). */
export function findQemu(env: NodeJS.ProcessEnv = process.env): Found {
  const bin = env.P2P_LAB_QEMU || 'qemu-system-x86_64';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    return { ok: false, reason: `${bin} not runnable (${r.error ? r.error.message : `exit ${r.status}`}); install it: apt-get install -y qemu-system-x86` };
  }
  return { ok: true, path: bin, how: r.stdout.split('\n')[0] ?? '' };
}

/** A C compiler for the guest oracle. */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): Found {
  for (const bin of [env.CC, 'cc', 'gcc'].filter((x): x is string => !!x)) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (!r.error && r.status === 0) return { ok: true, path: bin, how: r.stdout.split('\n')[0] ?? '' };
  }
  return { ok: false, reason: 'no C compiler (cc/gcc) to build the guest oracle; install gcc' };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
