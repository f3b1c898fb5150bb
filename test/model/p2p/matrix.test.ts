// Which endpoints the matrix shows, their labels, and the pair list.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMatrix, labelDevices, selectEndpoints } from '../../../src/model/p2p/matrix.js';
import { makeFabric } from '../../helpers/p2p-fabric.js';

const fabric = () => makeFabric([
  { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '2020' },
  { bdf: '0000:00:01.0', kind: 'root-port', acs: [] },
  { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu', alias: 'gpu0' },
  { bdf: '0000:01:00.1', parent: '0000:00:01.0', kind: 'endpoint' },
  { bdf: '0000:00:02.0', kind: 'root-port', acs: [] },
  { bdf: '0000:02:00.0', parent: '0000:00:02.0', kind: 'nvme', names: ['nvme0'] },
  { bdf: '0000:02:00.1', parent: '0000:00:02.0', kind: 'endpoint', p2pmem: { size: 1 << 20, published: true } },
  { bdf: '0000:00:03.0', kind: 'root-port', acs: [] },
  { bdf: '0000:03:00.0', parent: '0000:00:03.0', kind: 'nic' },
  { bdf: '0000:03:00.1', parent: '0000:00:03.0', kind: 'storage' },
  { bdf: '0000:00:1f.0', kind: 'endpoint' },
]);

describe('selectEndpoints', () => {
  it('default: GPUs, accelerators, NVMe, NICs and any p2pmem provider, grouped by kind', () => {
    assert.deepEqual(selectEndpoints(fabric()).map((d) => d.bdf), ['0000:01:00.0', '0000:02:00.0', '0000:03:00.0', '0000:02:00.1']);
  });
  it('--class narrows; --all takes every endpoint but never bridges', () => {
    assert.deepEqual(selectEndpoints(fabric(), { classes: ['nvme', 'nic'] }).map((d) => d.bdf), ['0000:02:00.0', '0000:03:00.0']);
    const all = selectEndpoints(fabric(), { all: true });
    assert.equal(all.length, 7);
    assert.ok(all.every((d) => !['root-port', 'host-bridge'].includes(d.kind)));
  });
  it('labels: alias, then kernel name, then kind + index', () => {
    const f = fabric();
    const labels = labelDevices(selectEndpoints(f, { all: true }));
    assert.equal(labels.get('0000:01:00.0'), 'gpu0');
    assert.equal(labels.get('0000:02:00.0'), 'nvme0');
    assert.equal(labels.get('0000:03:00.0'), 'NIC0');
    assert.equal(labels.get('0000:03:00.1'), 'STORAGE0');
    assert.equal(labels.get('0000:00:1f.0'), 'DEV0');
    assert.equal(labels.get('0000:01:00.1'), 'DEV1');
    assert.equal(new Set(labels.values()).size, labels.size);
  });
  it('buildMatrix: n x n ordered pairs, self pairs X', () => {
    const f = fabric();
    const devs = selectEndpoints(f);
    const r = buildMatrix(f, devs);
    assert.equal(r.pairs.length, devs.length ** 2);
    for (const p of r.pairs) if (p.client === p.provider) assert.equal(p.legend, 'X');
    const gpuNvme = r.pairs.find((p) => p.client === '0000:01:00.0' && p.provider === '0000:02:00.0')!;
    assert.equal(gpuNvme.legend, 'PHB');
    assert.equal(gpuNvme.p2pdma.mapType, 'THRU_HOST_BRIDGE', 'Skylake-E 8086:2020 is allow-listed');
    assert.equal(r.devices.find((d) => d.bdf === '0000:02:00.1')!.p2pmem!.size, 1 << 20);
  });
});
