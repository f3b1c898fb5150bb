// The native probe on this machine's host memory (and a regular file mapped the way p2pmem is): the
// O_DIRECT, io_uring and vmsplice consumers move bytes that are compared with a host read; the RDMA
// consumers go through the real dlopen loader to a fake libibverbs that accepts or refuses on demand.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { probePeerMemory, type NativeConsumerResult, type PeerProbeOptions } from '../../src/native/addon.js';
import { directTempDir, fakeIbverbs } from './helpers.js';

const dir = directTempDir('p2p-probe-');
after(() => rmSync(dir, { recursive: true, force: true }));
const SIZE = 256 * 1024;

function answers(o: Partial<PeerProbeOptions>): Map<string, NativeConsumerResult> {
  const r = probePeerMemory({ kind: 'host', size: SIZE, ...o });
  return new Map(r.consumers.map((c) => [c.consumer, c]));
}

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('probePeerMemory: host memory', () => {
  it('reads a scratch file into the memory with O_DIRECT and io_uring (plain and registered), bytes verified, and removes the file', () => {
    const a = answers({ fileDir: dir });
    for (const c of ['odirect-read-file', 'io_uring-read', 'io_uring-read-fixed', 'vmsplice']) {
      assert.equal(a.get(c)?.outcome, 'accepted', `${c}: ${a.get(c)?.detail}`);
      assert.equal(a.get(c)?.bytesVerified, SIZE, c);
      assert.equal(a.get(c)?.errno, null);
    }
    assert.equal(a.get('io_uring-read-fixed')?.call, 'IORING_OP_READ_FIXED');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('p2p-probe-')), []);
  });

  it('asks the write consumers only with write, and verifies what they wrote', () => {
    const ro = answers({ fileDir: dir });
    assert.equal(ro.get('odirect-write-file')?.outcome, 'skipped');
    assert.match(ro.get('odirect-write-file')!.detail, /--write/);
    const rw = answers({ fileDir: dir, write: true });
    assert.equal(rw.get('odirect-write-file')?.outcome, 'accepted', rw.get('odirect-write-file')?.detail);
    assert.equal(rw.get('odirect-write-file')?.bytesVerified, SIZE);
  });

  it('says why each consumer without its input was not asked', () => {
    const a = answers({});
    assert.equal(a.size, 11);
    assert.match(a.get('odirect-read-block')!.detail, /--device/);
    assert.match(a.get('odirect-read-file')!.detail, /--file/);
    assert.match(a.get('io_uring-read')!.detail, /nothing to read from/);
    assert.match(a.get('ibv_reg_mr')!.detail, /--rdma/);
    assert.match(a.get('v4l2-userptr')!.detail, /--video/);
    assert.equal(a.get('vmsplice')?.outcome, 'accepted', 'vmsplice needs no input');
  });

  it('a video node that is not there is a skip with the open errno, not a crash', () => {
    const a = answers({ videoDevice: join(dir, 'video-none') });
    assert.equal(a.get('v4l2-userptr')?.outcome, 'skipped');
    assert.match(a.get('v4l2-userptr')!.detail, /ENOENT/);
    assert.match(a.get('v4l2-dmabuf')!.detail, /not a dma-buf/);
  });

  it('io_uring refused by the system makes its consumers skips that say so', () => {
    const a = withEnv({ P2P_IO_URING_DISABLE: '1' }, () => answers({ fileDir: dir }));
    assert.equal(a.get('io_uring-read')?.outcome, 'skipped');
    assert.match(a.get('io_uring-read')!.detail, /io_uring unavailable.*EPERM/);
    assert.equal(a.get('odirect-read-file')?.outcome, 'accepted');
  });
});

describe('probePeerMemory: a shared file mapping (the p2pmem mapping path)', () => {
  it('maps the allocate file MAP_SHARED, rounds to the page, and the consumers answer for it', () => {
    const fake = join(dir, 'allocate');
    writeFileSync(fake, Buffer.alloc(SIZE + 8192));
    const r = probePeerMemory({ kind: 'p2pmem', path: fake, size: SIZE, fileDir: dir });
    assert.equal(r.provider.kind, 'p2pmem');
    assert.equal(r.provider.mappedBytes, SIZE);
    assert.match(r.provider.what, /^p2pmem .*allocate$/);
    const read = r.consumers.find((c) => c.consumer === 'odirect-read-file')!;
    assert.equal(read.outcome, 'accepted', read.detail);
    // the bytes really went through the shared mapping into the file
    assert.notDeepEqual(readFileSync(fake).subarray(0, 4096), Buffer.alloc(4096));
  });

  it('memory that cannot be mapped throws with the errno name and what was attempted', () => {
    assert.throws(() => probePeerMemory({ kind: 'dax', path: join(dir, 'dax9.9'), size: SIZE }), (e: Error & { code?: string }) =>
      e.code === 'ENOENT' && e.message.includes('dax9.9'));
    assert.throws(() => probePeerMemory({ kind: 'udmabuf', path: join(dir, 'no-udmabuf'), size: SIZE }), (e: Error & { code?: string }) =>
      e.code === 'ENOENT' && /open .*no-udmabuf/.test(e.message));
    assert.throws(() => probePeerMemory({ kind: 'p2pmem', size: SIZE }), TypeError);
    assert.throws(() => probePeerMemory({ kind: 'host', size: 1000 }), TypeError);
    assert.throws(() => probePeerMemory({ kind: 'gpu' as never, size: SIZE }), TypeError);
  });

  it('maps a udmabuf when /dev/udmabuf exists', { skip: existsSync('/dev/udmabuf') ? false : 'no /dev/udmabuf here (the lab guest has one)' }, () => {
    const r = probePeerMemory({ kind: 'udmabuf', size: SIZE });
    assert.equal(r.provider.dmabuf, true);
  });
});

const fake = fakeIbverbs();
describe('probePeerMemory: RDMA through a fake libibverbs', { skip: fake ? false : 'no C compiler to build the fake libibverbs' }, () => {
  it('an accepted ibv_reg_mr registered exactly the mapping', () => {
    const log = join(dir, 'ibv.log');
    const a = withEnv({ FAKE_IBV_LOG: log }, () => answers({ rdmaDevice: 'fake0', ibverbsLib: fake!.lib }));
    assert.equal(a.get('ibv_reg_mr')?.outcome, 'accepted', a.get('ibv_reg_mr')?.detail);
    assert.match(a.get('ibv_reg_mr')!.detail, /no bytes moved/);
    const line = readFileSync(log, 'utf8').trim().split(' ');
    assert.equal(line[0], 'reg_mr');
    assert.equal(Number(line[2]), SIZE);
    assert.equal(Number(line[3]) & 1, 1, 'IBV_ACCESS_LOCAL_WRITE');
    assert.equal(a.get('ibv_reg_dmabuf_mr')?.outcome, 'skipped', 'host memory is no dma-buf');
  });

  it('a refusal carries the errno the library set', () => {
    const a = withEnv({ FAKE_IBV_REG_MR_ERRNO: String(constants.errno.EFAULT) }, () => answers({ rdmaDevice: 'fake0', ibverbsLib: fake!.lib }));
    assert.equal(a.get('ibv_reg_mr')?.outcome, 'refused');
    assert.equal(a.get('ibv_reg_mr')?.errno, 'EFAULT');
    assert.equal(a.get('ibv_reg_mr')?.bytesVerified, 0);
  });

  it('no such device, no devices, no library: skips that say which', () => {
    assert.match(answers({ rdmaDevice: 'mlx5_0', ibverbsLib: fake!.lib }).get('ibv_reg_mr')!.detail, /no RDMA device mlx5_0 .*fake0/);
    const none = withEnv({ FAKE_IBV_DEVICES: '0' }, () => answers({ rdmaDevice: 'fake0', ibverbsLib: fake!.lib }));
    assert.match(none.get('ibv_reg_mr')!.detail, /lists none/);
    const missing = answers({ rdmaDevice: 'fake0', ibverbsLib: join(dir, 'libibverbs-missing.so.1') });
    assert.equal(missing.get('ibv_reg_mr')?.outcome, 'skipped');
    assert.match(missing.get('ibv_reg_mr')!.detail, /cannot load .*libibverbs-missing/);
  });
});

describe('probePeerMemory: success codes alone do not make an answer', () => {
  for (const consumer of ['odirect-read-file', 'io_uring-read', 'vmsplice', 'odirect-write-file']) {
    it(`${consumer}: a byte that did not land makes it a mismatch with the offset, not accepted`, () => {
      const a = withEnv({ P2P_PROBE_TEST_CORRUPT: consumer }, () => answers({ fileDir: dir, write: true }));
      assert.equal(a.get(consumer)?.outcome, 'mismatch', a.get(consumer)?.detail);
      assert.equal(a.get(consumer)?.bytesVerified, 0);
      assert.match(a.get(consumer)!.detail, /differ from offset 4097/);
    });
  }
});
