// Source and destination resolution: NVMe names, fabric devices, and every reason the direct path is impossible.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bdfFromSysfsPath, kernelVersion, namespacesOf, planDestination, resolveSourceSpec, SourceError, sourceFromDevice,
  type DestinationFacts, type DeviceFacts,
} from '../../src/bench/resolve.js';

const tree: Record<string, string[]> = {
  '/r/sys/class/nvme/nvme0': ['device', 'nvme0n1', 'nvme0n2', 'subsysnqn'],
  '/r/sys/class/nvme/nvme1': ['nvme1c1n1', 'device'],
  '/r/sys/class/nvme/nvme2': ['device'],
};
const list = (d: string) => tree[d] ?? [];
const env = { root: '/r', devDir: '/dev', list, exists: (p: string) => p === 'local.bin' };

describe('resolveSourceSpec', () => {
  it('paths, namespaces and controllers', () => {
    assert.deepEqual(resolveSourceSpec('/data/x', env), { kind: 'path', path: '/data/x' });
    assert.deepEqual(resolveSourceSpec('./x', env), { kind: 'path', path: './x' });
    assert.deepEqual(resolveSourceSpec('local.bin', env), { kind: 'path', path: 'local.bin' });
    assert.deepEqual(resolveSourceSpec('nvme3n1', env), { kind: 'path', path: '/dev/nvme3n1' });
    assert.deepEqual(resolveSourceSpec('nvme0', env), { kind: 'path', path: '/dev/nvme0n1' });
    assert.deepEqual(resolveSourceSpec('nvme1', env), { kind: 'path', path: '/dev/nvme1n1' });
    assert.deepEqual(resolveSourceSpec('ssd0', env), { kind: 'needs-fabric' });
    assert.throws(() => resolveSourceSpec('nvme2', env), SourceError);
  });
  it('namespacesOf sorts numerically and maps multipath names to the head', () => {
    tree['/r/sys/class/nvme/nvme5'] = ['nvme5n10', 'nvme5n2'];
    assert.deepEqual(namespacesOf('nvme5', '/r', list), ['nvme5n2', 'nvme5n10']);
    assert.deepEqual(namespacesOf('nvme1', '/r', list), ['nvme1n1']);
  });
  it('sourceFromDevice uses kernel names', () => {
    const d: DeviceFacts = { bdf: '0000:03:00.0', alias: 'nvme0', names: ['nvme0'], kind: 'nvme', vendorId: '144d', p2pmem: null };
    assert.equal(sourceFromDevice(d, env), '/dev/nvme0n1');
    assert.equal(sourceFromDevice({ ...d, names: ['nvme0', 'nvme0n2'] }, env), '/dev/nvme0n2');
    assert.throws(() => sourceFromDevice({ ...d, alias: 'gpu0', names: [], kind: 'gpu' }, env), /gpu0 is not an NVMe controller/);
  });
  it('bdfFromSysfsPath takes the last BDF', () => {
    assert.equal(bdfFromSysfsPath('/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:00.0/nvme/nvme0/nvme0n1'), '0000:02:00.0');
    assert.equal(bdfFromSysfsPath('/sys/devices/virtual/block/loop0'), null);
  });
  it('kernelVersion', () => {
    assert.deepEqual(kernelVersion('6.12.117-amd64'), [6, 12]);
    assert.equal(kernelVersion(null), null);
  });
});

const nvmeProvider: DeviceFacts = {
  bdf: '0000:04:00.0', alias: 'nvme1', names: ['nvme1', 'nvme1n1'], kind: 'nvme', vendorId: '1b36',
  p2pmem: { size: 67108864, available: 67108864, published: true },
};
const base: DestinationFacts = {
  spec: 'nvme1', device: nvmeProvider, root: '/', kernelRelease: '6.12.117', kernelP2pdma: true,
  allocateExists: true, cufile: null, pairVerdict: { mapType: 'BUS_ADDR', verdict: 'BUS_ADDR', reason: null },
};

describe('planDestination', () => {
  it('host', () => {
    const p = planDestination({ ...base, spec: 'host', device: null });
    assert.deepEqual(p.direct, { kind: 'host' });
    assert.equal(p.directReason, null);
  });
  it('a published p2pmem provider: direct and bounce into the mapping', () => {
    const p = planDestination(base);
    assert.deepEqual(p.direct, { kind: 'p2pmem', allocatePath: '/sys/bus/pci/devices/0000:04:00.0/p2pmem/allocate' });
    assert.deepEqual(p.bounce, p.direct);
    assert.equal(p.p2pmemAvailable, 67108864);
  });
  it('NOT_SUPPORTED for the pair: direct impossible with the reason, bounce still into p2pmem', () => {
    const p = planDestination({ ...base, pairVerdict: { mapType: 'NOT_SUPPORTED', verdict: 'NOT_SUPPORTED', reason: 'no common upstream bridge and host bridge 8086:29c0 not allow-listed' } });
    assert.equal(p.direct, null);
    assert.match(p.directReason ?? '', /^verdict NOT_SUPPORTED for this pair: no common upstream bridge/);
    assert.equal(p.bounce.kind, 'p2pmem');
  });
  it('kernel too old / without P2PDMA / allocate missing / unpublished', () => {
    assert.match(planDestination({ ...base, kernelRelease: '6.1.0-28-amd64' }).directReason ?? '', /kernel 6\.1\.0-28-amd64 is older than 6\.2/);
    assert.match(planDestination({ ...base, kernelP2pdma: false }).directReason ?? '', /without CONFIG_PCI_P2PDMA/);
    const noAlloc = planDestination({ ...base, allocateExists: false });
    assert.match(noAlloc.directReason ?? '', /allocate is missing/);
    assert.deepEqual(noAlloc.bounce, { kind: 'host' });
    assert.ok(noAlloc.bounceNote);
    assert.match(planDestination({ ...base, device: { ...nvmeProvider, p2pmem: { size: 1, available: 1, published: false } } }).directReason ?? '', /does not publish it/);
  });
  it('a device without p2pmem', () => {
    const p = planDestination({ ...base, device: { ...nvmeProvider, p2pmem: null } });
    assert.equal(p.direct, null);
    assert.match(p.directReason ?? '', /nvme1 publishes no p2pmem/);
    assert.deepEqual(p.bounce, { kind: 'host' });
  });
  const gpu: DeviceFacts = { bdf: '0000:65:00.0', alias: 'gpu0', names: ['card1'], kind: 'gpu', vendorId: '10de', p2pmem: null };
  it('an NVIDIA GPU without cuFile: direct impossible, says why', () => {
    const p = planDestination({ ...base, device: gpu, cufile: { available: false, stage: 'dlopen-cufile', reason: 'libcufile.so.0: cannot open shared object file' } });
    assert.equal(p.direct, null);
    assert.match(p.directReason ?? '', /^no cuFile \(GPUDirect Storage\): libcufile\.so\.0: cannot open/);
    assert.deepEqual(p.bounce, { kind: 'host' });
  });
  it('an NVIDIA GPU with cuFile: direct through cuFile at the matching CUDA ordinal', () => {
    const p = planDestination({ ...base, device: gpu, cufile: { available: true, devicePciIds: ['0000:17:00.0', '0000:65:00.0'] } });
    assert.deepEqual(p.direct, { kind: 'cufile', gpuOrdinal: 1 });
    assert.deepEqual(p.bounce, { kind: 'cufile', gpuOrdinal: 1 });
  });
  it('a non-NVIDIA GPU without p2pmem', () => {
    const p = planDestination({ ...base, device: { ...gpu, vendorId: '1002' } });
    assert.match(p.directReason ?? '', /not an NVIDIA GPU/);
  });
});
