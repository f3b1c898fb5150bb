// `p2p matrix` at scale: VFs folded and expanded against the per-pair rules on generated fabrics with VFs,
// --only, the streamed JSON (one parseable document; EPIPE stops it), the text summary, the budget refusal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateFabric } from '../../bench/gen-fabric.js';
import { checkBudget, MAX_MATRIX_PAIRS, runMatrix } from '../../src/commands/matrix.js';
import { UserError } from '../../src/errors.js';
import { loadFabric } from '../../src/access/load.js';
import { buildMatrix, foldVfs, matrixHead, matrixPair, matrixPairs, selectEndpoints } from '../../src/model/p2p/matrix.js';
import { writeMatrixJson } from '../../src/format/matrix-json.js';
import { collectIO } from '../helpers/collect-io.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';
import { REPO_ROOT } from '../helpers/refdata.js';

/** A small generated node: 1 socket, 2 host bridges, dual-PF NICs with 5 VFs each; and the XE8640 shape in two domains. */
const small = path.join(tempDirRemovedAtExit('p2p-scale-'), 'small');
generateFabric(small, { functions: 0, sockets: 2, hostBridgesPerSocket: 1, vfsPerPf: 5 });
const xe = path.join(tempDirRemovedAtExit('p2p-scale-'), 'xe');
generateFabric(xe, { functions: 0, sockets: 2, hostBridgesPerSocket: 1, vfsPerPf: 3, domains: 2, switchPorts: [['gpu', 'nic', 'nvme', 'brcm2']] });

/** What a verdict is, without the BDFs in its sentences. */
const verdictOf = (p: ReturnType<typeof matrixPair>) => ({ legend: p.legend, mapType: p.p2pdma.mapType, verdict: p.p2pdma.verdict, distance: p.p2pdma.distance, hops: p.p2pdma.hops, common: p.p2pdma.commonUpstream, causes: p.p2pdma.causes.map((c) => c.code) });

for (const [name, root] of [['generated node', small], ['two-domain XE8640-like node', xe]] as const) {
  describe(`matrix folding on the ${name}`, () => {
    it('folded pairs equal the per-pair rules pair for pair, and every folded VF has its PF\'s verdict against every other device', async () => {
      const fabric = await loadFabric({ root });
      const all = selectEndpoints(fabric);
      const { shown, vfsOf } = foldVfs(all);
      const vfs = all.filter((d) => d.physfn);
      assert.ok(vfs.length > 0 && vfsOf.size > 0, 'the fabric has VFs');
      assert.equal(shown.length + vfs.length, all.length);
      const io = collectIO();
      await runMatrix({ root, json: true }, io);
      const j = JSON.parse(io.text());
      assert.equal(j.vfsFolded, true);
      assert.deepEqual(j.devices.map((d: { bdf: string }) => d.bdf), shown.map((d) => d.bdf));
      for (const d of j.devices) if (vfsOf.has(d.bdf)) assert.deepEqual(d.vfs, { count: vfsOf.get(d.bdf)!.length, bdfs: vfsOf.get(d.bdf)!.map((v) => v.bdf) });
      const expected = shown.flatMap((a) => shown.map((b) => matrixPair(fabric, a, b)));
      assert.deepEqual(j.pairs, JSON.parse(JSON.stringify(expected)));
      const bySlot = (d: { domain: number; bus: number; slot: number }) => `${d.domain}:${d.bus}:${d.slot}`;
      for (const v of vfs) {
        const pf = fabric.byBdf.get(v.physfn!)!;
        for (const x of shown) {
          if (bySlot(x) === bySlot(pf) || bySlot(x) === bySlot(v)) continue; // functions of its own device differ
          assert.deepEqual(verdictOf(matrixPair(fabric, v, x)), verdictOf(matrixPair(fabric, pf, x)), `${v.bdf} -> ${x.bdf}`);
          assert.deepEqual(verdictOf(matrixPair(fabric, x, v)), verdictOf(matrixPair(fabric, x, pf)), `${x.bdf} -> ${v.bdf}`);
        }
      }
    });

    it('--vfs expands: every endpoint, every ordered pair, the same as the in-memory report', async () => {
      const fabric = await loadFabric({ root });
      const all = selectEndpoints(fabric);
      const io = collectIO();
      await runMatrix({ root, json: true, vfs: true }, io);
      const j = JSON.parse(io.text());
      assert.equal(j.vfsFolded, false);
      assert.equal(j.devices.length, all.length);
      assert.ok(j.devices.every((d: { vfs: unknown }) => d.vfs === null));
      assert.deepEqual(j, JSON.parse(JSON.stringify(buildMatrix(fabric, all))));
    });
  });
}

describe('matrix --only, text folding and summary', () => {
  it('--only nic (alias of --class) keeps only NICs, VFs folded; --only gpu,nvme drops them', async () => {
    const io = collectIO();
    await runMatrix({ root: small, json: true, class: ['nic'] }, io);
    const j = JSON.parse(io.text());
    assert.ok(j.devices.length > 0 && j.devices.every((d: { kind: string }) => d.kind === 'nic'));
    assert.ok(j.devices.some((d: { vfs: { count: number } | null }) => d.vfs?.count === 5));
    const io2 = collectIO();
    await runMatrix({ root: small, json: true, class: 'gpu,nvme' }, io2);
    assert.deepEqual([...new Set(JSON.parse(io2.text()).devices.map((d: { kind: string }) => d.kind))].sort(), ['gpu', 'nvme']);
  });

  it('text names the folded VFs (+5 VFs); a matrix wider than the terminal is summarised with the way to see it', async () => {
    const io = collectIO();
    await runMatrix({ root: small }, io);
    assert.match(io.text(), /\+5 VFs/);
    assert.match(io.text(), /Kernel P2PDMA verdict/);
    const narrow = { ...collectIO(), isTTY: true, columns: 60 };
    let out = '';
    narrow.out = (t: string) => { out += t; };
    await runMatrix({ root: small, vfs: true }, narrow);
    assert.match(out, /^Summary of \d+ endpoints: the matrix is \d+ columns wide, more than 60/m);
    assert.match(out, /--only gpu,nvme,nic/);
    assert.doesNotMatch(out, /Kernel P2PDMA verdict/);
  });
});

describe('streamed matrix JSON', () => {
  it('is written in several chunks that join to one parseable document equal to the report', async () => {
    const fabric = await loadFabric({ root: xe });
    const devs = selectEndpoints(fabric);
    const chunks: string[] = [];
    writeMatrixJson(matrixHead(fabric, devs, null), matrixPairs(fabric, devs), (t) => chunks.push(t));
    assert.ok(chunks.length > 1, `${chunks.length} chunks`);
    assert.deepEqual(JSON.parse(chunks.join('')), JSON.parse(JSON.stringify(buildMatrix(fabric, devs))));
    const empty: string[] = [];
    writeMatrixJson(matrixHead(fabric, [], null), [], (t) => empty.push(t));
    assert.deepEqual(JSON.parse(empty.join('')).pairs, []);
  });

  it('an EPIPE from the sink stops the writer at once (no further pairs computed)', async () => {
    const fabric = await loadFabric({ root: xe });
    const devs = selectEndpoints(fabric);
    let computed = 0;
    const pairs = (function* () { for (const p of matrixPairs(fabric, devs)) { computed++; yield p; } })();
    let calls = 0;
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    assert.throws(() => writeMatrixJson(matrixHead(fabric, devs, null), pairs, () => { calls++; throw epipe; }), /EPIPE/);
    assert.equal(calls, 1);
    assert.ok(computed < devs.length ** 2, `${computed} of ${devs.length ** 2}`);
  });

  it('the CLI piped into a reader that leaves: exit 0, nothing on stderr', () => {
    const main = path.join(REPO_ROOT, 'dist/src/main.js');
    const r = spawnSync('bash', ['-c', `node "${main}" matrix --json --vfs --root "${xe}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '0');
    assert.equal(r.stderr, '');
  });
});

describe('matrix budget', () => {
  it('a request over the pair budget is one UserError line with the way out; one under it passes', () => {
    const rows = Math.ceil(Math.sqrt(MAX_MATRIX_PAIRS)) + 1;
    assert.throws(() => checkBudget(rows, true), (e: unknown) => e instanceof UserError && !e.message.includes('\n') && /drop --vfs/.test(e.message) && /--only gpu,nvme,nic/.test(e.message));
    assert.throws(() => checkBudget(100_000, false), (e: unknown) => e instanceof UserError && !/--vfs/.test(e.message));
    assert.doesNotThrow(() => checkBudget(Math.floor(Math.sqrt(MAX_MATRIX_PAIRS)), true));
  });
});
