// `p2p matrix`: runMatrix with a fixture fabric and with the real loader on a captured machine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { matrixCommand, parseClasses, runMatrix } from '../../src/commands/matrix.js';
import { UserError } from '../../src/errors.js';
import { commands } from '../../src/commands/index.js';
import { collectIO } from '../helpers/collect-io.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { INTEL_HOST, IOMMU_ACS, labFabric } from '../helpers/p2p-fabric.js';

describe('p2p matrix', () => {
  it('--json: {devices, pairs}, every ordered pair with client, provider, legend, p2pdma {mapType, distance, reasons}', async () => {
    const io = collectIO();
    const code = await runMatrix({ json: true }, io, { loadFabric: async () => labFabric() });
    assert.equal(code, 0);
    const j = JSON.parse(io.text());
    assert.equal(j.devices.length, 5);
    assert.equal(j.pairs.length, 25);
    for (const p of j.pairs) {
      assert.match(p.client, /^0000:0[0-9]:00\.[01]$/);
      assert.match(p.provider, /^0000:0[0-9]:00\.[01]$/);
      assert.ok(['X', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'].includes(p.legend));
      assert.ok(['BUS_ADDR', 'THRU_HOST_BRIDGE', 'NOT_SUPPORTED'].includes(p.p2pdma.mapType));
      assert.equal(typeof p.p2pdma.distance, 'number');
      assert.ok(Array.isArray(p.p2pdma.reasons));
      for (const r of p.p2pdma.reasons) assert.equal(typeof r, 'string');
      assert.equal(p.p2pdma.causes.length, p.p2pdma.reasons.length);
    }
    const cross = j.pairs.find((p: { client: string; provider: string }) => p.client === '0000:05:00.0' && p.provider === '0000:03:00.0');
    assert.equal(cross.p2pdma.mapType, 'NOT_SUPPORTED');
    assert.equal(cross.p2pdma.distance, -1);
    assert.equal(cross.legend, 'PHB');
    assert.ok(cross.p2pdma.reasons.some((m: string) => /8086:29c0\] is not in the allow-list/.test(m)));
    assert.equal(cross.p2pdma.causes.find((c: { code: string }) => c.code === 'not-allow-listed').device, '0000:00:00.0');
  });

  it('text: both matrices, legends, and the causes with fixes; no colour codes when colour is off', async () => {
    const io = collectIO(false);
    await runMatrix({}, io, { loadFabric: async () => labFabric({ rootPortAcs: IOMMU_ACS, host: { ...INTEL_HOST, iommuEnabled: true } }) });
    const t = io.text();
    assert.match(t, /Connections \(nvidia-smi topo legend\)/);
    assert.match(t, /Kernel P2PDMA verdict/);
    assert.match(t, /PIX\s+= Connection traversing at most a single PCIe bridge/);
    assert.match(t, /NOT_SUPPORTED: nvme0 <-> nvme2/);
    assert.match(t, /fix: boot with pci=disable_acs_redir=0000:00:03\.0/);
    assert.doesNotMatch(t, /\x1b\[/);
  });

  it('colour on: verdict cells are coloured', async () => {
    const io = collectIO(true);
    await runMatrix({}, io, { loadFabric: async () => labFabric() });
    assert.match(io.text(), /\x1b\[3[12]m/);
  });

  it('--class narrows; a bad class is a user error', async () => {
    assert.deepEqual(await parseClasses(['gpu,nvme', 'rdma']), ['gpu', 'nvme', 'nic']);
    assert.equal(await parseClasses(undefined), undefined);
    await assert.rejects(parseClasses('frobnicator'), (e: unknown) => e instanceof UserError && /unknown --class 'frobnicator'/.test(e.message));
    const io = collectIO();
    await runMatrix({ json: true, class: ['nic'] }, io, { loadFabric: async () => labFabric() });
    assert.equal(JSON.parse(io.text()).devices.length, 0);
    const t = collectIO();
    await runMatrix({ class: 'nic' }, t, { loadFabric: async () => labFabric() });
    assert.match(t.text(), /No DMA-capable endpoints/);
  });

  it('the command module parses --class, --all and --json', async () => {
    let seen: Record<string, unknown> | null = null;
    await yargs(['matrix', '--class', 'gpu', '--class', 'nvme', '--all', '--json'])
      .command({ ...matrixCommand, handler: (argv) => { seen = argv as never; } })
      .strict()
      .parseAsync();
    assert.ok(seen);
    assert.deepEqual((seen as Record<string, unknown>).class, ['gpu', 'nvme']);
    assert.equal((seen as Record<string, unknown>).all, true);
    assert.equal((seen as Record<string, unknown>).json, true);
  });

  it('real captured machine (hwloc 32intel64, non-root 64-byte configs): same-switch pairs are "unknown: needs root"', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, async () => {
    const io = collectIO();
    // That machine ran CentOS 7's 3.10 kernel (proc/version): no P2PDMA at all. The newest rules first.
    await runMatrix({ root: hwlocRoot('32intel64-2p8co2t+8ve'), json: true, kernel: 'latest' }, io);
    const j = JSON.parse(io.text());
    assert.ok(j.devices.length >= 8);
    const ve = j.devices.filter((d: { kind: string }) => d.kind === 'accelerator');
    assert.equal(ve.length, 8);
    const same = j.pairs.find((p: { client: string; provider: string }) => p.client === ve[0].bdf && p.provider === ve[1].bdf);
    assert.equal(same.legend, 'PIX');
    assert.equal(same.p2pdma.mapType, null);
    assert.equal(same.p2pdma.verdict, 'unknown: needs root');
    const far = j.pairs.find((p: { client: string; provider: string }) => p.client === ve[0].bdf && p.provider === ve[7].bdf);
    assert.equal(far.legend, 'NODE');
    assert.equal(far.p2pdma.mapType, 'THRU_HOST_BRIDGE', 'Skylake-E root ports 8086:2030 are allow-listed');

    const own = collectIO();
    await runMatrix({ root: hwlocRoot('32intel64-2p8co2t+8ve'), json: true }, own);
    const k = JSON.parse(own.text());
    assert.deepEqual(k.kernel, { release: '3.10.0-1160.15.2.el7.x86_64', rules: '3.10' });
    const farOwn = k.pairs.find((p: { client: string; provider: string }) => p.client === ve[0].bdf && p.provider === ve[7].bdf);
    assert.equal(farOwn.p2pdma.mapType, 'NOT_SUPPORTED');
    assert.ok(farOwn.p2pdma.causes.some((c: { code: string }) => c.code === 'no-p2pdma'));
    assert.equal(farOwn.p2pdma.kernel.distro, 'RHEL');
    assert.equal(farOwn.p2pdma.kernel.mayDiffer, true, 'RHEL backports: the verdict may differ');
  });

  const registered = commands.some((c) => String(c.command).startsWith('matrix'));
  it('through the real CLI: --json on a captured tree, and a bad --class is one line with exit 2', { skip: !registered ? 'matrixCommand is not registered in src/commands/index.ts yet' : !haveRefdata() ? 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' : false }, () => {
    const r = runCli(['matrix', '--json', '--root', hwlocRoot('32intel64-2p8co2t+8ve')]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(Array.isArray(j.devices) && Array.isArray(j.pairs));
    const bad = runCli(['matrix', '--class', 'frob', '--root', hwlocRoot('32intel64-2p8co2t+8ve')]);
    assert.equal(bad.code, 2);
    assert.ok(isOneLineError(bad), bad.stderr);
  });
});
