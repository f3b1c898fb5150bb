// The runner's failure paths, with stand-in QEMUs (shell scripts): a guest that hangs, a QEMU that
// refuses its arguments, a kernel that panics, a missing QEMU or kernel. Every one ends in seconds
// with a clear message; none of them boots anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKernel, findQemu, repoRoot } from './kernel.js';
import { runFabric } from './runner.js';
import { validateSpec, type LabSpec } from './spec.js';

const root = repoRoot();

function spec(timeoutSec: number): LabSpec {
  const s = validateSpec({
    name: 'fake',
    description: 'runner failure paths',
    fabric: [{ kind: 'root-port', child: { kind: 'nvme', name: 'a', cmbMb: 64, sizeMb: 1 } }],
    expect: [{ client: 'a', provider: 'a', kernel: 'ok' }],
  });
  return { ...s, timeoutSec }; // below the validated minimum, so the test stays short
}

async function withFakeQemu(script: string, timeoutSec: number) {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-lab-runner-'));
  const qemu = join(dir, 'qemu');
  writeFileSync(qemu, `#!/bin/sh\n${script}\n`);
  chmodSync(qemu, 0o755);
  try {
    const t0 = Date.now();
    const r = await runFabric(spec(timeoutSec), { outDir: join(dir, 'out'), kernel: '/nonexistent/bzImage', qemu, oracle: '/nonexistent/oracle', root });
    return { r, seconds: (Date.now() - t0) / 1000, dir, written: existsSync(join(dir, 'out', 'fake.json')) ? readFileSync(join(dir, 'out', 'fake.json'), 'utf8') : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a guest that never powers off is killed at its timeout and reported as hung', async () => {
  const { r, seconds, written } = await withFakeQemu('echo "SeaBIOS"; exec sleep 600', 2);
  assert.equal(r.status, 'guest-hung');
  assert.match(r.message!, /^guest hung: no power-off within 2s \(last stage: init never started\)/);
  assert.equal(r.qemu.timedOut, true);
  assert.ok(seconds < 15, `took ${seconds}s`);
  assert.match(r.qemu.consoleTail, /SeaBIOS/);
  assert.ok(written, 'the result JSON is written even for a hung guest');
});

test('QEMU refusing its arguments is a qemu-failed result with QEMU\'s own words', async () => {
  const { r } = await withFakeQemu('echo "qemu-system-x86_64: -device nvme: Property \'nvme.cmb_size_mb\' not found" >&2; exit 1', 30);
  assert.equal(r.status, 'qemu-failed');
  assert.match(r.message!, /QEMU exited with 1: .*cmb_size_mb/);
});

test('a kernel that panics before init is a boot failure naming the panic, after one retry', async () => {
  const { r } = await withFakeQemu('echo "[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 0', 30);
  assert.equal(r.status, 'boot-failed');
  assert.equal(r.attempts, 2);
  assert.match(r.message!, /never ran test\/lab\/guest\/init.sh \(Kernel panic - not syncing: VFS: Unable to mount root fs\)/);
  assert.match(r.message!, /second attempt/);
});

test('the guest gets its configuration, and the QEMU command line is kept for reproducing by hand', async () => {
  // The stand-in prints the results share's guest.env the way the guest would read it.
  const { r } = await withFakeQemu(
    'for a in "$@"; do case $a in local,id=results,path=*) p=${a#local,id=results,path=}; p=${p%%,security_model=none}; cat "$p/guest.env";; esac; done; exit 0',
    30,
  );
  assert.match(r.qemu.consoleTail, /^REPO='.+'$/m);
  assert.match(r.qemu.consoleTail, /^LEN='1048576'$/m);
  assert.match(r.qemu.consoleTail, /^ORACLE='\/nonexistent\/oracle'$/m);
  assert.equal(r.driveFingerprints.a?.length, 16);
  assert.ok(r.qemu.argv.includes('-kernel'));
});

test('missing QEMU or kernel: a reason that says what to do', () => {
  const q = findQemu({ P2P_LAB_QEMU: '/nonexistent/qemu-system-x86_64' });
  assert.equal(q.ok, false);
  assert.match((q as { reason: string }).reason, /not runnable .*apt-get install -y qemu-system-x86/);
  const k = findKernel('/nonexistent-checkout', { P2P_LAB_KERNEL: '/nonexistent/bzImage' });
  assert.equal(k.ok, false);
  assert.match((k as { reason: string }).reason, /P2P_LAB_KERNEL=\/nonexistent\/bzImage is not a readable file/);
  const none = findKernel('/nonexistent-checkout', {});
  assert.equal(none.ok, false);
  assert.match((none as { reason: string }).reason, /build it with scripts\/build-lab-kernel.sh/);
});
