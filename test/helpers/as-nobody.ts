// Running a check as the unprivileged `nobody` user: where runuser is, and whether nobody can reach a file
// (a checkout under a 0700 directory, as `mktemp -d` makes, is out of its reach: skip, don't fail).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => existsSync(p));

/** Why `nobody` cannot read `file` (for a test's skip), or null when it can. */
export function nobodyCannotRead(file: string): string | null {
  if (process.getuid?.() !== 0) return 'needs root (to run as nobody)';
  if (!RUNUSER) return 'needs runuser (apt-get install -y util-linux)';
  const r = spawnSync(RUNUSER, ['-u', 'nobody', '--', 'test', '-r', file], { cwd: '/' });
  return r.status === 0 ? null : `the checkout is not readable by nobody (${file}): make its directories readable, e.g. chmod o+rx ${privateParent(file)}`;
}

/** The topmost directory above `file` that others cannot enter (what mktemp -d makes), or its parent. */
function privateParent(file: string): string {
  const parts = file.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    try {
      if ((statSync(dir).mode & 0o005) !== 0o005) return dir;
    } catch {
      return dir;
    }
  }
  return file;
}
