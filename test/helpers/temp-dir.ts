// Temp dirs for tests, removed when the test process exits: without this every run left its
// extracted trees and snapshots in os.tmpdir() (tens of GB over time).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];
let removalRegistered = false;

/** A fresh dir in os.tmpdir() (named PREFIX + random), removed with its contents at process exit. */
export function tempDirRemovedAtExit(prefix = 'p2p-test-'): string {
  if (!removalRegistered) {
    process.on('exit', removeTempDirs);
    removalRegistered = true;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Some tests chmod dirs inside to 0311 or 0644 (unlistable, unenterable): give them back to us, retry.
      makeDirsWritable(dir);
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // Nothing more to do at exit; never fail the run over a leftover.
      }
    }
  }
}

/** chmod 0700 on DIR and every dir under it; Dirent.isDirectory() does not follow symlinks out of the tree. */
function makeDirsWritable(dir: string): void {
  try {
    fs.chmodSync(dir, 0o700);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) makeDirsWritable(path.join(dir, e.name));
  } catch {
    // Best effort.
  }
}
