// The runner's failure paths, with stand-in QEMUs (shell scripts): a guest that hangs, a QEMU that
// refuses its arguments, a kernel that panics, a missing QEMU or kernel. Every one ends in seconds
// with a clear message; none of them boots anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKernel, findQemu, fragmentKey, FRAGMENT_FILE, KERNEL_FILE, kernelCacheDir, repoRoot } from './kernel.js';
import { runFabric } from './runner.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';
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
  const notCheckout = findKernel('/nonexistent-checkout', {});
  assert.equal(notCheckout.ok, false);
  assert.match((notCheckout as { reason: string }).reason, /not a p2p checkout/);
  const { checkout, env } = fakeCheckout();
  const none = findKernel(checkout, env);
  assert.equal(none.ok, false);
  assert.match((none as { reason: string }).reason, /build it with scripts\/build-lab-kernel.sh --install-deps/);
});

/** A checkout with only the lab's fragment, beside a ../shared/lab, and an empty cache home. */
function fakeCheckout(fragment = 'CONFIG_PCI_P2PDMA=y\n') {
  const top = tempDirRemovedAtExit('p2p-kernel-find-');
  const checkout = join(top, 'p2p');
  mkdirSync(join(checkout, 'test', 'lab'), { recursive: true });
  writeFileSync(join(checkout, 'test', 'lab', FRAGMENT_FILE), fragment);
  mkdirSync(join(top, 'shared', 'lab'), { recursive: true });
  const env = { HOME: join(top, 'home'), XDG_CACHE_HOME: join(top, 'cache') };
  return { top, checkout, env };
}

test('the kernel is found in the cache under the fragment\'s hash, shared by every clone', () => {
  const { top, checkout, env } = fakeCheckout();
  const dir = kernelCacheDir(checkout, env);
  assert.equal(dir, join(top, 'cache', 'p2p', 'lab', fragmentKey(join(checkout, 'test', 'lab', FRAGMENT_FILE))));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, KERNEL_FILE), 'kernel');
  const k = findKernel(checkout, env);
  assert.deepEqual(k.ok && k.path, join(dir, KERNEL_FILE));
  // Another fragment is another key: the old image is not used for it.
  writeFileSync(join(checkout, 'test', 'lab', FRAGMENT_FILE), 'CONFIG_PCI_P2PDMA=y\nCONFIG_UDMABUF=y\n');
  assert.equal(findKernel(checkout, env).ok, false);
});

test('../shared/lab is used only when its fragment hashes as test/lab\'s does', () => {
  const { top, checkout, env } = fakeCheckout();
  writeFileSync(join(top, 'shared', 'lab', KERNEL_FILE), 'kernel');
  writeFileSync(join(top, 'shared', 'lab', FRAGMENT_FILE), 'CONFIG_PCI_P2PDMA=n\n');
  assert.equal(findKernel(checkout, env).ok, false);
  writeFileSync(join(top, 'shared', 'lab', FRAGMENT_FILE), 'CONFIG_PCI_P2PDMA=y\n');
  const k = findKernel(checkout, env);
  assert.ok(k.ok && k.path === join(top, 'shared', 'lab', KERNEL_FILE) && /same fragment hash/.test(k.how));
});

// Only beside the workshop's ../shared/lab (a fresh clone has none, and needs none): the copy in test/lab must not drift from it.
const sharedFragment = join(repoRoot(), '..', 'shared', 'lab', FRAGMENT_FILE);
if (existsSync(sharedFragment)) {
  test('test/lab\'s kernel fragment is the workshop\'s v2 fragment, byte for byte', () => {
    assert.equal(readFileSync(join(repoRoot(), 'test', 'lab', FRAGMENT_FILE), 'utf8'), readFileSync(sharedFragment, 'utf8'));
  });
}
