// `p2p path a b`: output, JSON, and bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { pathCommand, runPath } from '../../src/commands/path.js';
import { UserError } from '../../src/errors.js';
import { labFabric } from '../helpers/p2p-fabric.js';
import { commands } from '../../src/commands/index.js';
import { collectIO } from '../helpers/collect-io.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';

const deps = { loadFabric: async () => labFabric() };

describe('p2p path', () => {
  it('text: hop by hop with the turn, the verdict, the narrowest link and the ceiling formula', async () => {
    const io = collectIO();
    assert.equal(await runPath({ a: 'nvme1', b: 'nvme0' }, io, deps), 0);
    const t = io.text();
    assert.match(t, /nvme1 \(0000:04:00\.0\) -> nvme0 \(0000:03:00\.0\)/);
    assert.match(t, /TURN\s+0000:01:00\.0/);
    assert.match(t, /IOMMU group 1/);
    assert.match(t, /Kernel P2PDMA .*: BUS_ADDR, distance 4/);
    assert.match(t, /Narrowest link: 0000:04:00\.0 <-> 0000:02:01\.0, 8 GT\/s x4/);
    assert.match(t, /Ceiling per direction: 8 GT\/s x 4 x 128\/130 \/ 8 x 128\/\(128\+24\) = 3\.3 GB\/s/);
  });

  it('cross root port on q35: NOT_SUPPORTED with the cause and a fix', async () => {
    const io = collectIO();
    await runPath({ a: '0000:05:00.0', b: '03:00.0' }, io, deps);
    const t = io.text();
    assert.match(t, /HOST\s+pci0000:00/);
    assert.match(t, /NOT_SUPPORTED/);
    assert.match(t, /8086:29c0\] is not in the allow-list/);
    assert.match(t, /fix: put both devices under one PCIe switch/);
  });

  it('--json is the PathReport', async () => {
    const io = collectIO();
    await runPath({ a: 'nvme1', b: 'nvme0', json: true }, io, deps);
    const j = JSON.parse(io.text());
    assert.equal(j.from, '0000:04:00.0');
    assert.equal(j.to, '0000:03:00.0');
    assert.equal(j.verdict.mapType, 'BUS_ADDR');
    assert.equal(j.hops.length, 5);
    assert.equal(j.ceiling.mps, 128);
  });

  it('bad input: unknown name, identical devices, a bridge', async () => {
    await assert.rejects(runPath({ a: 'nvme9', b: 'nvme0' }, collectIO(), deps), (e: unknown) => e instanceof UserError && /unknown device 'nvme9'/.test(e.message));
    await assert.rejects(runPath({ a: 'nvme0', b: '0000:03:00.0' }, collectIO(), deps), (e: unknown) => e instanceof UserError && /same device/.test(e.message));
    await assert.rejects(runPath({ a: 'nvme0', b: '0000:01:00.0' }, collectIO(), deps), (e: unknown) => e instanceof UserError && /switch-upstream, not a DMA endpoint/.test(e.message));
    await assert.rejects(runPath({ a: '', b: 'nvme0' }, collectIO(), deps), UserError);
  });

  it('the command module takes two positionals', async () => {
    let seen: Record<string, unknown> | null = null;
    await yargs(['path', 'gpu0', 'nvme1', '--json']).command({ ...pathCommand, handler: (argv) => { seen = argv as never; } }).strict().parseAsync();
    assert.equal((seen as unknown as Record<string, unknown>).a, 'gpu0');
    assert.equal((seen as unknown as Record<string, unknown>).b, 'nvme1');
  });

  const registered = commands.some((c) => String(c.command).startsWith('path'));
  it('through the real CLI: a path on a captured tree; unknown and identical names are one-line errors', { skip: !registered ? 'pathCommand is not registered in src/commands/index.ts yet' : !haveRefdata() ? 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' : false }, () => {
    const root = hwlocRoot('32intel64-2p8co2t+8ve');
    const ok = runCli(['path', '0000:1b:00.0', '0000:3e:00.0', '--root', root]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /THRU_HOST_BRIDGE/);
    for (const args of [['path', 'nosuch0', '0000:3e:00.0'], ['path', '0000:3e:00.0', '0000:3e:00.0']]) {
      const r = runCli([...args, '--root', root]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r), r.stderr);
    }
  });
});
