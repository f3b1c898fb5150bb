// Memory, BAR and NUMA checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorChecks } from '../../../src/model/doctor/index.js';
import { parseSizeLabel } from '../../../src/model/doctor/checks-mem.js';
import type { Finding } from '../../../src/model/doctor/types.js';
import type { Bar, Fabric } from '../../../src/model/types.js';
import { ConfigSpace } from '../../../src/model/config-space.js';
import { walkCapabilities } from '../../../src/model/caps/walk.js';
import { INTEL_HOST, labFabric, makeFabric, makeHost } from '../../helpers/p2p-fabric.js';
import { configBytes, input, patch } from '../../helpers/doctor-fixtures.js';

function run(id: string, fabric: Fabric): Finding {
  return runDoctorChecks(input(fabric), { only: [id] }).findings[0];
}

const GiB = 1n << 30n;
const MiB = 1n << 20n;
const bar = (index: number, start: bigint, size: bigint): Bar => ({ index, start, size, kind: 'mem', is64: true, prefetchable: true });

test('mem.p2pmem: available provider ok, exhausted warns, none ok (a fact), dump skips', () => {
  const f = labFabric();
  patch(f, '0000:03:00.0', { p2pmem: { size: 1 << 26, available: 1 << 26, published: true } });
  const ok = run('mem.p2pmem', f);
  assert.equal(ok.status, 'ok');
  assert.match(ok.evidence[0], /nvme0.*size 64 MiB, available 64 MiB, published yes/);
  patch(f, '0000:03:00.0', { p2pmem: { size: 1 << 26, available: 0, published: true } });
  assert.equal(run('mem.p2pmem', f).status, 'warn');
  const none = labFabric();
  for (const d of none.devices) d.p2pmem = null;
  assert.equal(run('mem.p2pmem', none).status, 'ok');
  none.source = { method: 'dump', location: 'x', live: false };
  assert.equal(run('mem.p2pmem', none).status, 'skip');
});

test('mem.nvme-cmb: published ok, unpublished warns (WDS/RDS), no NVMe skips', () => {
  const f = labFabric();
  assert.equal(run('mem.nvme-cmb', f).status, 'ok');
  patch(f, '0000:03:00.0', { p2pmem: { size: 1 << 26, available: 1 << 26, published: false } });
  const w = run('mem.nvme-cmb', f);
  assert.equal(w.status, 'warn');
  assert.match(w.evidence.join('\n'), /WDS/);
  assert.deepEqual(w.devices, ['0000:03:00.0']);
  assert.equal(run('mem.nvme-cmb', makeFabric([{ bdf: '0000:00:01.0', kind: 'gpu' }])).status, 'skip');
});

function gpuFabric(): Fabric {
  return makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port' },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu', vendorId: '10de', names: ['gpu0'] },
  ]);
}

test('parseSizeLabel', () => {
  assert.equal(parseSizeLabel('256MB'), 256n * MiB);
  assert.equal(parseSizeLabel('32GB'), 32n * GiB);
  assert.equal(parseSizeLabel('bogus'), null);
});

test('mem.gpu-bar: big BAR1 ok; 256 MiB BAR1 warns; ReBAR below its maximum warns; no BARs skips; no GPU skips', () => {
  const big = gpuFabric();
  patch(big, '0000:01:00.0', { bars: [bar(0, 0xfa000000n, 16n * MiB), bar(1, 0x38000000000n, 32n * GiB)] });
  assert.equal(run('mem.gpu-bar', big).status, 'ok');
  const small = gpuFabric();
  patch(small, '0000:01:00.0', { bars: [bar(0, 0xfa000000n, 16n * MiB), bar(1, 0xe0000000n, 256n * MiB)] });
  const w = run('mem.gpu-bar', small);
  assert.equal(w.status, 'warn');
  assert.match(w.evidence[0], /BAR1 of 256 MiB/);
  assert.match(w.fix!.join('\n'), /Above 4G Decoding/);
  const rebar = gpuFabric();
  const cfg = new ConfigSpace(configBytes({ vendor: 0x10de, device: 0x2684, classCode: 0x030000, express: { type: 'endpoint' }, rebar: { bar: 1, sizesLog2Mb: [8, 9, 10, 11, 12, 13, 14, 15], currentLog2Mb: 8 } }));
  patch(rebar, '0000:01:00.0', {
    config: cfg,
    capabilities: walkCapabilities(cfg),
    bars: [bar(1, 0x38000000000n, 256n * MiB)],
  });
  const r = run('mem.gpu-bar', rebar);
  assert.equal(r.status, 'warn');
  assert.match(r.evidence[0], /Resizable BAR BAR1 256 MiB of up to 32 GiB/);
  assert.equal(run('mem.gpu-bar', gpuFabric()).status, 'skip');
  assert.equal(run('mem.gpu-bar', labFabric()).status, 'skip');
});

test('mem.bar-placement: large BAR above 4 GiB ok, below warns, unknown skips', () => {
  const hi = gpuFabric();
  patch(hi, '0000:01:00.0', { bars: [bar(1, 0x38000000000n, 32n * GiB)] });
  assert.equal(run('mem.bar-placement', hi).status, 'ok');
  const lo = gpuFabric();
  patch(lo, '0000:01:00.0', { bars: [bar(1, 0xd0000000n, 256n * MiB)] });
  const w = run('mem.bar-placement', lo);
  assert.equal(w.status, 'warn');
  assert.match(w.evidence[0], /below 4 GiB/);
  assert.equal(run('mem.bar-placement', gpuFabric()).status, 'skip');
});

function twoNode(nodes: { gpu: number; nic: number; nvme: number }, numaNodes: number[] | null = [0, 1]): Fabric {
  return makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port', numaNode: 0 },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu', vendorId: '10de', numaNode: nodes.gpu, names: ['gpu0'] },
    { bdf: '0000:80:01.0', kind: 'root-port', numaNode: 1 },
    { bdf: '0000:81:00.0', parent: '0000:80:01.0', kind: 'nic', numaNode: nodes.nic, names: ['mlx5_0'] },
    { bdf: '0000:82:00.0', parent: '0000:80:01.0', kind: 'nvme', numaNode: nodes.nvme, names: ['nvme0'] },
  ], { ...INTEL_HOST, numaNodes });
}

test('numa.unknown: one node ok, all placed ok, -1 on a two-socket machine warns, unknown layout skips', () => {
  assert.equal(run('numa.unknown', labFabric()).status, 'ok');
  assert.equal(run('numa.unknown', twoNode({ gpu: 0, nic: 1, nvme: 1 })).status, 'ok');
  const w = run('numa.unknown', twoNode({ gpu: -1, nic: 1, nvme: 1 }));
  assert.equal(w.status, 'warn');
  assert.deepEqual(w.devices, ['0000:01:00.0']);
  assert.match(w.fix!.join('\n'), /numa_node/);
  const f = twoNode({ gpu: 0, nic: 1, nvme: 1 }, null);
  assert.equal(run('numa.unknown', f).status, 'skip');
});

test('numa.pairs: GPU with a local NIC and NVMe ok; GPU alone on its node warns; unknown skips', () => {
  assert.equal(run('numa.pairs', twoNode({ gpu: 1, nic: 1, nvme: 1 })).status, 'ok');
  const w = run('numa.pairs', twoNode({ gpu: 0, nic: 1, nvme: 1 }));
  assert.equal(w.status, 'warn');
  assert.match(w.evidence.join('\n'), /gpu0.*node 0.*no NIC on its node/);
  assert.ok(w.devices.includes('0000:01:00.0'));
  const f = twoNode({ gpu: 0, nic: 1, nvme: 1 });
  f.host = makeHost({ ...INTEL_HOST, numaNodes: null });
  assert.equal(run('numa.pairs', f).status, 'skip');
});
