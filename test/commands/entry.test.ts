// The shipped entry point: bin/p2p.js runs the bundle in dist/cli/ through a V8 code cache it refreshes when
// V8 rejects it, reports its own version from any directory, and says how to build when the bundle is missing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../helpers/refdata.js';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
function inTempDir(prefix: string, fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The package as shipped, in `to`: bin/ (the entry and the package.json that makes it CommonJS), the CLI bundle when asked for, no code cache. */
function shippedCopy(to: string, withBundle: boolean): void {
  fs.mkdirSync(path.join(to, 'bin'));
  for (const f of ['p2p.js', 'package.json']) fs.copyFileSync(path.join(REPO_ROOT, 'bin', f), path.join(to, 'bin', f));
  if (withBundle) {
    fs.mkdirSync(path.join(to, 'dist/cli'), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'dist/cli/p2p.cjs'), path.join(to, 'dist/cli/p2p.cjs'));
  }
  fs.writeFileSync(path.join(to, 'package.json'), JSON.stringify({ name: 'p2p', version: pkg.version, type: 'module' }));
}

test('p2p --version is p2p\'s own version, also when run from another package\'s directory', () => {
  inTempDir('p2p-version-', (elsewhere) => {
    fs.writeFileSync(path.join(elsewhere, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/p2p.js'), '--version'], { cwd: elsewhere, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});

test('a copy of bin/ without the bundle says how to build, in one line, exit 2', () => {
  inTempDir('p2p-unbuilt-', (copy) => {
    shippedCopy(copy, false);
    const r = spawnSync(process.execPath, [path.join(copy, 'bin/p2p.js'), 'topo'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^p2p: not built yet .*p2p\.cjs is missing.*npm run build.*\n$/);
  });
});

test('a rejected code cache is replaced after the run, and the run is unaffected', () => {
  inTempDir('p2p-cache-', (copy) => {
    shippedCopy(copy, true);
    const cache = path.join(copy, 'dist/cli/p2p.cjs.cache');
    fs.writeFileSync(cache, Buffer.from('not a V8 code cache'));
    const r = spawnSync(process.execPath, [path.join(copy, 'bin/p2p.js'), '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
    const fresh = fs.readFileSync(cache);
    assert.ok(fresh.length > 1000 && !fresh.toString('latin1').startsWith('not a V8'), 'a real cache replaced the bad one');
    assert.deepEqual(fs.readdirSync(path.join(copy, 'dist/cli')).sort(), ['p2p.cjs', 'p2p.cjs.cache'], 'no temporary files left');
  });
});
