// `p2p diff` through runDiff (and the real CLI once registered): exit codes, text and JSON, errors.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiff } from '../../src/commands/diff.js';
import type { CommandIO } from '../../src/commands/shared.js';
import { writeSnapshot } from '../../src/access/snapshot-writer.js';
import type { DiffReport } from '../../src/model/diff.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';
const TREE = '32intel64-2p8co2t+8ve';
const NIC_DIR = 'sys/devices/pci0000:17/0000:17:00.0/0000:18:00.0/0000:19:04.0/0000:1a:00.0';

function collect(): CommandIO & { text: () => string } {
  let out = '';
  return { out: (t) => (out += t), err: (t) => (out += t), isTTY: false, color: false, columns: 100, text: () => out };
}
const tmp = () => tempDirRemovedAtExit('p2p-diffcmd-');

/** Baseline snapshot of the real tree, and a snapshot of a copy with one NIC's link at x8. */
function pair(): { base: string; drifted: string; tree: string } {
  const dir = tmp();
  execFileSync('cp', ['-a', hwlocRoot(TREE), path.join(dir, 'tree')]);
  const tree = path.join(dir, 'tree');
  const base = path.join(dir, 'base.tar.gz');
  writeSnapshot(base, { root: tree, now: new Date('2026-11-01T00:00:00Z') });
  fs.writeFileSync(path.join(tree, NIC_DIR, 'current_link_width'), '8\n');
  const drifted = path.join(dir, 'drifted.tar.gz');
  writeSnapshot(drifted, { root: tree, now: new Date('2026-11-02T00:00:00Z') });
  return { base, drifted, tree };
}

test('identical snapshots: exit 0, "identical"', { skip: noRef }, async () => {
  const { base } = pair();
  const io = collect();
  assert.equal(await runDiff({ baseline: base, current: base }, io), 0);
  assert.match(io.text(), /^baseline {2}.*base\.tar\.gz {2}\(2026-11-01T00:00:00\.000Z\), 29 functions$/m);
  assert.match(io.text(), /^identical: no drift in 29 functions and \d+ pairs$/m);
});

test('drift: exit 1, one line per change in text, the documented JSON', { skip: noRef }, async () => {
  const { base, drifted, tree } = pair();
  const io = collect();
  assert.equal(await runDiff({ baseline: base, current: drifted }, io), 1);
  assert.match(io.text(), /^drift: 1 change \(1 link\)$/m);
  assert.match(io.text(), /^ {2}link {2}0000:1a:00\.0 nic0 {2}link 8GT\/s x16 → 8GT\/s x8$/m);
  const j = collect();
  assert.equal(await runDiff({ baseline: base, current: drifted, json: true }, j), 1);
  const r = JSON.parse(j.text()) as DiffReport;
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.identical, false);
  assert.deepEqual(r.counts, { link: 1 });
  assert.equal(r.baseline.method, 'snapshot');
  assert.equal(r.current.createdAt, '2026-11-02T00:00:00.000Z');
  assert.deepEqual(r.changes.map((c) => [c.kind, c.bdf, c.field]), [['link', '0000:1a:00.0', 'link']]);
  // A snapshot against a directory tree works the same; --ignore link makes it a pass.
  assert.equal(await runDiff({ baseline: base, current: tree }, collect()), 1);
  assert.equal(await runDiff({ baseline: base, current: tree, ignore: ['link'] }, collect()), 0);
});

const liveSkip = fs.existsSync('/sys/bus/pci/devices') && fs.readdirSync('/sys/bus/pci/devices').length > 0 ? false : 'no PCI devices in /sys';

test('a snapshot of this machine against this machine: identical', { skip: liveSkip }, async () => {
  const snap = path.join(tmp(), 'live.tar.gz');
  writeSnapshot(snap);
  const io = collect();
  assert.equal(await runDiff({ baseline: snap }, io), 0, io.text());
  assert.match(io.text(), /^current {3}this machine \(live\)/m);
});

test('errors: missing file, corrupt snapshot, unknown --ignore kind', async () => {
  const dir = tmp();
  await assert.rejects(runDiff({ baseline: path.join(dir, 'nope.tar.gz') }, collect()), (e: Error) => e.name === 'UserError' && /nope\.tar\.gz: no such file or directory/.test(e.message));
  fs.writeFileSync(path.join(dir, 'bad.tar.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
  await assert.rejects(runDiff({ baseline: path.join(dir, 'bad.tar.gz') }, collect()), (e: Error) => e.name === 'UserError' && /bad\.tar\.gz: corrupt snapshot: gzip data is/.test(e.message));
  await assert.rejects(runDiff({ baseline: dir, ignore: ['links'] }, collect()), (e: Error) => e.name === 'UserError' && /--ignore links: not a kind of change/.test(e.message));
});

const registered = /p2p diff <baseline>/.test(runCli(['diff', '--help']).stdout) ? false : 'diff is not registered in src/commands/index.ts yet';

test('CLI exit codes: 0 identical, 1 drift, 2 error', { skip: registered || noRef }, () => {
  const { base, drifted } = pair();
  assert.equal(runCli(['diff', base, base]).code, 0);
  const d = runCli(['diff', '--json', base, drifted]);
  assert.equal(d.code, 1, d.stderr);
  assert.equal(JSON.parse(d.stdout).identical, false);
  const e = runCli(['diff', path.join(tmp(), 'missing.tar.gz'), base]);
  assert.equal(e.code, 2);
  assert.ok(isOneLineError(e), e.stderr);
});
