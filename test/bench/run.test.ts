// Orchestration with a fake engine: A/B interleaving order, budget split, early stop, sweep, cancel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchHandle, NativeBenchOptions, NativeProgress } from '../../src/native/addon.js';
import { nativeOptions, runInterleaved, runSweep, type EngineSettings } from '../../src/bench/run.js';
import { fakeResult } from './fixtures.js';

const settings: EngineSettings = {
  blockSize: 1 << 20, queueDepth: 32, workers: 1, totalBytes: 0, durationMs: 6000, rangeOffset: 0, rangeLength: 64 << 20,
  pattern: 'seq', engine: 'auto', registerBuffers: true, oDirect: true, verifySlots: -1, seed: 1,
};
const target = { path: '/f', write: false };

function fakeStart(log: NativeBenchOptions[], failAt = -1) {
  return (o: NativeBenchOptions, onProgress?: (p: NativeProgress) => void): BenchHandle => {
    log.push(o);
    onProgress?.({ bytes: 1, ios: 1, elapsedSec: 0.1 });
    const bad = log.length - 1 === failAt;
    return { promise: Promise.resolve(fakeResult(bad ? { error: 'boom', errorCode: 'EIO' } : {})), cancel: () => undefined };
  };
}

describe('runInterleaved', () => {
  it('alternates A B, B A, A B and splits the duration across rounds', async () => {
    const log: NativeBenchOptions[] = [];
    const seen: string[] = [];
    const res = await runInterleaved(
      [{ path: 'direct', dest: { kind: 'host' } }, { path: 'bounce', dest: { kind: 'host' } }], 3, target, settings,
      { start: fakeStart(log), onProgress: (p) => seen.push(`${p.path}${p.round}`) },
    );
    assert.deepEqual(log.map((o) => o.mode), ['direct', 'bounce', 'bounce', 'direct', 'direct', 'bounce']);
    assert.ok(log.every((o) => o.durationMs === 2000 && o.totalBytes === 0));
    assert.equal(res.get('direct')!.length, 3);
    assert.deepEqual(seen, ['direct0', 'bounce0', 'bounce1', 'direct1', 'direct2', 'bounce2']);
  });
  it('stops at the first failed run', async () => {
    const log: NativeBenchOptions[] = [];
    const res = await runInterleaved([{ path: 'direct', dest: { kind: 'host' } }, { path: 'bounce', dest: { kind: 'host' } }], 3, target, settings, { start: fakeStart(log, 1) });
    assert.equal(log.length, 2);
    assert.equal(res.get('bounce')![0].error, 'boom');
  });
  it('cancels the running bench when the signal aborts', async () => {
    let cancelled = false;
    const ac = new AbortController();
    const start = (): BenchHandle => {
      let resolve!: (v: ReturnType<typeof fakeResult>) => void;
      const promise = new Promise<ReturnType<typeof fakeResult>>((r) => (resolve = r));
      return { promise, cancel: () => { cancelled = true; resolve(fakeResult({ cancelled: true })); } };
    };
    const p = runInterleaved([{ path: 'direct', dest: { kind: 'host' } }], 2, target, settings, { start, signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    const res = await p;
    assert.equal(cancelled, true);
    assert.equal(res.get('direct')!.length, 1);
  });
});

describe('nativeOptions and runSweep', () => {
  it('byte budgets are split per round and rounded up to whole blocks', () => {
    const o = nativeOptions('direct', { kind: 'host' }, target, { ...settings, totalBytes: 10 << 20, durationMs: 0 }, 3);
    assert.equal(o.totalBytes, 4 << 20);
    assert.equal(o.durationMs, 0);
    assert.equal(o.mode, 'direct');
  });
  it('sweeps every block size x queue depth that fits the range', async () => {
    const log: NativeBenchOptions[] = [];
    const pts = await runSweep('direct', { kind: 'host' }, [4096, 1 << 20, 128 << 20], [1, 8], target, { ...settings, rangeLength: (64 << 20) + 4096 }, { start: fakeStart(log) });
    assert.deepEqual(pts.map((p) => `${p.blockSize}/${p.queueDepth}`), ['4096/1', '4096/8', '1048576/1', '1048576/8']);
    assert.equal(log[2].rangeLength, 64 << 20);
    assert.equal(log[0].rangeLength, (64 << 20) + 4096);
  });
});
