// The source object: one liveness rule, requireLive's one-line refusal, and the two bugs it fixed
// (bench on a dump benchmarked this machine; `snapshot --root /` recorded no uid).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openSource } from '../../src/access/source.js';
import { UserError } from '../../src/errors.js';
import { runSnapshot } from '../../src/commands/snapshot.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';
import { haveRefdata, PCIUTILS_DUMPS } from '../helpers/refdata.js';
import { collectIO } from '../helpers/collect-io.js';

describe('openSource: one place decides method and liveness', () => {
  const tree = tempDirRemovedAtExit('p2p-source-');
  it('this machine without --root, and with --root / spelled any way', () => {
    for (const opts of [{}, { root: '/' }, { root: '/.' }, { root: '//' }]) {
      const s = openSource(opts);
      assert.deepEqual([s.method, s.live, s.location === '/' || s.location === opts.root], ['sysfs', true, true], JSON.stringify(opts));
      assert.doesNotThrow(() => s.requireLive('p2p bench'));
      assert.equal(s.readerUid(), process.getuid?.() ?? null);
    }
  });
  it('a captured tree, a snapshot archive and a dump are not this machine', () => {
    const cases: [object, string, RegExp][] = [
      [{ root: tree }, 'sysfs', /captured tree .*: run it without --root$/],
      [{ root: path.join(tree, 'x.tar.gz') }, 'snapshot', /snapshot .*x\.tar\.gz: run it without --root$/],
      [{ dump: 'lspci.txt' }, 'dump', /lspci dump lspci\.txt: run it without --dump$/],
    ];
    for (const [opts, method, line] of cases) {
      const s = openSource(opts);
      assert.equal(s.method, method);
      assert.equal(s.live, false);
      assert.deepEqual(s.describe, { method, location: s.location, live: false });
      assert.throws(() => s.requireLive('p2p bench'), (e: unknown) => e instanceof UserError && e.exitCode === 2 && /^p2p bench needs this machine, but the fabric comes from the /.test(e.message) && line.test(e.message) && !e.message.includes('\n'));
    }
    assert.equal(openSource({ root: tree }).readerUid(), null, 'a captured tree does not say who read it');
  });
});

describe('the bugs the source object fixed', () => {
  const dump = path.join(PCIUTILS_DUMPS, 'tree-asus-p6t6');
  it('p2p bench FILE BDF --dump DUMP refuses in one line (it used to benchmark this machine with the dump\'s labels)', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
    const file = path.join(tempDirRemovedAtExit('p2p-source-bench-'), 'src.bin');
    fs.writeFileSync(file, Buffer.alloc(1 << 20));
    const r = runCli(['bench', file, '0000:02:00.0', '--dump', dump, '--total', '1M']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, /p2p bench needs this machine, but the fabric comes from the lspci dump .*tree-asus-p6t6: run it without --dump/);
    assert.equal(r.stdout, '');
  });

  it('p2p snapshot --root / records the same uid and source as p2p snapshot', async () => {
    const dir = tempDirRemovedAtExit('p2p-source-snap-');
    const now = new Date('2026-12-02T12:00:00Z');
    const plain = collectIO();
    const rooted = collectIO();
    assert.equal(await runSnapshot({ output: path.join(dir, 'a.tar.gz'), json: true, now }, plain), 0);
    assert.equal(await runSnapshot({ output: path.join(dir, 'b.tar.gz'), root: '/', json: true, now }, rooted), 0);
    const a = JSON.parse(plain.text()).manifest;
    const b = JSON.parse(rooted.text()).manifest;
    assert.equal(a.uid, process.getuid?.() ?? null);
    assert.deepEqual([b.uid, b.source, b.root, b.hostname], [a.uid, a.source, a.root, a.hostname]);
  });
});
