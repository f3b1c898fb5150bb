// Where the lab's tools are: the checkout, the kernel image, QEMU and a C compiler.
// Each lookup returns a reason instead of throwing, so the suite can skip with it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

export const KERNEL_FILE = 'bzImage-6.12-p2pdma';

export type Found = { ok: true; path: string; how: string } | { ok: false; reason: string };

/**
 * The lab kernel, in order: $P2P_LAB_KERNEL, ../shared/lab/bzImage-6.12-p2pdma beside the checkout,
 * test/lab/.cache/bzImage-6.12-p2pdma (what scripts/build-lab-kernel.sh leaves).
 */
export function findKernel(root = repoRoot(), env: NodeJS.ProcessEnv = process.env): Found {
  const override = env.P2P_LAB_KERNEL;
  if (override) {
    if (isFile(override)) return { ok: true, path: resolve(override), how: 'P2P_LAB_KERNEL' };
    return { ok: false, reason: `P2P_LAB_KERNEL=${override} is not a readable file` };
  }
  const shared = resolve(root, '..', 'shared', 'lab', KERNEL_FILE);
  if (isFile(shared)) return { ok: true, path: shared, how: '../shared/lab' };
  const cached = join(root, 'test', 'lab', '.cache', KERNEL_FILE);
  if (isFile(cached)) return { ok: true, path: cached, how: 'test/lab/.cache (built by scripts/build-lab-kernel.sh)' };
  return {
    ok: false,
    reason: `no lab kernel: set P2P_LAB_KERNEL, or put ${KERNEL_FILE} in ${dirname(shared)}, or build it with scripts/build-lab-kernel.sh (about 13 minutes on 2 cores; it caches ${cached})`,
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
