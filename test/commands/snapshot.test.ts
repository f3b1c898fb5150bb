// `p2p snapshot` through runSnapshot (and the real CLI once the command is registered).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSnapshot } from '../../src/commands/snapshot.js';
import type { CommandIO } from '../../src/commands/shared.js';
import { readTarGz } from '../../src/access/tar.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';

function collect(): CommandIO & { text: () => string } {
  let out = '';
  return { out: (t) => (out += t), err: (t) => (out += t), isTTY: false, color: false, columns: 100, text: () => out };
}

const tmp = () => tempDirRemovedAtExit('p2p-snapcmd-');
const registered = /p2p snapshot/.test(runCli(['snapshot', '--help']).stdout) ? false : 'snapshot is not registered in src/commands/index.ts yet';

test('snapshot of a captured tree: the summary says what was captured and how to replay it', { skip: noRef }, async () => {
  const out = path.join(tmp(), 'tree.tar.gz');
  const io = collect();
  assert.equal(await runSnapshot({ root: hwlocRoot('40intel64-2g2n4c+pcilocality'), output: out }, io), 0);
  assert.match(io.text(), new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 37 PCI functions, \\d+ files, \\d+(\\.\\d)? KiB\\n`));
  assert.match(io.text(), /config space: 37 x 64 bytes/);
  assert.match(io.text(), /64 bytes is what a non-root reader gets/);
  assert.match(io.text(), /replay: p2p topo --root /);
  assert.ok(fs.statSync(out).size > 0);
});

test('--json prints the manifest; re-packing a snapshot with --redact keeps its origin and drops names', { skip: noRef }, async () => {
  const dir = tmp();
  const first = path.join(dir, 'a.tar.gz');
  const io = collect();
  await runSnapshot({ root: hwlocRoot('2pa-pcidomain32bits'), output: first, json: true, now: new Date('2026-01-02T03:04:05Z') }, io);
  const j = JSON.parse(io.text());
  assert.equal(j.output, first);
  assert.equal(j.manifest.createdAt, '2026-01-02T03:04:05.000Z');
  assert.equal(j.manifest.devices, 9);
  const second = path.join(dir, 'b.tar.gz');
  const io2 = collect();
  await runSnapshot({ root: first, output: second, redact: true, json: true }, io2);
  const m = JSON.parse(io2.text()).manifest;
  assert.equal(m.redacted, true);
  assert.equal(m.hostname, null);
  assert.equal(m.root, null);
  assert.equal(m.devices, 9);
  // Same facts inside, apart from the manifest.
  const files = (f: string) => readTarGz(fs.readFileSync(f)).entries.filter((e) => e.path !== 'p2p-snapshot.json' && !e.path.endsWith('hostname'))
    .map((e) => [e.path, e.type === 'file' ? Buffer.from(e.data).toString('hex') : e.type === 'symlink' ? e.target : 'dir']);
  assert.deepEqual(files(second), files(first));
});

test('default file name: p2p-snapshot-HOST-TIME.tar.gz in the current directory; no host with --redact', async () => {
  const dir = tmp();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const io = collect();
    const now = new Date('2026-11-22T05:06:07Z');
    await runSnapshot({ now, redact: true }, io).catch((e: Error) => {
      // A machine without PCI devices in /sys cannot be captured; that is a user error, not a crash.
      assert.equal(e.name, 'UserError');
    });
    const files = fs.readdirSync(dir);
    if (files.length) assert.deepEqual(files, ['p2p-snapshot-20261122T050607Z.tar.gz']);
  } finally {
    process.chdir(cwd);
  }
});

test('errors are UserErrors with the path: missing root, unwritable output', async () => {
  await assert.rejects(runSnapshot({ root: path.join(tmp(), 'nope'), output: path.join(tmp(), 'x.tar.gz') }, collect()), (e: Error) => e.name === 'UserError' && /no PCI devices: .*nope\/sys\/bus\/pci\/devices does not exist/.test(e.message));
  await assert.rejects(runSnapshot({ root: hwlocRoot('2pa-pcidomain32bits'), output: path.join(tmp(), 'no/such/dir/x.tar.gz') }, collect()), (e: Error) => e.name === 'UserError' && /cannot write .*x\.tar\.gz: no such directory/.test(e.message));
});

test('CLI: p2p snapshot -o FILE, then topo --root FILE', { skip: registered || noRef }, () => {
  const out = path.join(tmp(), 'cli.tar.gz');
  const r = runCli(['snapshot', '--root', hwlocRoot('2pa-pcidomain32bits'), '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const t = runCli(['topo', '--root', out]);
  assert.equal(t.code, 0, t.stderr);
  const bad = runCli(['snapshot', '--root', '/nonexistent', '-o', out]);
  assert.equal(bad.code, 2);
  assert.ok(isOneLineError(bad), bad.stderr);
});
