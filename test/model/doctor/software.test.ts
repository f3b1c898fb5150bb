// Drivers, NVIDIA modules, cuFile, io_uring, O_DIRECT and privileges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import { parseJsonWithComments } from '../../../src/model/doctor/checks-sw.js';
import type { EnvFacts, Finding } from '../../../src/model/doctor/types.js';
import type { Fabric } from '../../../src/model/types.js';
import { INTEL_HOST, labFabric, makeFabric } from '../../helpers/p2p-fabric.js';
import { input, known, patch, unknown } from '../../helpers/doctor-fixtures.js';

function run(id: string, fabric: Fabric, env: Partial<EnvFacts> = {}): Finding {
  return runDoctorChecks(input(fabric, env), { only: [id] }).findings[0];
}

function gpuBox(over: { gpuDriver?: string | null; kernel?: string; p2pdma?: boolean } = {}): Fabric {
  const f = makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port' },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu', vendorId: '10de', names: ['gpu0'] },
    { bdf: '0000:00:02.0', kind: 'root-port' },
    { bdf: '0000:02:00.0', parent: '0000:00:02.0', kind: 'nic', vendorId: '15b3', names: ['mlx5_0'] },
    { bdf: '0000:00:03.0', kind: 'root-port' },
    { bdf: '0000:03:00.0', parent: '0000:00:03.0', kind: 'nvme', names: ['nvme0'] },
  ], { ...INTEL_HOST, kernelRelease: over.kernel ?? '6.12.1', kernelConfig: new Map([['CONFIG_PCI_P2PDMA', over.p2pdma === false ? 'n' : 'y']]) });
  patch(f, '0000:01:00.0', { driver: over.gpuDriver === undefined ? 'nvidia' : over.gpuDriver });
  patch(f, '0000:02:00.0', { driver: 'mlx5_core' });
  patch(f, '0000:03:00.0', { driver: 'nvme' });
  f.source = { method: 'sysfs', location: 'fixture', live: false };
  return f;
}

test('driver.bound: all bound ok, an unbound GPU warns, dump skips', () => {
  assert.equal(run('driver.bound', gpuBox()).status, 'ok');
  const w = run('driver.bound', gpuBox({ gpuDriver: null }));
  assert.equal(w.status, 'warn');
  assert.deepEqual(w.devices, ['0000:01:00.0']);
  const d = gpuBox();
  d.source = { method: 'dump', location: 'x', live: false };
  assert.equal(run('driver.bound', d).status, 'skip');
});

test('driver.nvidia: all modules ok, missing nvidia_peermem/nvidia_fs warn, no nvidia or nouveau fails, unknown skips', () => {
  const mods = (m: string[]) => ({ modules: known(m, 'proc/modules') });
  assert.equal(run('driver.nvidia', gpuBox(), mods(['nvidia', 'nvidia_uvm', 'nvidia_peermem', 'nvidia_fs'])).status, 'ok');
  const w = run('driver.nvidia', gpuBox(), mods(['nvidia', 'nvidia_fs']));
  assert.equal(w.status, 'warn');
  assert.match(w.evidence.join('\n'), /nvidia_peermem not loaded/);
  assert.equal(run('driver.nvidia', gpuBox(), mods(['nvidia', 'nvidia_peermem'])).status, 'warn');
  assert.equal(run('driver.nvidia', gpuBox(), mods(['mlx5_core'])).status, 'fail');
  assert.equal(run('driver.nvidia', gpuBox({ gpuDriver: 'nouveau' }), mods(['nouveau', 'nvidia'])).status, 'fail');
  assert.equal(run('driver.nvidia', gpuBox(), { modules: unknown('no proc/modules') }).status, 'skip');
  assert.equal(run('driver.nvidia', labFabric(), mods([])).status, 'skip');
});

test('cufile.json parsing tolerates comments and trailing commas, not other garbage', () => {
  assert.deepEqual(parseJsonWithComments('{ // c\n "a": "http://x", /* b */ "b": [1,2,], }'), { a: 'http://x', b: [1, 2] });
  assert.throws(() => parseJsonWithComments('{ a: 1 }'));
});

test('sw.cufile: direct path ok; compat fallback warns; allow_compat_mode=false without a path fails; broken JSON fails; absent skips', () => {
  const cf = (text: string) => ({ cufile: known({ path: '/etc/cufile.json', text }, '/etc/cufile.json') });
  const nvfs = { modules: known(['nvidia', 'nvidia_fs'], 'proc/modules') };
  const none = { modules: known(['nvidia'], 'proc/modules') };
  assert.equal(run('sw.cufile', gpuBox(), { ...cf('{"properties": {"allow_compat_mode": true}}'), ...nvfs }).status, 'ok');
  assert.equal(run('sw.cufile', gpuBox(), { ...cf('{"properties": {"use_pci_p2pdma": true}}'), ...none }).status, 'ok');
  const old = run('sw.cufile', gpuBox({ kernel: '5.15.0' }), { ...cf('{"properties": {"use_pci_p2pdma": true}}'), ...none });
  assert.equal(old.status, 'warn', 'use_pci_p2pdma on a 5.15 kernel is no direct path');
  const compat = run('sw.cufile', gpuBox(), { ...cf('// GDS\n{"properties": {"allow_compat_mode": true}}'), ...none });
  assert.equal(compat.status, 'warn');
  assert.match(compat.evidence.join('\n'), /compatibility mode/);
  assert.equal(run('sw.cufile', gpuBox({ p2pdma: false }), { ...cf('{"properties": {"allow_compat_mode": false, "use_pci_p2pdma": true}}'), ...none }).status, 'fail');
  assert.equal(run('sw.cufile', gpuBox(), { ...cf('{"properties": {"force_compat_mode": true}}'), ...nvfs }).status, 'fail');
  const broken = run('sw.cufile', gpuBox(), { ...cf('{"properties": '), ...nvfs });
  assert.equal(broken.status, 'fail');
  assert.match(broken.evidence[0], /not valid JSON/);
  assert.equal(run('sw.cufile', gpuBox(), { cufile: known(null, '/etc/cufile.json'), ...nvfs }).status, 'skip');
  assert.equal(run('sw.cufile', gpuBox(), { cufile: unknown('no etc/') }).status, 'skip');
});

test('sw.io-uring: 0 ok, 1 warns, 2 fails, CONFIG_IO_URING=n fails, a real probe decides on the live machine, unknown skips', () => {
  const f = labFabric();
  const sysctl = (v: number | null) => ({ ioUringDisabled: known(v, 'proc/sys/kernel/io_uring_disabled') });
  assert.equal(run('sw.io-uring', f, sysctl(0)).status, 'ok');
  assert.equal(run('sw.io-uring', f, sysctl(1)).status, 'warn');
  assert.equal(run('sw.io-uring', f, sysctl(2)).status, 'fail');
  assert.equal(run('sw.io-uring', f, sysctl(null)).status, 'skip', 'no sysctl and no config: unknown');
  f.host.kernelConfig = new Map([['CONFIG_IO_URING', 'y']]);
  assert.equal(run('sw.io-uring', f, sysctl(null)).status, 'ok');
  f.host.kernelConfig = new Map([['CONFIG_IO_URING', 'n']]);
  assert.equal(run('sw.io-uring', f, sysctl(null)).status, 'fail');
  assert.equal(run('sw.io-uring', f, { ioUringProbe: known({ available: true }, 'io_uring_setup') }).status, 'ok');
  const p = run('sw.io-uring', f, { ioUringProbe: known({ available: false, reason: 'EPERM (seccomp)' }, 'io_uring_setup') });
  assert.equal(p.status, 'fail');
  assert.match(p.evidence[0], /seccomp/);
  f.host.kernelConfig = null;
  assert.equal(run('sw.io-uring', f, { ioUringDisabled: unknown('dump') }).status, 'skip');
});

test('sw.odirect: opens ok, EINVAL fails with the filesystem, no --file skips', () => {
  const f = labFabric();
  assert.equal(run('sw.odirect', f, { odirect: known({ path: '/data/x', ok: true, fsType: 'xfs', mountPoint: '/data' }, 'open') }).status, 'ok');
  const bad = run('sw.odirect', f, { odirect: known({ path: '/dev/shm/x', ok: false, error: 'EINVAL: invalid argument', fsType: 'tmpfs', mountPoint: '/dev/shm' }, 'open') });
  assert.equal(bad.status, 'fail');
  assert.match(bad.evidence[0], /tmpfs on \/dev\/shm.*EINVAL/);
  assert.equal(run('sw.odirect', f, { odirect: unknown('no bench file given') }).status, 'skip');
});

test('priv.config-space: full config ok; 64-byte reads warn and say what root adds; dumps say how to capture', () => {
  assert.equal(run('priv.config-space', labFabric()).status, 'ok');
  const nonRoot = labFabric({ configBytes: 64, host: { ...INTEL_HOST, isRoot: false } });
  nonRoot.source = { method: 'sysfs', location: '/', live: true };
  const w = run('priv.config-space', nonRoot);
  assert.equal(w.status, 'warn');
  assert.match(w.evidence.join('\n'), /only 64 bytes/);
  assert.match(w.evidence.join('\n'), /acs\.redirect/);
  assert.match(w.fix!.join('\n'), /sudo p2p doctor/);
  const dump = labFabric({ configBytes: 64 });
  dump.source = { method: 'dump', location: 'x.txt', live: false };
  assert.match(run('priv.config-space', dump).fix!.join('\n'), /lspci -xxxx/);
});

test('selection, exit codes and ids', async () => {
  const { CHECKS, CHECK_IDS, unknownSelectors, selectChecks, exitCodeOf } = await import('../../../src/model/doctor/index.js');
  assert.equal(new Set(CHECK_IDS).size, CHECKS.length, 'ids are unique');
  for (const c of CHECKS) assert.match(c.id, /^[a-z0-9]+\.[a-z0-9-]+$/);
  assert.deepEqual(unknownSelectors(['link', 'acs.redirect', 'nope']), ['nope']);
  assert.deepEqual(selectChecks({ only: ['link'], skip: ['link.aer'] }).map((c) => c.id), ['link.speed', 'link.mps', 'link.mrrs', 'link.relaxed-ordering']);
  const f = (status: Finding['status']): Finding => ({ id: 'x.y', group: 'kernel', title: '', status, evidence: [], devices: [] });
  assert.equal(exitCodeOf([f('ok'), f('skip')]), 0);
  assert.equal(exitCodeOf([f('ok'), f('warn')]), 1);
  assert.equal(exitCodeOf([f('warn'), f('fail')]), 2);
  const r = runDoctorChecks(input(labFabric()));
  assert.equal(r.findings.length, CHECKS.length);
  assert.equal(r.summary.ok + r.summary.warn + r.summary.fail + r.summary.skip, CHECKS.length);
});

test('with nothing known (64-byte dump, no host facts, no env), no check claims ok about what it could not see', () => {
  const f = labFabric({ configBytes: 64, host: { kernelRelease: null } });
  for (const d of f.devices) {
    d.link = null;
    d.mps = null;
    d.p2pmem = null;
  }
  f.source = { method: 'dump', location: 'x', live: false };
  const r = runDoctorChecks(input(f));
  const oks = r.findings.filter((x) => x.status === 'ok').map((x) => x.id);
  assert.deepEqual(oks, [], `claimed ok: ${oks.join(', ')}`);
});
