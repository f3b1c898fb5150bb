// Metrics arithmetic and the text/JSON views.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeResult } from './fixtures.js';
import { formatSize, parseSize, runFailed, savings, summarize } from '../../src/bench/metrics.js';
import { benchJson, progressLine, renderResults, renderSweep } from '../../src/bench/format.js';

const ctx = { path: 'direct' as const, dest: 'host', blockSize: 1 << 20, queueDepth: 32, workers: 1, linkCeilingGBps: 4 };

describe('parseSize / formatSize', () => {
  it('parses binary multiples', () => {
    assert.equal(parseSize('4k'), 4096);
    assert.equal(parseSize('1M'), 1048576);
    assert.equal(parseSize('1MiB'), 1048576);
    assert.equal(parseSize('2G'), 2 ** 31);
    assert.equal(parseSize('512'), 512);
    assert.equal(parseSize(65536), 65536);
    assert.equal(parseSize('1.5k'), 1536);
    for (const bad of ['', 'abc', '1X', '-4k', '4 kk']) assert.throws(() => parseSize(bad), RangeError, bad);
  });
  it('formats', () => {
    assert.equal(formatSize(4096), '4K');
    assert.equal(formatSize(1 << 20), '1M');
    assert.equal(formatSize(1536), '1536');
  });
});

describe('summarize', () => {
  it('computes GB/s, GiB/s, IOPS, CPU per GB and the ceiling share', () => {
    const s = summarize([fakeResult()], ctx);
    assert.equal(s.gbPerSec, 2);
    assert.ok(Math.abs(s.gibPerSec - 2e9 / 2 ** 30) < 1e-9);
    assert.equal(s.iops, 2000);
    assert.ok(Math.abs(s.cpuPerGB.total - 0.2) < 1e-12);
    assert.ok(Math.abs(s.cpuPerGB.user - 0.05) < 1e-12);
    assert.equal(s.ceilingShare, 0.5);
    assert.equal(s.latencyUs.p99, 20);
    assert.equal(runFailed(s), false);
  });
  it('merges rounds: sums bytes and time, median latency, any mismatch wins', () => {
    const bad = fakeResult({ verify: { checked: true, ok: false, slotsCompared: 1, bytesCompared: 1, firstBadOffset: 77, expected: 1, actual: 2 } });
    const s = summarize([fakeResult(), fakeResult({ bytes: 1e9, elapsedSec: 1, latencyNs: { ...fakeResult().latencyNs, p99: 60000 } }), bad], ctx);
    assert.equal(s.bytes, 5e9);
    assert.equal(s.elapsedSec, 3);
    assert.equal(s.rounds, 3);
    assert.equal(s.latencyUs.p99, 20);
    assert.equal(s.verify.ok, false);
    assert.equal(s.verify.firstBadOffset, 77);
    assert.equal(runFailed(s), true);
  });
  it('an I/O error fails the run even when verification passed', () => {
    assert.equal(runFailed(summarize([fakeResult({ error: 'read: EREMOTEIO', errorCode: 'EREMOTEIO' })], ctx)), true);
  });
  it('savings: direct vs bounce', () => {
    const d = summarize([fakeResult()], ctx);
    const b = summarize([fakeResult({ bytes: 1e9, cpu: { userSec: 0.5, sysSec: 0.3 } })], { ...ctx, path: 'bounce' });
    const s = savings(d, b);
    assert.equal(s.throughputRatio, 2);
    assert.ok(Math.abs(s.cpuSecPerGBSaved - 0.6) < 1e-12);
    assert.ok(Math.abs((s.cpuShareSaved ?? 0) - 0.75) < 1e-12);
  });
});

describe('text and JSON views', () => {
  it('renders both paths side by side with the savings line', () => {
    const d = summarize([fakeResult()], ctx);
    const b = summarize([fakeResult({ bytes: 1e9, copySec: 0.2 })], { ...ctx, path: 'bounce' });
    const t = renderResults([d, b], { color: false });
    assert.match(t, /^\s+direct\s+bounce/m);
    assert.match(t, /throughput\s+2\.00 GB\/s\s+1\.86 GiB\/s\s+1\.00 GB\/s/);
    assert.match(t, /of link ceiling\s+50% of 4\.0 GB\/s\s+25% of 4\.0 GB\/s/);
    assert.match(t, /copy s\/GB\s+-\s+0\.200/);
    assert.match(t, /direct vs bounce: 2\.00x the bounce throughput/);
    assert.doesNotMatch(t, /\x1b\[/);
  });
  it('notes a fallback engine and refused buffer registration', () => {
    const d = summarize([fakeResult({ engine: 'psync', engineNote: 'io_uring unavailable (io_uring_setup: EPERM); used the pread/pwrite thread pool' })], ctx);
    const b = summarize([fakeResult({ registeredBuffers: false, registerNote: 'IORING_REGISTER_BUFFERS refused: EFAULT' })], { ...ctx, path: 'bounce' });
    const t = renderResults([d, b], { color: false });
    assert.match(t, /note: io_uring unavailable \(io_uring_setup: EPERM\); used the pread\/pwrite thread pool/);
    assert.match(t, /note: bounce: IORING_REGISTER_BUFFERS refused: EFAULT/);
  });
  it('shows a mismatch with its offset and no savings line', () => {
    const bad = summarize([fakeResult({ verify: { checked: true, ok: false, slotsCompared: 1, bytesCompared: 1, firstBadOffset: 4096, expected: 0xab, actual: 0x54 } })], ctx);
    const t = renderResults([bad, summarize([fakeResult()], { ...ctx, path: 'bounce' })], { color: false });
    assert.match(t, /MISMATCH at offset 4096 \(expected 0xab, got 0x54\)/);
    assert.doesNotMatch(t, /direct vs bounce/);
  });
  it('progress line', () => {
    const l = progressLine({ bytes: 2 ** 30, elapsedSec: 1, label: 'direct' }, { totalBytes: 2 ** 31, durationSec: 0 }, 80);
    assert.match(l, /^\[#{10,}\.{10,}\]\s+50%\s+1\.00 GiB\s+1\.07 GB\/s\s+direct$/);
    assert.ok(l.length <= 80);
  });
  it('sweep matrix and curve', () => {
    const pts = [[4096, 1, 0.5], [4096, 32, 1], [1 << 20, 1, 1.5], [1 << 20, 32, 3]].map(([bs, qd, g]) => ({
      blockSize: bs, queueDepth: qd, summary: summarize([fakeResult({ bytes: g * 1e9 })], { ...ctx, blockSize: bs, queueDepth: qd }),
    }));
    const t = renderSweep(pts, { color: false, columns: 80 });
    assert.match(t, /GB\/s\s+QD1\s+QD32/);
    assert.match(t, /bs 4K\s+0\.50\s+1\.00/);
    assert.match(t, /bs 1M\s+1\.50\s+3\.00/);
    const bars = t.split('\n').filter((l) => l.includes('█'));
    assert.equal(bars.length, 4);
    const longest = bars.find((l) => l.includes('3.00'))!;
    assert.ok(longest.split('█').length > bars.find((l) => l.includes('0.50'))!.split('█').length);
    assert.match(t, /best: 3\.00 GB\/s at bs 1M QD32/);
  });
  it('JSON document: schema, ok flag, savings', () => {
    const d = summarize([fakeResult()], ctx);
    const b = summarize([fakeResult()], { ...ctx, path: 'bounce' });
    const doc = benchJson({ source: { spec: 'f', path: '/f', kind: 'file', size: 1 }, destination: { spec: 'host', label: 'host' }, mode: 'both', write: false, directSkipped: null, runs: [d, b], sweep: null });
    assert.equal(doc.schema, 'p2p.bench/1');
    assert.equal(doc.ok, true);
    assert.equal(doc.savings?.throughputRatio, 1);
    const failed = benchJson({ ...doc, runs: [summarize([fakeResult({ error: 'x' })], ctx)] });
    assert.equal(failed.ok, false);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(doc)));
  });
});
