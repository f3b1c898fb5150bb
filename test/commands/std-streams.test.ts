// Standard output and error as the shipped CLI writes them when they are not terminals: through a pipe
// whose reader is slow (write(2) says EAGAIN on a non-blocking one), to a reader that leaves early
// (EPIPE: a quiet exit 0), and without Node's stream machinery.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFabric } from '../../bench/gen-fabric.js';
import { haveCommand, REPO_ROOT } from '../helpers/refdata.js';

const BIN = path.join(REPO_ROOT, 'bin/p2p.js');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-std-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
const tree = path.join(base, 'tree');
generateFabric(tree, { functions: 600 }); // ~800 KB of JSON: many times a pipe's 64 KiB buffer

/** Runs a shell pipeline with the p2p command substituted for P2P; returns status and output. */
function sh(script: string, p2pArgs: string[]) {
  const p2p = [process.execPath, BIN, ...p2pArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawnSync('sh', ['-c', script.replace('P2P', p2p)], { encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20 });
}

test('a non-blocking pipe to a slow reader gets every byte (EAGAIN is waited out)', { skip: haveCommand('python3') ? false : 'python3 is not installed (it makes the non-blocking pipe)' }, () => {
  // python3 sets O_NONBLOCK on fd 1, then becomes p2p (exec keeps the flag); the reader starts late.
  const nonblocking = `python3 -c 'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])'`;
  const r = sh(`${nonblocking} P2P | (sleep 0.5; cat)`, ['topo', '--json', '--root', tree]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { devices: unknown[] };
  assert.equal(doc.devices.length, 600);
  assert.equal(r.stderr, '');
});

test('a reader that leaves early ends the run quietly: exit 0, nothing on stderr', () => {
  for (const args of [['topo', '--json', '--root', tree], ['topo', '--root', tree], ['--help']]) {
    const st = path.join(base, 'status');
    const r2 = sh(`{ P2P; echo $? > '${st}'; } | head -c 10 > /dev/null`, args);
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(fs.readFileSync(st, 'utf8').trim(), '0', `${args.join(' ')}: ${r2.stderr}`);
    assert.equal(r2.stderr, '', args.join(' '));
  }
});

test('warnings and errors reach stderr through a pipe, in order with stdout', () => {
  const r = spawnSync(process.execPath, [BIN, 'show', 'nosuch', '--root', tree], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^p2p: unknown device 'nosuch'/);
  const file = path.join(base, 'out.json');
  const w = sh(`P2P > '${file}'`, ['topo', '--json', '--root', tree]);
  assert.equal(w.status, 0, w.stderr);
  assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { devices: unknown[] }).devices.length, 600);
});
