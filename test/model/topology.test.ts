// Topology building: parents from bus numbers, kinds, aliases, unknowns staying unknown, corrupt input terminating.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLspciDump } from '../../src/access/dump.js';
import { buildFabric } from '../../src/model/topology.js';
import { resolveDevice, findDevice } from '../../src/model/lookup.js';
import { UserError } from '../../src/errors.js';
import { buses, fn, ident, set16, set32, set8, toDump, type FakeFunction } from '../helpers/dump-builder.js';

/** A PCIe bridge with an Express capability of the given port type at 0x40. */
function pcieBridge(bdf: string, portType: number, sec: number, sub: number, pri: number): FakeFunction {
  const f = ident(fn(bdf, 4096), 0x10b5, 0x9797, 0x060400, 1);
  buses(f, pri, sec, sub);
  set16(f, 0x06, 0x10); // capability list
  set8(f, 0x34, 0x40);
  set8(f, 0x40, 0x10);
  set8(f, 0x41, 0x00);
  set16(f, 0x42, 0x2 | (portType << 4));
  set32(f, 0x44, 0x2); // MPS supported 512
  set16(f, 0x48, (1 << 5) | (2 << 12)); // MPS 256, MRRS 512
  set32(f, 0x4c, 0x3 | (16 << 4)); // LnkCap 8GT/s x16
  set16(f, 0x52, 0x1 | (4 << 4)); // LnkSta 2.5GT/s x4 (downtrained)
  return f;
}

function endpoint(bdf: string, classCode: number, vendor = 0x10de): FakeFunction {
  return ident(fn(bdf, 64), vendor, 0x2230, classCode);
}

function switchFabric() {
  return [
    ident(fn('00:00.0', 64), 0x8086, 0x29c0, 0x060000),
    pcieBridge('00:01.0', 4, 1, 4, 0),
    pcieBridge('01:00.0', 5, 2, 4, 1),
    pcieBridge('02:00.0', 6, 3, 3, 2),
    pcieBridge('02:01.0', 6, 4, 4, 2),
    endpoint('03:00.0', 0x030200),
    endpoint('04:00.0', 0x010802, 0x144d),
  ];
}

test('parents are rebuilt from bridge bus numbers and kinds follow port types', () => {
  const f = buildFabric(parseLspciDump(toDump(switchFabric()), 'x'));
  const kinds = Object.fromEntries(f.devices.map((d) => [d.bdf, d.kind]));
  assert.deepEqual(kinds, {
    '0000:00:00.0': 'host-bridge', '0000:00:01.0': 'root-port', '0000:01:00.0': 'switch-upstream',
    '0000:02:00.0': 'switch-downstream', '0000:02:01.0': 'switch-downstream', '0000:03:00.0': 'gpu', '0000:04:00.0': 'nvme',
  });
  assert.equal(f.byBdf.get('0000:03:00.0')!.parent, '0000:02:00.0');
  assert.equal(f.byBdf.get('0000:02:01.0')!.parent, '0000:01:00.0');
  assert.deepEqual(f.byBdf.get('0000:01:00.0')!.children, ['0000:02:00.0', '0000:02:01.0']);
  assert.deepEqual(f.roots.map((d) => d.bdf), ['0000:00:00.0', '0000:00:01.0']);
  assert.equal(f.byBdf.get('0000:04:00.0')!.hostBridge, 'pci0000:00');
});

test('link, MPS and MRRS come from the Express capability; 64-byte functions stay unknown', () => {
  const f = buildFabric(parseLspciDump(toDump(switchFabric()), 'x'));
  const port = f.byBdf.get('0000:02:00.0')!;
  assert.deepEqual(port.link, { speed: 2.5, width: 4, maxSpeed: 8, maxWidth: 16 });
  assert.equal(port.mps, 256);
  assert.equal(port.mrrs, 512);
  assert.equal(port.mpsSupported, 512);
  const gpu = f.byBdf.get('0000:03:00.0')!;
  assert.equal(gpu.configBytes, 64);
  assert.equal(gpu.mps, null);
  assert.equal(gpu.link, null);
  assert.equal(gpu.acs, null);
});

test('aliases: gpu0, nvme0 by BDF order; lookup by alias, full and short BDF', () => {
  const f = buildFabric(parseLspciDump(toDump(switchFabric()), 'x'));
  assert.equal(f.byBdf.get('0000:03:00.0')!.alias, 'gpu0');
  assert.equal(f.byBdf.get('0000:04:00.0')!.alias, 'nvme0');
  assert.equal(resolveDevice(f, 'gpu0').bdf, '0000:03:00.0');
  assert.equal(resolveDevice(f, '04:00.0').bdf, '0000:04:00.0');
  assert.equal(resolveDevice(f, '0000:04:00.0').bdf, '0000:04:00.0');
  assert.equal(findDevice(f, 'gpu7'), null);
  assert.throws(() => resolveDevice(f, 'gpu7'), (e: unknown) => e instanceof UserError && /unknown device 'gpu7'.*gpu0/.test(e.message));
});

test('bridges whose bus numbers point backwards cannot make a loop: ignored with a warning', () => {
  const a = pcieBridge('01:00.0', 6, 2, 2, 1);
  const b = pcieBridge('02:00.0', 6, 1, 1, 2);
  const f = buildFabric(parseLspciDump(toDump([a, b]), 'x'));
  for (const d of f.devices) {
    let steps = 0;
    let p = d.parent;
    while (p && steps < 10) {
      p = f.byBdf.get(p)!.parent;
      steps++;
    }
    assert.ok(steps < 10, `walk up from ${d.bdf} does not terminate`);
  }
  assert.ok(f.warnings.some((w) => /0000:02:00.0: bridge claims secondary bus 01, not above its own bus/.test(w)));
});

test('without readable port types, bridges are inferred from their place', () => {
  const rp = ident(fn('00:01.0', 64), 0x8086, 0x2030, 0x060400, 1);
  buses(rp, 0, 1, 3);
  const up = ident(fn('01:00.0', 64), 0x10b5, 0x9797, 0x060400, 1);
  buses(up, 1, 2, 3);
  const down = ident(fn('02:04.0', 64), 0x10b5, 0x9797, 0x060400, 1);
  buses(down, 2, 3, 3);
  const f = buildFabric(parseLspciDump(toDump([rp, up, down, endpoint('03:00.0', 0x020700, 0x15b3)]), 'x'));
  assert.deepEqual(f.devices.map((d) => d.kind), ['root-port', 'switch-upstream', 'switch-downstream', 'nic']);
});

test('an SR-IOV VF whose header reads 0xffff gets its PF vendor and the VF Device ID of the PF (the kernel\'s rule)', () => {
  // PF: an Express capability (which extended ones need), then SR-IOV at 0x100 with VF Device ID
  // 0x101e at +0x1a. Its VFs read 0xffff for their IDs.
  const pf = ident(fn('0000:05:00.0', 4096), 0x15b3, 0x101d, 0x020000);
  set16(pf, 0x06, 0x10);
  set8(pf, 0x34, 0x40);
  set16(set16(pf, 0x40, 0x0010), 0x42, 0x0002);
  set16(set32(pf, 0x100, 0x0001_0010), 0x11a, 0x101e);
  const vf = (bdf: string) => ident(fn(bdf, 4096), 0xffff, 0xffff, 0x020000);
  const raw = parseLspciDump(toDump([pf, vf('0000:05:00.1'), vf('0000:05:00.2'), vf('0000:05:00.3')]), 'x');
  const byBdf = new Map(raw.devices.map((d) => [d.bdf, d]));
  byBdf.get('0000:05:00.1')!.physfn = '0000:05:00.0';
  Object.assign(byBdf.get('0000:05:00.2')!, { physfn: '0000:05:00.0', vendorId: '8086', deviceId: '1520' }); // the source's IDs win
  const f = buildFabric(raw);
  const ids = (bdf: string) => [f.byBdf.get(bdf)!.vendorId, f.byBdf.get(bdf)!.deviceId, f.byBdf.get(bdf)!.classCode];
  assert.deepEqual(ids('0000:05:00.1'), ['15b3', '101e', '020000']);
  assert.deepEqual(ids('0000:05:00.2'), ['8086', '1520', '020000']);
  assert.deepEqual(ids('0000:05:00.3'), [null, null, '020000'], 'no PF known: unknown, not guessed');

  // A PF read as non-root (64 bytes) cannot say: the VF's IDs stay unknown without the source's.
  const shortPf = ident(fn('0000:05:00.0', 64), 0x15b3, 0x101d, 0x020000);
  const raw64 = parseLspciDump(toDump([shortPf, vf('0000:05:00.1')]), 'x');
  raw64.devices[1].physfn = '0000:05:00.0';
  assert.deepEqual(buildFabric(raw64).byBdf.get('0000:05:00.1')!.vendorId, null);
});
