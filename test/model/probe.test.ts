// The probe's pure model: what each errno means per consumer and memory kind, and the report's shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allSkipped, answerMeaning, buildProbeReport, CONSUMERS, errnoMeaning, type ProbeAnswer } from '../../src/model/probe.js';

const provider = { spec: '0000:01:00.0', kind: 'p2pmem' as const, path: '/sys/bus/pci/devices/0000:01:00.0/p2pmem/allocate', what: 'p2pmem x', mappedBytes: 1 << 20, dmabuf: false };
const ans = (consumer: string, outcome: ProbeAnswer['outcome'], errno: string | null = null, call: string | null = null): ProbeAnswer =>
  ({ consumer, outcome, errno, bytesVerified: outcome === 'accepted' ? 4096 : 0, call, detail: 'd' });

describe('errnoMeaning', () => {
  it('EREMOTEIO from O_DIRECT on p2pmem is the P2PDMA distance check (or a queue without P2PDMA)', () => {
    const m = errnoMeaning('odirect-read-block', 'pread(O_DIRECT)', 'EREMOTEIO', 'p2pmem');
    assert.match(m, /distance check/);
    assert.notEqual(errnoMeaning('odirect-read-block', 'pread(O_DIRECT)', 'EREMOTEIO', 'host'), m);
  });
  it('the same errno means different things to different consumers', () => {
    assert.match(errnoMeaning('ibv_reg_mr', 'ibv_reg_mr', 'EFAULT', 'dax'), /no struct pages|pinnable/);
    assert.match(errnoMeaning('io_uring-read-fixed', 'io_uring_register(IORING_REGISTER_BUFFERS)', 'EFAULT', 'p2pmem'), /REGISTER_BUFFERS/);
    assert.match(errnoMeaning('io_uring-read-fixed', 'IORING_OP_READ_FIXED', 'EINVAL', 'host'), /alignment/);
    assert.match(errnoMeaning('v4l2-userptr', 'VIDIOC_REQBUFS(V4L2_MEMORY_USERPTR)', 'EINVAL', 'host'), /USERPTR/);
    assert.match(errnoMeaning('ibv_reg_dmabuf_mr', 'ibv_reg_dmabuf_mr', 'EOPNOTSUPP', 'udmabuf'), /dma-buf/);
  });
  it('an errno nobody described is said as it is', () => {
    assert.equal(errnoMeaning('vmsplice', 'vmsplice', 'EXDEV', 'host'), 'the kernel answered EXDEV');
  });
});

describe('buildProbeReport', () => {
  it('orders results as CONSUMERS, and accepted/errno/bytesVerified follow the outcome', () => {
    const r = buildProbeReport(provider, 4096, false, [
      ans('vmsplice', 'refused', 'EREMOTEIO', 'vmsplice'),
      ans('odirect-read-block', 'accepted'),
      ans('io_uring-read', 'mismatch', 'EIO'),
    ]);
    assert.equal(r.schema, 'p2p.probe/1');
    assert.deepEqual(r.results.map((x) => x.consumer), ['odirect-read-block', 'io_uring-read', 'vmsplice']);
    assert.deepEqual(r.results.map((x) => [x.accepted, x.errno, x.bytesVerified]), [[true, null, 4096], [false, null, 0], [false, 'EREMOTEIO', 0]]);
    assert.match(r.results[1].meaning, /IOMMU/);
    assert.match(r.results[2].meaning, /FOLL_PCI_P2PDMA/);
  });
  it('every consumer has a description of what accepted means, and allSkipped names them all', () => {
    assert.equal(new Set(CONSUMERS.map((c) => c.id)).size, CONSUMERS.length);
    const skipped = allSkipped('native addon unavailable: x');
    assert.deepEqual(skipped.map((s) => s.consumer), CONSUMERS.map((c) => c.id));
    for (const s of skipped) assert.match(answerMeaning(s, 'host'), /^not asked: native addon/);
    for (const c of CONSUMERS) assert.notEqual(answerMeaning(ans(c.id, 'accepted'), 'host'), 'the call succeeded');
  });
});
