// The HMM migration bench on the real kernel: one guest on the v2 lab kernel (CONFIG_TEST_HMM built in,
// /dev/hmm_dmirror0 and 1) runs `p2p bench --hmm` both ways back (MIGRATE_TO_SYS, CPU faults); each
// report must say every byte verified, every page went to the device and came back, and give times.
// Opt-in like lab.test.ts (P2P_LAB=1). Results go to OUT/hmm/ (OUT: $P2P_LAB_OUT or test/lab/out), a
// folder of their own so the fabric checks that read OUT/*.json do not take this guest for a fabric;
// P2P_LAB_RESULTS=DIR re-checks a run left in DIR/hmm/.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './kernel.js';
import { prerequisites } from './run.js';
import { runFabric, timeoutFromEnv, type LabResult } from './runner.js';
import type { LabSpec } from './spec.js';
import type { HmmReport } from '../../src/bench/hmm.js';

const root = repoRoot();
const resultsDir = process.env.P2P_LAB_RESULTS ? join(resolve(process.env.P2P_LAB_RESULTS), 'hmm') : null;
const SUITE_TIMEOUT_MS = 10 * 60 * 1000;
const MIB = 16;
const BYTES = MIB << 20;

/** No PCIe fabric at all: the test driver is a platform of its own. Not a specs/ file (those need NVMe pairs). */
export const HMM_SPEC: LabSpec = {
  name: 'hmm-dmirror',
  description: "the kernel's HMM test driver (lib/test_hmm.c): p2p bench --hmm migrates to its device-private memory and back",
  cpu: 'intel',
  iommu: false,
  kernelArgs: [],
  memoryMb: 1024,
  readBytes: 1 << 20,
  timeoutSec: 360,
  fabric: [],
  expect: [],
};

/** The runs, in bench-N order: `- -` stands for the NVMe client and provider this fabric does not have. */
export const HMM_RUNS = [
  { back: 'migrate', device: '/dev/hmm_dmirror0', reps: 3 },
  { back: 'fault', device: '/dev/hmm_dmirror1', reps: 2 },
] as const;
const lines = HMM_RUNS.map((r) => `- - bench --hmm ${r.device} --size ${MIB}M --rounds ${r.reps} --hmm-back ${r.back} --json`);

function skipReason(): string | null {
  if (resultsDir) return existsSync(join(resultsDir, `${HMM_SPEC.name}.json`)) ? null : `no ${HMM_SPEC.name}.json in P2P_LAB_RESULTS=${resultsDir}`;
  if (process.env.P2P_LAB !== '1') return 'booting lab not requested: set P2P_LAB=1 to boot the HMM guest (about a minute; see docs/lab.md)';
  const pre = prerequisites(root);
  return 'missing' in pre ? `lab cannot run: ${pre.missing}` : null;
}
const skip = skipReason();

if (skip) test('HMM lab: p2p bench --hmm under the v2 kernel', (t) => t.skip(skip));
else describe('HMM lab: p2p bench --hmm under the v2 kernel', { timeout: SUITE_TIMEOUT_MS }, () => {
  let result: LabResult;
  before(async () => {
    if (resultsDir) {
      result = JSON.parse(readFileSync(join(resultsDir, `${HMM_SPEC.name}.json`), 'utf8')) as LabResult;
      return;
    }
    const pre = prerequisites(root);
    if ('missing' in pre) throw new Error(pre.missing);
    const outDir = join(resolve(process.env.P2P_LAB_OUT ?? join(root, 'test', 'lab', 'out')), 'hmm');
    mkdirSync(outDir, { recursive: true });
    const log = process.env.P2P_LAB_QUIET ? undefined : (l: string) => process.stderr.write(`lab: ${l}\n`);
    // Only bench: the fabric commands have nothing to show here and each node start costs seconds under TCG.
    result = await runFabric(HMM_SPEC, { ...pre, outDir, commands: new Set(['bench']), benchLines: lines, timeoutSec: timeoutFromEnv(), log });
  }, { timeout: SUITE_TIMEOUT_MS });

  test('guest booted the HMM kernel, ran the benches and powered off in time', () => {
    assert.equal(result.status, 'ok', `${result.message}\n${result.qemu.consoleTail}`);
    assert.match(result.guest.kernelRelease ?? '', /^6\.12\./);
  });

  HMM_RUNS.forEach((run, i) => {
    test(`p2p bench --hmm ${run.device} --hmm-back ${run.back}: bytes verified both sides, every page there and back, times given`, () => {
      assert.equal(result.status, 'ok', result.message ?? '');
      const c = result.guest.commands[`bench-${i + 1}`];
      assert.ok(c, `bench-${i + 1} did not run`);
      const r = c.json as HmmReport | null;
      assert.ok(r, `p2p ${c.args}: exit ${c.exitCode}, no JSON: ${c.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const failed = `p2p ${c.args}: ${r.error ?? ''} ${JSON.stringify(r.mismatch)}`;
      assert.equal(r.schema, 'p2p.bench-hmm/1');
      assert.equal(r.device, run.device);
      assert.equal(r.back, run.back);
      assert.equal(r.bytesPerRep, BYTES);
      assert.equal(r.error, null, failed);
      assert.equal(r.reps.length, run.reps, failed);
      assert.deepEqual(r.verified, { device: true, cpu: true }, failed);
      const perRep = BYTES / r.pageSize;
      assert.equal(r.pages.perRep, perRep);
      for (const rep of r.reps) {
        assert.equal(rep.onDevicePages, perRep, 'every page device-private after MIGRATE_TO_DEV (SNAPSHOT)');
        assert.equal(rep.toDevice.pages, perRep);
        assert.equal(rep.leftOnDevicePages, 0, 'no page left on the device after the way back');
        assert.equal(rep.toSystem.pages, perRep);
        assert.ok(rep.toDevice.sec > 0 && rep.deviceRead.sec > 0 && rep.toSystem.sec > 0, JSON.stringify(rep));
      }
      for (const d of r.directions) {
        assert.equal(d.bytes, BYTES * run.reps);
        assert.ok(d.gibPerSec > 0 && d.secPerGiB > 0, JSON.stringify(d));
      }
      assert.equal(r.ok, true);
      assert.equal(c.exitCode, 0);
      const rate = (n: string) => r.directions.find((d) => d.name === n)!;
      process.stderr.write(`lab: hmm ${run.device} back=${run.back} ${MIB} MiB x ${run.reps} (TCG): to device ${rate('to-device').gibPerSec.toFixed(3)} GiB/s ` +
        `(best ${rate('to-device').bestGibPerSec.toFixed(3)}), device read ${rate('device-read').gibPerSec.toFixed(3)} GiB/s, ` +
        `to system ${rate('to-system').gibPerSec.toFixed(3)} GiB/s (best ${rate('to-system').bestGibPerSec.toFixed(3)}); bench took ${c.seconds ?? '?'} s\n`);
    });
  });
});
