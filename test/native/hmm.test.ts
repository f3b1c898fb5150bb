// startHmmBench on this host: argument checks, setup failures with their errno, and an ioctl refused by
// a file that is not the HMM test driver (ENOTTY, the step named). With /dev/hmm_dmirror0 present (a
// kernel with CONFIG_TEST_HMM, as the lab's v2 guest) one small real migration runs too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startHmmBench } from '../../src/native/addon.js';

describe('native startHmmBench', () => {
  it('garbage options are a TypeError', () => {
    for (const o of [{}, { device: '/dev/null' }, { device: '/dev/null', bytes: 4096 }, { device: '/dev/null', bytes: 4096, reps: 1, back: 'up' }, { device: '', bytes: 4096, reps: 1 }]) {
      assert.throws(() => startHmmBench(o as never), TypeError, JSON.stringify(o));
    }
  });

  it('setup failures reject with one line and the errno name', async () => {
    await assert.rejects(startHmmBench({ device: '/nonexistent/hmm_dmirror0', bytes: 4096, reps: 1 }).promise, (e: Error & { code?: string }) => e.code === 'ENOENT' && /^open \/nonexistent\/hmm_dmirror0: ENOENT/.test(e.message));
    await assert.rejects(startHmmBench({ device: '/dev/null', bytes: 4097, reps: 1 }).promise, /multiple of the page size/);
  });

  it('a file that is not the driver: the first ioctl fails, named, and no rep is reported', async () => {
    const r = await startHmmBench({ device: '/dev/null', bytes: 1 << 20, reps: 2 }).promise;
    assert.equal(r.errorCode, 'ENOTTY');
    assert.equal(r.failedStep, 'to-device');
    assert.match(r.error ?? '', /^ioctl\(HMM_DMIRROR_MIGRATE_TO_DEV\) \/dev\/null: ENOTTY/);
    assert.deepEqual(r.reps, []);
    assert.equal(r.bytes, 1 << 20);
    assert.ok(r.pageSize >= 4096);
  });

  const dev = '/dev/hmm_dmirror0';
  it('a real migration there and back through the test driver', { skip: existsSync(dev) ? false : `no ${dev} here (CONFIG_TEST_HMM); test/lab/hmm.test.ts runs it in a guest` }, async () => {
    const r = await startHmmBench({ device: dev, bytes: 1 << 20, reps: 2, back: 'migrate' }).promise;
    assert.equal(r.error, undefined);
    assert.equal(r.reps.length, 2);
    for (const rep of r.reps) {
      assert.equal(rep.onDevicePages, (1 << 20) / r.pageSize);
      assert.equal(rep.leftOnDevicePages, 0);
      assert.ok(rep.deviceVerify.ok && rep.cpuVerify.ok);
    }
  });
});
