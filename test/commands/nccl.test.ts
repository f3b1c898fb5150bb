// `p2p nccl`: JSON shape, --env over the environment, NCCL_TOPO_FILE as the source, --topo-xml written
// and read back, and bad input as one line with exit 2 (through the real CLI).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEnvPairs, runNccl } from '../../src/commands/nccl.js';
import { UserError } from '../../src/errors.js';
import { collectIO } from '../helpers/collect-io.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { REPO_ROOT } from '../helpers/refdata.js';
import { labFabric } from '../helpers/p2p-fabric.js';

const P4D = path.join(REPO_ROOT, 'test/fixtures/nccl/aws-p4d-24xl-topo.xml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-nccl-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function json(opts: Parameters<typeof runNccl>[0], processEnv: Record<string, string> = {}) {
  const io = collectIO();
  assert.equal(await runNccl({ json: true, ...opts }, io, { processEnv }), 0);
  return JSON.parse(io.text());
}

describe('p2p nccl', () => {
  it('--json: pairs with a, b, path, p2p (GPU pairs) or gdr (GPU-NIC pairs), why; levels and what is unknown', async () => {
    const j = await json({ root: P4D });
    assert.equal(j.pairs.length, 28 + 8 * 4);
    for (const p of j.pairs) {
      assert.match(p.a, /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      assert.ok(['PIX', 'PXB', 'PHB', 'SYS', 'NVL', 'PXN'].includes(p.path), p.path);
      assert.ok(Array.isArray(p.why) && p.why.length > 0);
      if (p.kind === 'gpu-gpu') { assert.equal(typeof p.p2p, 'boolean'); assert.equal('gdr' in p, false); }
      else assert.ok('gdr' in p);
      assert.equal(typeof p.difference, 'string');
    }
    assert.equal(j.p2pLevel.type, 'PXB');
    assert.ok(j.unknown.length > 0);
  });

  it('--env overrides the environment, which counts too', async () => {
    const viaEnv = await json({ root: P4D }, { NCCL_P2P_LEVEL: 'SYS' });
    assert.equal(viaEnv.p2pLevel.type, 'SYS');
    assert.ok(viaEnv.pairs.filter((p: { kind: string }) => p.kind === 'gpu-gpu').every((p: { p2p: boolean }) => p.p2p));
    const over = await json({ root: P4D, env: ['NCCL_P2P_DISABLE=1'] }, { NCCL_P2P_LEVEL: 'SYS' });
    assert.equal(over.p2pLevel.type, 'LOC');
    assert.deepEqual(over.env.map((e: { name: string; origin: string }) => `${e.name}:${e.origin}`), ['NCCL_P2P_LEVEL:environment', 'NCCL_P2P_DISABLE:--env']);
    assert.throws(() => parseEnvPairs(['NCCL_P2P_LEVEL']), UserError);
  });

  it('NCCL_TOPO_FILE is the source when no --root or --dump is given, as NCCL reads it', async () => {
    const j = await json({}, { NCCL_TOPO_FILE: P4D });
    assert.equal(j.source.method, 'nccl-xml');
    assert.equal(j.gpus.length, 8);
  });

  it('--topo-xml writes a file that reads back to the same answers', async () => {
    const out = path.join(tmp, 'lab.xml');
    const io = collectIO();
    assert.equal(await runNccl({ topoXml: out, json: true }, io, { processEnv: {}, loadFabric: async () => labFabric() }), 0);
    assert.match(fs.readFileSync(out, 'utf8'), /^<!--[^]*<system version="1">/);
    assert.match(io.errText(), /wrote NCCL topology XML/);
    const again = await json({ root: out });
    const first = JSON.parse(io.text());
    const key = (r: { pairs: { a: string; b: string; path: string; p2p: boolean; gdr: boolean }[] }) => r.pairs.map((p) => `${p.a} ${p.b} ${p.path} ${p.p2p} ${p.gdr}`);
    assert.deepEqual(key(again), key(first));
  });

  it('bad input: one line, exit 2', () => {
    const bad = path.join(tmp, 'bad.xml');
    fs.writeFileSync(bad, '<system><cpu numaid="0"><pci busid="nope"/></cpu></system>');
    for (const args of [['nccl', '--root', bad], ['nccl', '--root', path.join(tmp, 'missing.xml')], ['nccl', '--env', 'X'], ['nccl', '--root', P4D, '--topo-xml', path.join(tmp, 'no/such/dir.xml')]]) {
      const r = runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isOneLineError(r), r.stderr);
    }
  });
});
