// `p2p probe` under the real v2 kernel (P2P_LAB=1): one guest with p2pmem, device-DAX, udmabuf, vivid
// and rxe; every answer p2p gives is checked against the C oracle's (guest/probe-oracle.c), and the
// bench into device-DAX and udmabuf must verify. The comparison and QEMU arguments are unit-tested
// here without booting.
import { before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findKernel, findQemu, repoRoot } from './kernel.js';
import { compareProbe, probeQemuArgs, PROBE_PROVIDERS, runProbeLab, type ProbeLabRun } from './probe-lab.js';

const line = (consumer: string, outcome: string, errno: string | null, bytes: number) => JSON.stringify({ consumer, outcome, errno, bytesVerified: bytes });

describe('probe lab pieces', () => {
  it('compareProbe: same outcome, errno and bytes agree; anything else disagrees', () => {
    const oracle = [line('odirect-read-block', 'accepted', null, 4096), line('vmsplice', 'refused', 'EREMOTEIO', 0), line('ibv_reg_mr', 'skipped', null, 0)].join('\n');
    const p2p = (vm: string, vmErr: string | null, reg: string) => JSON.stringify({ results: [
      { consumer: 'odirect-read-block', outcome: 'accepted', errno: null, bytesVerified: 4096 },
      { consumer: 'vmsplice', outcome: vm, errno: vmErr, bytesVerified: 0 },
      { consumer: 'ibv_reg_mr', outcome: reg, errno: null, bytesVerified: 0 },
    ] });
    assert.deepEqual(compareProbe(oracle, p2p('refused', 'EREMOTEIO', 'skipped')).map((c) => c.ok), [true, true, true]);
    assert.deepEqual(compareProbe(oracle, p2p('refused', 'EFAULT', 'skipped')).map((c) => c.ok), [true, false, true]);
    assert.deepEqual(compareProbe(oracle, p2p('accepted', null, 'accepted')).map((c) => c.ok), [true, false, false]);
  });
  it('the guest has an nvdimm on a q35 machine with nvdimm=on and memory slots', () => {
    const a = probeQemuArgs({ kernel: 'K', initScript: '/x/probe-init.sh', resultsDir: '/r', driveFiles: new Map([['cmb', '/c'], ['disk', '/d'], ['fs', '/f'], ['far', '/g']]), nvdimmFile: '/n,1' });
    assert.equal(a[a.indexOf('-machine') + 1], 'q35,nvdimm=on');
    assert.match(a[a.indexOf('-m') + 1], /^\d+M,slots=2,maxmem=\d+M$/);
    assert.ok(a.includes('memory-backend-file,id=nvdimm-mem,share=on,mem-path=/n,,1,size=256M'));
    assert.ok(a.some((x) => x.includes('cmb_size_mb=16')));
    assert.match(a[a.indexOf('-append') + 1], /-- \/x\/probe-init.sh$/);
  });
});

const root = repoRoot();
function skipReason(): string | null {
  if (process.env.P2P_LAB_PROBE_RESULTS) return existsSync(process.env.P2P_LAB_PROBE_RESULTS) ? null : `${process.env.P2P_LAB_PROBE_RESULTS} does not exist`;
  if (process.env.P2P_LAB !== '1') return 'booting lab not requested: set P2P_LAB=1 (one guest, several minutes; see docs/probe.md)';
  const k = findKernel(root);
  if (!k.ok) return `lab cannot run: ${k.reason}`;
  const q = findQemu();
  return q.ok ? null : `lab cannot run: ${q.reason}`;
}
const skip = skipReason();

if (skip) test('p2p probe lab: answers against the kernel oracle', (t) => t.skip(skip));
else describe('p2p probe lab: answers against the kernel oracle', { timeout: 15 * 60 * 1000 }, () => {
  let run: ProbeLabRun;
  before(async () => {
    const given = process.env.P2P_LAB_PROBE_RESULTS;
    if (given) {
      run = { guestDir: resolve(given), status: 'ok', stage: 'done', wallMs: 0, consoleTail: '' };
      return;
    }
    const k = findKernel(root), q = findQemu();
    assert.ok(k.ok && q.ok);
    const outDir = resolve(process.env.P2P_LAB_OUT ?? join(root, 'test/lab/out'));
    run = await runProbeLab({ root, kernel: k.path, qemu: q.path, outDir });
  });
  const file = (name: string) => join(run.guestDir, name);

  it('the guest ran to the end', () => {
    assert.equal(run.status, 'ok', `stage ${run.stage}\n${run.consoleTail}`);
  });
  for (const p of PROBE_PROVIDERS) {
    it(`${p}: every answer p2p probe gives equals the oracle's`, (t) => {
      if (!existsSync(file(`oracle-${p}.jsonl`))) return t.skip(`no ${p} provider in the guest (see ${file('setup.txt')})`);
      assert.equal(readFileSync(file(`probe-${p}.rc`), 'utf8').trim(), '0', readFileSync(file(`probe-${p}.err`), 'utf8'));
      const checks = compareProbe(readFileSync(file(`oracle-${p}.jsonl`), 'utf8'), readFileSync(file(`probe-${p}.json`), 'utf8'));
      assert.ok(checks.length >= 4, `the oracle asked only ${checks.length} consumers`);
      const bad = checks.filter((c) => !c.ok);
      assert.deepEqual(bad, [], bad.map((b) => `${b.consumer}: oracle ${b.oracle}, p2p ${b.p2p}`).join('\n'));
    });
  }
  it('p2pmem read from a disk under another root port: the refusal is the distance check, in the kernel\'s words', (t) => {
    if (!existsSync(file('oracle-p2pmem-far.jsonl'))) return t.skip('no far disk in the guest');
    const o = JSON.parse(readFileSync(file('oracle-p2pmem-far.jsonl'), 'utf8').split('\n')[0]);
    const r = JSON.parse(readFileSync(file('probe-p2pmem-far.json'), 'utf8')).results.find((x: { consumer: string }) => x.consumer === 'odirect-read-block');
    assert.equal(r.errno, o.errno);
    if (r.errno === 'EREMOTEIO') {
      assert.match(r.meaning, /distance check/);
      assert.match(readFileSync(file('oracle-p2pmem-far.dmesg'), 'utf8'), /peer-to-peer DMA/);
    }
  });
  for (const d of ['-dev-dax0-0', 'udmabuf']) {
    it(`bench NVMe -> ${d.replace(/-/g, '/').replace('/dev/dax0/0', '/dev/dax0.0')}: both paths verified, with the time per GiB`, () => {
      const doc = JSON.parse(readFileSync(file(`bench-${d}.json`), 'utf8'));
      assert.equal(doc.ok, true, readFileSync(file(`bench-${d}.err`), 'utf8'));
      for (const r of doc.runs) {
        assert.equal(r.verify.ok, true);
        assert.ok(r.verify.bytesCompared > 0);
        assert.ok(r.secPerGiB > 0);
      }
    });
  }
});
