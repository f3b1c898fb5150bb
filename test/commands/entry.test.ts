// The shipped entry point: bin/p2p.js runs the bundle in dist/cli/, reports its own version from any
// directory, and says how to build when the bundle is missing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPO_ROOT } from '../helpers/refdata.js';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

test('p2p --version is p2p\'s own version, also when run from another package\'s directory', () => {
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-version-'));
  try {
    fs.writeFileSync(path.join(elsewhere, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/p2p.js'), '--version'], { cwd: elsewhere, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  } finally {
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('a copy of bin/ without the bundle says how to build, in one line, exit 2', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-unbuilt-'));
  try {
    fs.mkdirSync(path.join(copy, 'bin'));
    fs.copyFileSync(path.join(REPO_ROOT, 'bin/p2p.js'), path.join(copy, 'bin/p2p.js'));
    fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'p2p', type: 'module' }));
    const r = spawnSync(process.execPath, [path.join(copy, 'bin/p2p.js'), 'topo'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^p2p: not built yet .*npm run build.*\n$/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
