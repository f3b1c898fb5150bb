// The real machines' reference data in test/fixtures/refdata (see its SOURCE), and their sysfs trees unpacked once per run.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDirRemovedAtExit } from './temp-dir.js';

/** Repository root (tests run from dist/test/..., three levels below it). */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const REFDATA = path.join(REPO_ROOT, 'test', 'fixtures', 'refdata');
export const PCIUTILS_DUMPS = path.join(REFDATA, 'lspci/pciutils-tests');
export const HWLOC_TREES = ['32intel64-2p8co2t+8ve', '40intel64-2g2n4c+pcilocality', '2pa-pcidomain32bits', 'nvidiagpunumanodes'];

export function haveRefdata(): boolean {
  return fs.existsSync(REFDATA);
}

const unpacked = new Map<string, string>();

/** Unpacks hwloc/NAME/NAME.tar.bz2 into a temp dir and returns the filesystem root inside it. */
export function hwlocRoot(name: string): string {
  const cached = unpacked.get(name);
  if (cached) return cached;
  const dest = tempDirRemovedAtExit('p2p-hwloc-');
  execFileSync('tar', ['xjf', path.join(REFDATA, 'hwloc', name, `${name}.tar.bz2`), '-C', dest]);
  const entries = fs.readdirSync(dest);
  const root = entries.length === 1 ? path.join(dest, entries[0]) : dest;
  unpacked.set(name, root);
  return root;
}

export function pciutilsDumps(): string[] {
  return fs
    .readdirSync(PCIUTILS_DUMPS)
    .filter((f) => !f.startsWith('COPYING') && fs.statSync(path.join(PCIUTILS_DUMPS, f)).isFile())
    .sort();
}

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
