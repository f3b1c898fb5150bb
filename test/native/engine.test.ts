// The native bench engine for real, on files in a temp dir with O_DIRECT: io_uring, the pread pool,
// bounce copies, verification catching a corrupted destination, write mode, cancel, progress, p2pmem
// mapping code (a regular file stands in for p2pmem/allocate), cuFile through fake libraries.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ioUringProbe, startBench, type NativeBenchOptions, type NativeBenchResult } from '../../src/native/addon.js';
import { directTempDir, fakeCuda, randomFile } from './helpers.js';

const dir = directTempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const SIZE = 8 << 20;
const [src, data] = randomFile(dir, 'source.bin', SIZE);
const uring = ioUringProbe().available;
const noUring = uring ? false : 'io_uring unavailable here';

function opts(over: Partial<NativeBenchOptions> = {}): NativeBenchOptions {
  return {
    path: src, write: false, direct: true, engine: 'auto', dest: { kind: 'host' }, mode: 'direct',
    blockSize: 65536, queueDepth: 8, workers: 1, rangeOffset: 0, rangeLength: SIZE, totalBytes: 32 << 20,
    durationMs: 0, pattern: 'seq', registerBuffers: true, verifySlots: -1, progressIntervalMs: 50, seed: 7, ...over,
  };
}
const run = (o: Partial<NativeBenchOptions> = {}): Promise<NativeBenchResult> => startBench(opts(o)).promise;

function assertClean(r: NativeBenchResult, bytes: number) {
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.bytes, bytes);
  assert.equal(r.ios, bytes / 65536);
  assert.equal(r.verify.checked, true);
  assert.equal(r.verify.ok, true);
  assert.ok(r.verify.slotsCompared > 0);
  assert.ok(r.elapsedSec > 0);
  assert.ok(r.latencyNs.p50 > 0 && r.latencyNs.p50 <= r.latencyNs.p99 && r.latencyNs.p99 <= r.latencyNs.p999);
  assert.ok(r.latencyNs.p999 <= r.latencyNs.max && r.latencyNs.min <= r.latencyNs.p50);
}

describe('io_uring engine', { skip: noUring }, () => {
  it('reads the exact byte budget into host memory and verifies it', async () => {
    const r = await run();
    assert.equal(r.engine, 'io_uring');
    assert.equal(r.threads, 1);
    assert.equal(r.registeredBuffers, true);
    assertClean(r, 32 << 20);
    assert.equal(r.verify.slotsCompared, 8);
    assert.equal(r.copySec, 0);
  });

  it('bounce mode copies through staging (copy time counted) and still verifies', async () => {
    const r = await run({ mode: 'bounce', workers: 2 });
    assert.equal(r.threads, 2);
    assertClean(r, 32 << 20);
    assert.ok(r.copySec > 0);
    assert.equal(r.verify.slotsCompared, 16);
  });

  it('random offsets, unregistered buffers, sampled verification', async () => {
    const r = await run({ pattern: 'rand', registerBuffers: false, verifySlots: 3 });
    assert.equal(r.registeredBuffers, false);
    assertClean(r, 32 << 20);
    assert.equal(r.verify.slotsCompared, 3);
  });

  it('a flipped destination byte fails verification with the first bad offset', async () => {
    const r = await run({ testCorruptByte: 1234, verifySlots: -1 });
    assert.equal(r.verify.checked, true);
    assert.equal(r.verify.ok, false);
    const off = r.verify.firstBadOffset!;
    assert.equal(off % 65536, 1234);
    assert.equal(r.verify.expected, data[off]);
    assert.equal(r.verify.actual, data[off] ^ 0xff);
  });

  it('a short read past the end of the file is an error, not silent success', async () => {
    const r = await run({ rangeLength: SIZE + 65536 * 4, totalBytes: SIZE * 2 });
    assert.match(r.error ?? '', /short read at offset \d+: 0 of 65536 bytes/);
    assert.equal(r.errorCode, 'EIO');
  });

  it('stops on time with a duration, streams progress and can be cancelled', async () => {
    const seen: number[] = [];
    const h = startBench(opts({ totalBytes: 0, durationMs: 60_000, progressIntervalMs: 50 }), (p) => seen.push(p.bytes));
    await new Promise((res) => setTimeout(res, 400));
    h.cancel();
    const r = await h.promise;
    assert.equal(r.cancelled, true);
    assert.ok(r.elapsedSec < 10);
    assert.ok(seen.length >= 2, `progress calls: ${seen.length}`);
    assert.ok(seen.every((b, i) => i === 0 || b >= seen[i - 1]));
    assert.equal(r.verify.ok, true);

    const t = await run({ totalBytes: 0, durationMs: 300 });
    assert.ok(t.elapsedSec >= 0.29 && t.elapsedSec < 10, `elapsed ${t.elapsedSec}`);
    assert.equal(t.cancelled, false);
  });

  it('write mode sends the destination contents to the file and verifies the read-back', async () => {
    const [wpath] = randomFile(dir, 'write.bin', 1 << 20);
    const r = await startBench(opts({ path: wpath, write: true, rangeLength: 1 << 20, totalBytes: 1 << 20, queueDepth: 4 })).promise;
    assertClean(r, 1 << 20);
    const after = readFileSync(wpath);
    // every block now holds the same pseudo-random pattern
    const first = after.subarray(0, 65536);
    for (let o = 0; o < after.length; o += 65536) assert.ok(after.subarray(o, o + 65536).equals(first), `block at ${o}`);
  });

  it('a read-only run leaves the source untouched', async () => {
    await run({ mode: 'bounce' });
    assert.ok(readFileSync(src).equals(data));
  });
});

describe('fallback engine (pread thread pool)', () => {
  it('runs when forced, one thread per queue slot', async () => {
    const r = await run({ engine: 'psync', queueDepth: 4, workers: 2 });
    assert.equal(r.engine, 'psync');
    assert.equal(r.threads, 8);
    assert.equal(r.engineNote, undefined);
    assertClean(r, 32 << 20);
  });

  it('is chosen automatically when io_uring is refused, and says so', async () => {
    process.env.P2P_IO_URING_DISABLE = '1';
    try {
      const r = await run({ engine: 'auto' });
      assert.equal(r.engine, 'psync');
      assert.match(r.engineNote ?? '', /io_uring unavailable .*EPERM.*pread\/pwrite thread pool/);
      assertClean(r, 32 << 20);
      await assert.rejects(run({ engine: 'io_uring' }), /io_uring unavailable/);
    } finally {
      delete process.env.P2P_IO_URING_DISABLE;
    }
  });

  it('catches a corrupted destination too', async () => {
    const r = await run({ engine: 'psync', testCorruptByte: 0 });
    assert.equal(r.verify.ok, false);
    assert.equal(r.verify.firstBadOffset! % 65536, 0);
  });
});

describe('p2pmem destination code path', () => {
  // A regular file mapped MAP_SHARED stands in for /sys/bus/pci/devices/BDF/p2pmem/allocate.
  it('maps the allocate file and verifies what landed in it', async () => {
    const alloc = join(dir, 'allocate');
    writeFileSync(alloc, Buffer.alloc(8 * 65536));
    for (const mode of ['direct', 'bounce'] as const) {
      const r = await run({ dest: { kind: 'p2pmem', allocatePath: alloc }, mode });
      assertClean(r, 32 << 20);
    }
  });
  it('rejects with the errno when the provider cannot be opened', async () => {
    await assert.rejects(run({ dest: { kind: 'p2pmem', allocatePath: join(dir, 'no-such/allocate') } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, /open .*no-such\/allocate: ENOENT/);
      return true;
    });
  });
});

describe('cuFile destination (fake libcuda/libcufile: "GPU memory" is host memory)', () => {
  const fake = fakeCuda();
  const skip = fake ? false : 'no C compiler';
  const dest = () => ({ kind: 'cufile' as const, gpuOrdinal: 0, cudaLib: fake!.cuda, cufileLib: fake!.cufile });
  it('direct: cuFileRead threads, verified through cuMemcpyDtoH', { skip }, async () => {
    const r = await run({ dest: dest(), queueDepth: 4 });
    assert.equal(r.engine, 'cufile');
    assert.equal(r.threads, 4);
    assertClean(r, 32 << 20);
  });
  it('bounce: read into pinned host memory, cuMemcpyHtoDAsync; corruption is caught', { skip }, async () => {
    const r = await run({ dest: dest(), mode: 'bounce' });
    assertClean(r, 32 << 20);
    assert.equal(r.staging, 'pinned');
    const bad = await run({ dest: dest(), testCorruptByte: 99 });
    assert.equal(bad.verify.ok, false);
  });
  it('missing library or symbol rejects the run with the stage', { skip }, async () => {
    await assert.rejects(run({ dest: { ...dest(), cufileLib: join(dir, 'none.so') } }), /cuFile unavailable \(dlopen-cufile\)/);
    await assert.rejects(run({ dest: { ...dest(), cudaLib: fake!.cudaMissingSymbol } }), /missing symbol cuMemcpyDtoH_v2/);
    await assert.rejects(run({ dest: { ...dest(), gpuOrdinal: 3 } }), /cuDeviceGet failed/);
  });
});

describe('argument checking', () => {
  const bad: [string, unknown][] = [
    ['no options', undefined],
    ['array', []],
    ['missing path', { ...opts(), path: undefined }],
    ['empty path', { ...opts(), path: '' }],
    ['block size not a multiple of 512', { ...opts(), blockSize: 1000 }],
    ['block size a string', { ...opts(), blockSize: '1M' }],
    ['queue depth 0', { ...opts(), queueDepth: 0 }],
    ['negative workers', { ...opts(), workers: -1 }],
    ['fractional total', { ...opts(), totalBytes: 1.5 }],
    ['no limit', { ...opts(), totalBytes: 0, durationMs: 0 }],
    ['range smaller than a block', { ...opts(), rangeLength: 512 }],
    ['bad engine', { ...opts(), engine: 'aio' }],
    ['bad mode', { ...opts(), mode: 'sideways' }],
    ['bad dest kind', { ...opts(), dest: { kind: 'gpu' } }],
    ['dest not an object', { ...opts(), dest: 'host' }],
    ['p2pmem without path', { ...opts(), dest: { kind: 'p2pmem' } }],
    ['write not boolean', { ...opts(), write: 'yes' }],
    ['bad pattern', { ...opts(), pattern: 'zigzag' }],
    ['bad verifySlots', { ...opts(), verifySlots: -2 }],
  ];
  for (const [name, o] of bad) {
    it(`TypeError: ${name}`, () => {
      assert.throws(() => (startBench as unknown as (a: unknown, b?: unknown) => unknown)(o), TypeError);
    });
  }
  it('TypeError: progress callback not a function', () => {
    assert.throws(() => (startBench as unknown as (a: unknown, b?: unknown) => unknown)(opts(), 42), TypeError);
  });
  it('setup failure (missing source) rejects with ENOENT', async () => {
    await assert.rejects(run({ path: join(dir, 'nope') }), { code: 'ENOENT' });
  });
});
