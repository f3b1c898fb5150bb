// The lab README's table (what the real 6.12 kernel did in QEMU fabrics) must come out of the rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeP2pdma } from '../../../src/model/p2p/kernel-rules.js';
import { buildMatrix, selectEndpoints } from '../../../src/model/p2p/matrix.js';
import { INTEL_HOST, IOMMU_ACS, labFabric, makeFabric } from '../../helpers/p2p-fabric.js';

const PROVIDER = '0000:03:00.0';

describe('lab table (Linux 6.12.117 in QEMU q35)', () => {
  it('client and provider under one switch, default CPU: read ok -> BUS_ADDR', () => {
    const f = labFabric();
    assert.equal(computeP2pdma(f, f.byBdf.get('0000:04:00.0')!, f.byBdf.get(PROVIDER)!).mapType, 'BUS_ADDR');
  });
  it("client is the provider itself (its own CMB) -> BUS_ADDR", () => {
    const f = labFabric();
    const p = f.byBdf.get(PROVIDER)!;
    assert.equal(computeP2pdma(f, p, p).mapType, 'BUS_ADDR');
  });
  it('client under another root port, q35 host bridge 8086:29c0 -> NOT_SUPPORTED (EREMOTEIO)', () => {
    const f = labFabric();
    const v = computeP2pdma(f, f.byBdf.get('0000:05:00.0')!, f.byBdf.get(PROVIDER)!);
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.ok(v.reasons.some((r) => /do not share an upstream bridge/.test(r.message)));
  });
  it('client under another root port, -cpu EPYC (AMD family 0x17) -> allowed', () => {
    const f = labFabric({ host: { ...INTEL_HOST, cpuVendor: 'AuthenticAMD', cpuFamily: 0x17 } });
    assert.equal(computeP2pdma(f, f.byBdf.get('0000:05:00.0')!, f.byBdf.get(PROVIDER)!).mapType, 'THRU_HOST_BRIDGE');
  });
  it('one switch with intel-iommu: the kernel still says BUS_ADDR, and we warn to verify the bytes', () => {
    const f = labFabric({ rootPortAcs: IOMMU_ACS, host: { ...INTEL_HOST, iommuEnabled: true } });
    const v = computeP2pdma(f, f.byBdf.get('0000:04:00.0')!, f.byBdf.get(PROVIDER)!);
    assert.equal(v.mapType, 'BUS_ADDR');
    assert.ok(v.notes.some((n) => /verify the bytes/.test(n)));
  });
  it('pxb-pcie: an extra host bridge whose first function is a QEMU root port (1b36:000c) is not allow-listed', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
      { bdf: '0000:00:01.0', kind: 'root-port', vendorId: '1b36', deviceId: '000c', acs: [] },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'nvme', p2pmem: { size: 67108864, published: true } },
      { bdf: '0000:80:00.0', kind: 'root-port', vendorId: '1b36', deviceId: '000c', acs: [] },
      { bdf: '0000:81:00.0', parent: '0000:80:00.0', kind: 'nvme' },
    ]);
    const v = computeP2pdma(f, f.byBdf.get('0000:81:00.0')!, f.byBdf.get('0000:01:00.0')!);
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.deepEqual(v.hostBridges.map((h) => [h.hostBridge, h.device, h.allowed]), [['pci0000:00', '0000:00:00.0', false], ['pci0000:80', '0000:80:00.0', false]]);
  });
  it('matrix --json shape: every ordered pair with kernel map type names', () => {
    const f = labFabric();
    const r = buildMatrix(f, selectEndpoints(f));
    assert.equal(r.devices.length, 5);
    assert.equal(r.pairs.length, 25);
    for (const p of r.pairs) {
      assert.ok(['BUS_ADDR', 'THRU_HOST_BRIDGE', 'NOT_SUPPORTED'].includes(p.p2pdma.mapType!));
      assert.equal(typeof p.client, 'string');
      assert.ok(Array.isArray(p.p2pdma.reasons));
    }
    const json = JSON.parse(JSON.stringify(r));
    assert.deepEqual(Object.keys(json).sort(), ['allowList', 'devices', 'host', 'kernel', 'pairs', 'vfsFolded']);
    assert.deepEqual(json.kernel, { release: '6.12.117', rules: '6.12' }, 'the release read in the guest flows into the matrix');
    assert.equal(json.pairs[0].p2pdma.kernel.rules, '6.12');
  });
});
