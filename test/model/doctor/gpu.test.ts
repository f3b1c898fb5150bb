// The GPU side of `p2p doctor`: the facts read from fixture trees (nvidia version banner, taint,
// registry dwords, kallsyms, nvme multipath) and the checks built on them (GDS mode, BAR1, gdscheck).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatherGpuFacts, parseNvidiaVersion, registryDword } from '../../../src/access/gpu-facts.js';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import { decideGdsMode } from '../../../src/model/doctor/checks-gpu.js';
import { known, type EnvFacts, type Finding, type GpuEnvFacts } from '../../../src/model/doctor/types.js';
import type { Fabric } from '../../../src/model/types.js';
import { INTEL_HOST, makeFabric } from '../../helpers/p2p-fabric.js';
import { input, patch, tmpDir } from '../../helpers/doctor-fixtures.js';

const OPEN = 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 2025\nGCC version:  gcc version 12.2.0\n';
const PROP = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n';

const dirs: string[] = [];
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });
function tree(files: Record<string, string>): string {
  const root = tmpDir('p2p-gpu-facts-');
  dirs.push(root);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return root;
}
const facts = (files: Record<string, string>, gpuMemory?: () => Map<string, number>) =>
  gatherGpuFacts({ root: tree(files), live: false, rel: (p) => p, gpuMemory });

const P2PDMA_TREE = {
  'proc/driver/nvidia/version': OPEN,
  'proc/driver/nvidia/params': 'ResmanDebugLevel: 4294967295\nRegistryDwords: "RMForceStaticBar1=1;RmFoo=2"\n',
  'proc/kallsyms': 'ffffffff81000000 T _stext\n0000000000000000 d p2pdma_pgmap_ops\n',
  'sys/module/nvme_core/parameters/multipath': 'N\n',
};
const CUFILE_P2P = '{ // NVIDIA sample\n "properties": { "use_pci_p2pdma": true, "allow_compat_mode": true, } }';

function gpuBox(mib = 80 * 1024): Fabric {
  const f = makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port' },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu', vendorId: '10de', names: ['gpu0'] },
    { bdf: '0000:00:03.0', kind: 'root-port' },
    { bdf: '0000:03:00.0', parent: '0000:00:03.0', kind: 'nvme', names: ['nvme0'] },
  ], { ...INTEL_HOST, kernelRelease: '6.12.1', iommuEnabled: false });
  patch(f, '0000:01:00.0', { driver: 'nvidia', bars: [{ index: 1, start: 0x380000000000n, size: BigInt(mib) << 20n, kind: 'mem', is64: true, prefetchable: true }] });
  f.source = { method: 'sysfs', location: 'fixture', live: false };
  return f;
}
function run(id: string, f: Fabric, env: Partial<EnvFacts>): Finding {
  return runDoctorChecks(input(f, env), { only: [id] }).findings[0];
}
const envWith = (gpu: GpuEnvFacts, modules: string[], cufile: string | null): Partial<EnvFacts> => ({
  gpu, modules: known(modules, 'proc/modules'), cufile: known(cufile === null ? null : { path: '/etc/cufile.json', text: cufile }, 'etc/cufile.json'),
});

describe('GPU facts from fixture trees', () => {
  it('open vs proprietary, version, registry dwords, kallsyms, multipath', () => {
    assert.deepEqual(parseNvidiaVersion(OPEN), { version: '570.86.15', open: true });
    assert.deepEqual(parseNvidiaVersion(PROP), { version: '550.54.14', open: false });
    assert.equal(registryDword('RegistryDwords: "RMForceStaticBar1=1;RmFoo=2"', 'RMForceStaticBar1'), '1');
    assert.equal(registryDword('RegistryDwords: ""', 'RMForceStaticBar1'), null);
    const g = facts(P2PDMA_TREE);
    assert.deepEqual(g.nvidiaDriver.known && g.nvidiaDriver.value, { version: '570.86.15', open: true, openSource: 'proc/driver/nvidia/version' });
    assert.equal(g.p2pdmaPgmapOps.known && g.p2pdmaPgmapOps.value, true);
    assert.equal(g.staticBar1.known && g.staticBar1.value, true);
    assert.equal(g.nvmeMultipath.known && g.nvmeMultipath.value, false);
    assert.equal(g.gpuMemory.known, false);
  });
  it('the taint tells open from proprietary when there is no banner; nothing at all is unknown with the reason', () => {
    const g = facts({ 'sys/module/nvidia/version': '550.54.14\n', 'sys/module/nvidia/taint': 'PO\n' });
    assert.deepEqual(g.nvidiaDriver.known && g.nvidiaDriver.value, { version: '550.54.14', open: false, openSource: 'sys/module/nvidia/taint "PO"' });
    const none = facts({});
    assert.match(!none.nvidiaDriver.known ? none.nvidiaDriver.reason : '', /no nvidia module/);
    assert.match(!none.p2pdmaPgmapOps.known ? none.p2pdmaPgmapOps.reason : '', /kallsyms is not readable/);
  });
});

describe('gpu.* checks', () => {
  it('every P2PDMA requirement met: P2PDMA mode, ok', () => {
    const env = envWith(facts(P2PDMA_TREE), ['nvidia'], CUFILE_P2P);
    assert.equal(decideGdsMode(input(gpuBox(), env)).mode, 'p2pdma');
    const f = run('gpu.gds-mode', gpuBox(), env);
    assert.equal(f.status, 'ok');
    assert.match(f.evidence[0], /^mode: p2pdma/);
  });
  it('proprietary driver with nvidia_fs: nvidia-fs mode, naming what P2PDMA lacks', () => {
    const env = envWith(facts({ ...P2PDMA_TREE, 'proc/driver/nvidia/version': PROP }), ['nvidia', 'nvidia_fs'], CUFILE_P2P);
    const f = run('gpu.gds-mode', gpuBox(), env);
    assert.equal(f.status, 'ok');
    assert.match(f.evidence[0], /mode: nvidia-fs: nvidia_fs is loaded \(not P2PDMA mode: open GPU kernel modules, NVIDIA driver >= 565 not met\)/);
  });
  it('no nvidia_fs, multipath on, no static BAR1: compat mode, warn, each fix named', () => {
    const env = envWith(facts({ ...P2PDMA_TREE, 'sys/module/nvme_core/parameters/multipath': 'Y\n', 'proc/driver/nvidia/params': 'RegistryDwords: ""\n' }), ['nvidia'], CUFILE_P2P);
    const f = run('gpu.gds-mode', gpuBox(), env);
    assert.equal(f.status, 'warn');
    assert.match(f.evidence[0], /compat: nvidia_fs not loaded and not P2PDMA mode: NVMe native multipath off, RMForceStaticBar1=1/);
    assert.ok(f.fix!.some((x) => /nvme_core\.multipath=N/.test(x)));
    assert.ok(f.fix!.some((x) => /RMForceStaticBar1=1/.test(x)));
    const fail = run('gpu.gds-mode', gpuBox(), { ...env, cufile: known({ path: '/etc/cufile.json', text: '{"properties":{"allow_compat_mode":false}}' }, 'x') });
    assert.equal(fail.status, 'fail');
  });
  it('BAR1 against GPU memory', () => {
    const mem = () => new Map([['0000:01:00.0', 80 * 2 ** 30]]);
    assert.equal(run('gpu.bar1', gpuBox(128 * 1024), { gpu: facts(P2PDMA_TREE, mem) }).status, 'ok');
    const small = run('gpu.bar1', gpuBox(256), { gpu: gatherGpuFacts({ root: tree({}), live: true, rel: (p) => p, gpuMemory: mem }) });
    assert.equal(small.status, 'warn');
    assert.match(small.evidence[0], /BAR1 256 MiB is smaller than its 80 GiB of memory/);
  });
  it('gdscheck -p lines', () => {
    const f = run('gpu.gdscheck', gpuBox(), envWith(facts(P2PDMA_TREE), ['nvidia', 'nvidia_peermem'], CUFILE_P2P));
    assert.match(f.evidence.join('\n'), /NVMe P2PDMA\s+: Supported/);
    assert.match(f.evidence.join('\n'), /Nvidia Driver Info : 570\.86\.15 \(Nvidia Open Driver Installed\)/);
    assert.match(f.evidence.join('\n'), /nvidia_peermem\s+: loaded/);
    assert.equal(f.status, 'ok');
  });
});
