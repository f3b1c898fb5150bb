// `p2p bench FILE /dev/daxX.Y` and `p2p bench FILE udmabuf`: the destination is memory the engine maps
// itself (native/src/peer_memory.cc). Here a regular file under a test root stands in for the DAX node,
// so the whole path runs (plan, engine, verification, time per GiB); a stand-in udmabuf node is refused
// by the kernel's ioctl, which the bench reports in one line.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench, type BenchDeps, type BenchOptions } from '../../src/bench/bench-command.js';
import { isMemoryDestination, planMemoryDestination } from '../../src/bench/resolve.js';
import { startBench, statSource } from '../../src/native/addon.js';
import { collectIO } from '../helpers/collect-io.js';
import { directTempDir, randomFile } from '../native/helpers.js';

const dir = directTempDir('p2p-bench-mem-');
after(() => rmSync(dir, { recursive: true, force: true }));
const [src] = randomFile(dir, 'src.bin', 4 << 20);
const root = join(dir, 'root');
mkdirSync(join(root, 'dev'), { recursive: true });
writeFileSync(join(root, 'dev/dax0.0'), Buffer.alloc(4 << 20));
writeFileSync(join(root, 'dev/udmabuf'), '');

const deps: Partial<BenchDeps> = {
  startBench, statSource,
  loadFabric: async () => { throw new Error('a memory destination needs no fabric'); },
  resolveDevice: () => { throw new Error('a memory destination needs no fabric device'); },
  root, env: {},
};
const base: BenchOptions = { source: src, dest: '/dev/dax0.0', bs: '64k', qd: 8, total: '4M', rounds: 1 };
const bench = (o: Partial<BenchOptions>, io = collectIO()) => runBench({ ...base, ...o }, io, deps);

describe('bench memory destinations', () => {
  it('names: /dev/daxX.Y and udmabuf, nothing else', () => {
    assert.ok(isMemoryDestination('/dev/dax0.0') && isMemoryDestination('udmabuf'));
    assert.ok(!isMemoryDestination('/dev/dax0') && !isMemoryDestination('gpu0') && !isMemoryDestination('host'));
    assert.deepEqual(planMemoryDestination('udmabuf', root, () => true).direct, { kind: 'udmabuf', path: join(root, 'dev/udmabuf') });
    assert.throws(() => planMemoryDestination('/dev/dax3.1', root, () => false), /no .*dax3.1: no such device-DAX device/);
  });

  it('NVMe (a file here) -> device-DAX: both paths land in the mapping, verified, with the time per GiB', async () => {
    const io = collectIO();
    assert.equal(await bench({ json: true }, io), 0, io.errText());
    const doc = JSON.parse(io.text());
    assert.equal(doc.destination.label, 'device-DAX /dev/dax0.0');
    assert.deepEqual(doc.runs.map((r: { path: string }) => r.path), ['direct', 'bounce']);
    for (const r of doc.runs) {
      assert.equal(r.verify.ok, true);
      assert.equal(r.verify.bytesCompared > 0, true);
      assert.ok(Math.abs(r.secPerGiB - r.elapsedSec / (r.bytes / 2 ** 30)) < 1e-9);
    }
    const text = collectIO();
    assert.equal(await bench({}, text), 0);
    assert.match(text.text(), /time per GiB\s+\d+\.\d{3} s\s+\d+\.\d{3} s/);
  });

  it('a node that is not a udmabuf device: the kernel refuses UDMABUF_CREATE, one line, exit 2', async () => {
    await assert.rejects(bench({ dest: 'udmabuf', mode: 'direct' }), /bench could not start: ioctl UDMABUF_CREATE .*: ENOTTY/);
  });

  it('a missing DAX node is one line before anything runs', async () => {
    await assert.rejects(bench({ dest: '/dev/dax9.9' }), /no .*dax9.9: no such device-DAX device/);
  });
});
