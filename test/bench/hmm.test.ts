// `p2p bench --hmm`: the plan's argv and device checks, the report's rates, checks and page counts,
// the text, and runBench end to end with a stand-in for the native engine (no /dev/hmm_dmirror here;
// test/lab/hmm.test.ts runs the real driver in a guest).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, type BenchDeps, type BenchOptions } from '../../src/bench/bench-command.js';
import { hmmDevicePath, hmmFailures, hmmReport, planHmm, runHmmPlan, type HmmPlan, type HmmReport } from '../../src/bench/hmm.js';
import { renderHmmText } from '../../src/bench/render.js';
import { UserError } from '../../src/errors.js';
import type { CommandIO } from '../../src/commands/shared.js';
import type { HmmBenchOptions, HmmBenchResult, HmmRepResult } from '../../src/native/addon.js';

const GIB = 2 ** 30;
const charDevice = () => ({ isCharacterDevice: () => true });
const plan = (o: Partial<BenchOptions> = {}) => planHmm({ hmm: '/dev/hmm_dmirror0', ...o }, charDevice);

function collect(): CommandIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', isTTY: false, color: false, columns: 100,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}

/** Seconds a stand-in rep takes: a different figure per direction and rep, so sums and minima are checkable. */
const secs = (rep: number) => ({ to: 0.01 * (rep + 2), read: 0.004 * (rep + 1), back: 0.02 * (3 - rep) });

/** What the native engine would answer for these options when everything works. */
function fakeResult(o: HmmBenchOptions, change: (r: HmmRepResult, i: number) => void = () => {}): HmmBenchResult {
  const pages = o.bytes / 4096;
  const ok = { checked: true, ok: true };
  const reps = Array.from({ length: o.reps }, (_, i): HmmRepResult => {
    const s = secs(i);
    const r: HmmRepResult = {
      toDevice: { sec: s.to, pages }, onDevicePages: pages, deviceRead: { sec: s.read, faults: 0 }, deviceVerify: { ...ok },
      toSystem: { sec: s.back, pages }, leftOnDevicePages: 0, cpuVerify: { ...ok },
    };
    change(r, i);
    return r;
  });
  return { device: o.device, bytes: o.bytes, pageSize: 4096, back: o.back ?? 'migrate', reps, cancelled: false };
}

describe('p2p bench --hmm: plan', () => {
  it('defaults: 64 MiB, 3 reps, back by MIGRATE_TO_SYS; a bare name is under /dev', () => {
    const p = plan();
    assert.deepEqual([p.kind, p.device, p.bytes, p.reps, p.back], ['hmm', '/dev/hmm_dmirror0', 64 << 20, 3, 'migrate']);
    assert.equal(hmmDevicePath('hmm_dmirror1'), '/dev/hmm_dmirror1');
    assert.equal(plan({ hmm: 'hmm_dmirror1', size: '8M', rounds: 5, hmmBack: 'fault' }).device, '/dev/hmm_dmirror1');
    const q = plan({ size: '8M', rounds: 5, hmmBack: 'fault' });
    assert.deepEqual([q.bytes, q.reps, q.back], [8 << 20, 5, 'fault']);
  });

  it('a real character device passes the check (/dev/null)', () => {
    assert.equal(planHmm({ hmm: '/dev/null' }).device, '/dev/null');
  });

  it('no device: one line naming CONFIG_TEST_HMM; not a character device: one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-hmm-'));
    try {
      assert.throws(() => planHmm({ hmm: join(dir, 'hmm_dmirror9') }), (e: Error) => e instanceof UserError && /no HMM test device .*hmm_dmirror9.*CONFIG_TEST_HMM/.test(e.message));
      writeFileSync(join(dir, 'plain'), 'x');
      assert.throws(() => planHmm({ hmm: join(dir, 'plain') }), (e: Error) => e instanceof UserError && /not a character device/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad argv: one UserError line each', () => {
    for (const [o, re] of [
      [{ size: '1000' }, /multiple of 4k/],
      [{ size: '0' }, /multiple of 4k/],
      [{ rounds: 0 }, /--rounds/],
      [{ hmmBack: 'sideways' as never }, /--hmm-back/],
      [{ source: 'nvme0' }, /takes no SOURCE/],
      [{ write: true }, /no --write/],
      [{ hmm: '' }, /needs the HMM test device/],
    ] as [Partial<BenchOptions>, RegExp][]) {
      assert.throws(() => plan(o), (e: Error) => e instanceof UserError && re.test(e.message), JSON.stringify(o));
    }
  });
});

describe('p2p bench --hmm: report', () => {
  const p: HmmPlan = { ...plan({ size: '8M', rounds: 3 }) };
  const opts = { device: p.device, bytes: p.bytes, reps: p.reps, back: p.back };

  it('rates per direction: bytes over the summed seconds, the best rep, seconds per GiB', () => {
    const r = hmmReport(p, fakeResult(opts));
    assert.equal(r.ok, true);
    assert.deepEqual(r.verified, { device: true, cpu: true });
    assert.deepEqual(r.pages, { perRep: p.bytes / 4096, minOnDevice: p.bytes / 4096, maxLeftOnDevice: 0 });
    const all = [0, 1, 2].map(secs);
    for (const [name, key] of [['to-device', 'to'], ['device-read', 'read'], ['to-system', 'back']] as const) {
      const d = r.directions.find((x) => x.name === name)!;
      const total = all.reduce((a, s) => a + s[key], 0);
      const best = Math.min(...all.map((s) => s[key]));
      assert.equal(d.bytes, 3 * p.bytes);
      assert.ok(Math.abs(d.sec - total) < 1e-12);
      assert.ok(Math.abs(d.gibPerSec - (3 * p.bytes) / GIB / total) < 1e-9, name);
      assert.ok(Math.abs(d.bestGibPerSec - p.bytes / GIB / best) < 1e-9, name);
      assert.ok(Math.abs(d.secPerGiB - 1 / d.gibPerSec) < 1e-9, name);
    }
    assert.deepEqual(hmmFailures(r), []);
  });

  it('a mismatch in the device view fails with the rep, the side and the byte', () => {
    const r = hmmReport(p, fakeResult(opts, (x, i) => {
      if (i === 1) x.deviceVerify = { checked: true, ok: false, firstBadOffset: 8195, expected: 0x12, actual: 0 };
    }));
    assert.equal(r.ok, false);
    assert.deepEqual(r.mismatch, { rep: 1, side: 'device', offset: 8195, expected: 0x12, actual: 0 });
    assert.match(hmmFailures(r).join('\n'), /rep 2: bytes differ in the device's view .* offset 8195 \(expected 0x12, got 0x00\)/);
  });

  it('pages that never reached the device, or stayed there, fail the bench', () => {
    const per = p.bytes / 4096;
    const short = hmmReport(p, fakeResult(opts, (x, i) => { if (i === 2) x.onDevicePages = per - 3; }));
    assert.equal(short.ok, false);
    assert.match(hmmFailures(short).join('\n'), new RegExp(`only ${per - 3} of ${per} pages reached the device`));
    const stuck = hmmReport(p, fakeResult(opts, (x) => { x.leftOnDevicePages = 7; }));
    assert.equal(stuck.ok, false);
    assert.match(hmmFailures(stuck).join('\n'), new RegExp(`7 of ${per} pages were still on the device`));
  });

  it('an ioctl error names the step and the errno; fewer reps than asked is not ok', () => {
    const res = { ...fakeResult({ ...opts, reps: 1 }), error: 'ioctl(HMM_DMIRROR_MIGRATE_TO_DEV) /dev/hmm_dmirror0: ENOMEM (Cannot allocate memory)', errorCode: 'ENOMEM', failedStep: 'to-device' as const };
    const r = hmmReport(p, res);
    assert.equal(r.ok, false);
    assert.equal(r.errorCode, 'ENOMEM');
    assert.match(hmmFailures(r)[0]!, /^to-device: ioctl\(HMM_DMIRROR_MIGRATE_TO_DEV\) .*ENOMEM/);
  });

  it('text: a row per direction with GiB/s and time per GiB, the checks, failures on stderr', () => {
    const r = hmmReport(p, fakeResult(opts));
    const io = collect();
    renderHmmText(r, io);
    const d = r.directions.find((x) => x.name === 'to-device')!;
    assert.match(io.stdout, /p2p bench --hmm \/dev\/hmm_dmirror0: 8M per migration, 3 of 3 reps, back by MIGRATE_TO_SYS/);
    assert.ok(io.stdout.includes(`${d.gibPerSec.toFixed(2)} GiB/s`) && io.stdout.includes(`${d.secPerGiB.toFixed(3)} s`), io.stdout);
    assert.match(io.stdout, new RegExp(`${p.bytes / 4096} of ${p.bytes / 4096} on the device`));
    assert.match(io.stdout, /verify: device's view ok, CPU after the way back ok/);
    assert.equal(io.stderr, '');
    const bad = collect();
    renderHmmText(hmmReport(p, fakeResult(opts, (x) => { x.cpuVerify = { checked: true, ok: false, firstBadOffset: 1, expected: 1, actual: 2 }; })), bad);
    assert.match(bad.stdout, /CPU after the way back MISMATCH/);
    assert.match(bad.stderr, /^bench FAILED \(hmm\): rep 1: bytes differ in the CPU after the way back/);
  });

  it('the run passes the plan to the engine and cancels it on abort', async () => {
    let asked: HmmBenchOptions | null = null;
    let cancelled = false;
    const ac = new AbortController();
    const report = runHmmPlan(p, (o) => {
      asked = o;
      return { promise: new Promise((done) => setTimeout(() => done({ ...fakeResult(o), cancelled }), 20)), cancel: () => { cancelled = true; } };
    }, ac.signal);
    ac.abort();
    const r = await report;
    assert.deepEqual(asked, { device: p.device, bytes: p.bytes, reps: p.reps, back: p.back, seed: p.seed });
    assert.equal(r.cancelled, true);
    assert.equal(r.ok, false);
  });
});

describe('p2p bench --hmm (runBench)', () => {
  const deps = (change?: (r: HmmRepResult, i: number) => void): Partial<BenchDeps> => ({
    startHmmBench: (o) => ({ promise: Promise.resolve(fakeResult(o, change)), cancel() {} }),
    env: {},
  });
  const run = (o: Partial<BenchOptions>, d = deps(), io = collect()) => runBench({ hmm: '/dev/null', size: '4M', rounds: 2, ...o }, io, d).then((code) => ({ code, io }));

  it('JSON: the report itself, exit 0', async () => {
    const { code, io } = await run({ json: true });
    assert.equal(code, 0);
    const doc = JSON.parse(io.stdout) as HmmReport;
    assert.equal(doc.schema, 'p2p.bench-hmm/1');
    assert.equal(doc.bytesPerRep, 4 << 20);
    assert.equal(doc.reps.length, 2);
    assert.equal(doc.ok, true);
  });

  it('a mismatch exits 1 with the failure on stderr', async () => {
    const { code, io } = await run({}, deps((x) => { x.deviceVerify = { checked: true, ok: false, firstBadOffset: 0, expected: 1, actual: 0 }; }));
    assert.equal(code, 1);
    assert.match(io.stderr, /bench FAILED \(hmm\)/);
  });

  it('an offline source is refused before the device is looked at; so is no source without --hmm', async () => {
    await assert.rejects(run({ hmm: '/nonexistent/hmm_dmirror0', dump: '/nonexistent/lspci.txt' }), (e: Error) => e instanceof UserError && /needs this machine/.test(e.message));
    await assert.rejects(run({ hmm: '/nonexistent/hmm_dmirror0' }), (e: Error) => e instanceof UserError && /no HMM test device/.test(e.message));
    await assert.rejects(runBench({}, collect(), deps()), (e: Error) => e instanceof UserError && /needs a SOURCE .* or --hmm DEVICE/.test(e.message));
  });

  it('an engine setup failure (open refused) is one line', async () => {
    const d: Partial<BenchDeps> = { ...deps(), startHmmBench: () => ({ promise: Promise.reject(Object.assign(new Error('open /dev/null: EACCES (Permission denied)'), { code: 'EACCES' })), cancel() {} }) };
    await assert.rejects(run({}, d), (e: Error) => e instanceof UserError && /bench could not start: open \/dev\/null: EACCES/.test(e.message));
  });
});
