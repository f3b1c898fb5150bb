// buildPath: hops, the turn, links, the narrowest link and the per-direction ceiling.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPath } from '../../../src/model/p2p/path.js';
import { linkCeiling } from '../../../src/model/link-math.js';
import { AMD_ZEN1_HOST, labFabric, makeFabric } from '../../helpers/p2p-fabric.js';

describe('buildPath', () => {
  it('same switch: up to the switch, turn at its upstream port, down; DSP links are internal', () => {
    const f = labFabric();
    const r = buildPath(f, f.byBdf.get('0000:04:00.0')!, f.byBdf.get('0000:03:00.0')!);
    assert.deepEqual(r.hops.map((h) => [h.role, h.bdf]), [
      ['source', '0000:04:00.0'], ['up', '0000:02:01.0'], ['turn', '0000:01:00.0'], ['down', '0000:02:00.0'], ['destination', '0000:03:00.0'],
    ]);
    assert.equal(r.turn.kind, 'common-bridge');
    assert.equal(r.turn.at, '0000:01:00.0');
    assert.equal(r.hops[1].uplink, null);
    assert.match(r.hops[1].uplinkNote!, /internal to the switch/);
    assert.deepEqual(r.links.map((l) => [l.lower, l.upper]), [['0000:04:00.0', '0000:02:01.0'], ['0000:03:00.0', '0000:02:00.0']]);
    assert.equal(r.verdict.mapType, 'BUS_ADDR');
    assert.equal(r.legend.legend, 'PIX');
    assert.equal(r.mps, 128);
    assert.equal(r.ceiling!.bytesPerSecond, linkCeiling(8, 4, 128).bytesPerSecond);
    assert.deepEqual(r.hops.map((h) => h.iommuGroup), ['1', '1', '1', '1', '1']);
  });

  it('across root ports: through the host bridge, with its device named', () => {
    const f = labFabric();
    const r = buildPath(f, f.byBdf.get('0000:05:00.0')!, f.byBdf.get('0000:03:00.0')!);
    assert.deepEqual(r.hops.map((h) => h.role), ['source', 'up', 'host-bridge', 'down', 'down', 'down', 'destination']);
    const hb = r.hops.find((h) => h.role === 'host-bridge')!;
    assert.equal(hb.label, 'pci0000:00');
    assert.match(hb.name!, /0000:00:00\.0 8086:29c0/);
    assert.equal(r.turn.kind, 'host-bridge');
    assert.equal(r.verdict.mapType, 'NOT_SUPPORTED');
    assert.equal(r.legend.legend, 'PHB');
    // 05:00.0 -> 00:02.0, 01:00.0 -> 00:01.0, 03:00.0 -> 02:00.0 are the physical links.
    assert.deepEqual(r.links.map((l) => l.lower).sort(), ['0000:01:00.0', '0000:03:00.0', '0000:05:00.0']);
  });

  it('the narrowest link sets the ceiling; downgraded links are reported', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '2020' },
      { bdf: '0000:00:01.0', kind: 'root-port', acs: [], mps: 512, link: { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 } },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', acs: [], mps: 512, link: { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 } },
      { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs: [], mps: 256, link: { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 } },
      { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs: [], mps: 256, link: { speed: 8, width: 4, maxSpeed: 16, maxWidth: 4 } },
      { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'gpu', mps: 256, link: { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 } },
      { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'nvme', mps: 256, link: { speed: 8, width: 4, maxSpeed: 16, maxWidth: 4 } },
    ]);
    const r = buildPath(f, f.byBdf.get('0000:03:00.0')!, f.byBdf.get('0000:04:00.0')!);
    assert.equal(r.narrowest!.lower, '0000:04:00.0');
    assert.equal(r.mps, 256);
    assert.equal(r.ceiling!.speed, 8);
    assert.equal(r.ceiling!.width, 4);
    assert.ok(r.warnings.some((w) => /downgraded/.test(w)));
  });

  it('across host bridges: an interconnect hop, NUMA named, the verdict from the CPU rule', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '1022', deviceId: '14a4', numaNode: 0 },
      { bdf: '0000:00:01.1', kind: 'root-port', acs: [], numaNode: 0 },
      { bdf: '0000:01:00.0', parent: '0000:00:01.1', kind: 'gpu', numaNode: 0, link: { speed: 16, width: 16, maxSpeed: 16, maxWidth: 16 } },
      { bdf: '0000:80:00.0', kind: 'host-bridge', vendorId: '1022', deviceId: '14a4', numaNode: 1 },
      { bdf: '0000:80:01.1', kind: 'root-port', acs: [], numaNode: 1 },
      { bdf: '0000:81:00.0', parent: '0000:80:01.1', kind: 'nic', numaNode: 1, link: { speed: 32, width: 16, maxSpeed: 32, maxWidth: 16 } },
    ], { ...AMD_ZEN1_HOST, numaNodes: [0, 1] });
    const r = buildPath(f, f.byBdf.get('0000:01:00.0')!, f.byBdf.get('0000:81:00.0')!);
    assert.deepEqual(r.hops.map((h) => h.role), ['source', 'up', 'host-bridge', 'interconnect', 'host-bridge', 'down', 'destination']);
    assert.equal(r.turn.kind, 'across-host-bridges');
    assert.match(r.hops[3].label, /NUMA 0 -> 1/);
    assert.equal(r.legend.legend, 'SYS');
    assert.equal(r.verdict.mapType, 'THRU_HOST_BRIDGE');
    assert.equal(r.narrowest!.lower, '0000:01:00.0');
    assert.equal(r.mps, null);
    assert.equal(r.ceiling!.mpsAssumed, true);
    assert.ok(r.warnings.some((w) => /not PCIe/.test(w)));
  });

  it('to itself: one hop, no link', () => {
    const f = labFabric();
    const d = f.byBdf.get('0000:03:00.0')!;
    const r = buildPath(f, d, d);
    assert.equal(r.hops.length, 1);
    assert.equal(r.turn.kind, 'self');
    assert.equal(r.narrowest, null);
    assert.equal(r.ceiling, null);
    assert.equal(r.verdict.mapType, 'BUS_ADDR');
  });
});
