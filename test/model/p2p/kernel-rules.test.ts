// Every branch of the re-implemented calc_map_type_and_dist() / pci_p2pdma_distance().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostBridge, computeP2pdma, cpuSupportsP2pdma, p2pdmaDistance } from '../../../src/model/p2p/kernel-rules.js';
import { KERNEL_ALLOW_LIST, findAllowListEntry } from '../../../src/model/p2p/allow-list.js';
import { acsRedirectState, ctlHasRedirect, hostBridgeDevice, parseHostBridge } from '../../../src/model/p2p/walk.js';
import type { Fabric } from '../../../src/model/types.js';
import {
  AMD_ZEN1_HOST, INTEL_HOST, IOMMU_ACS, labFabric, makeFabric, makeHost, type DevSpec,
} from '../../helpers/p2p-fabric.js';

const dev = (f: Fabric, bdf: string) => {
  const d = f.byBdf.get(bdf);
  if (!d) throw new Error(`no ${bdf}`);
  return d;
};
const verdict = (f: Fabric, client: string, provider: string) => computeP2pdma(f, dev(f, client), dev(f, provider));

describe('calc_map_type_and_dist: common upstream bridge', () => {
  it('same function: BUS_ADDR at distance 0', () => {
    const f = labFabric();
    const v = verdict(f, '0000:03:00.0', '0000:03:00.0');
    assert.equal(v.mapType, 'BUS_ADDR');
    assert.equal(v.distance, 0);
    assert.equal(v.hops, 0);
    assert.equal(v.commonUpstream, '0000:03:00.0');
    assert.deepEqual(v.fixes, []);
  });

  it('two functions under one root port: distance 2', () => {
    const f = labFabric();
    const v = verdict(f, '0000:06:00.1', '0000:06:00.0');
    assert.equal(v.mapType, 'BUS_ADDR');
    assert.equal(v.distance, 2);
    assert.equal(v.commonUpstream, '0000:00:03.0');
  });

  it('same switch: BUS_ADDR at distance 4, root-port ACS not on the path', () => {
    for (const rootPortAcs of [[], IOMMU_ACS]) {
      const f = labFabric({ rootPortAcs, host: { ...INTEL_HOST, iommuEnabled: rootPortAcs.length > 0 } });
      const v = verdict(f, '0000:04:00.0', '0000:03:00.0');
      assert.equal(v.mapType, 'BUS_ADDR');
      assert.equal(v.distance, 4);
      assert.equal(v.commonUpstream, '0000:01:00.0');
      assert.deepEqual(v.acsPath.map((p) => p.bdf), ['0000:03:00.0', '0000:02:00.0', '0000:01:00.0', '0000:04:00.0', '0000:02:01.0']);
      assert.equal(v.notes.some((n) => /IOMMU is on/.test(n)), rootPortAcs.length > 0);
    }
  });

  it('ACS redirect on the common bridge: NOT_SUPPORTED on q35/Intel, with the exact parameter', () => {
    const f = labFabric({ rootPortAcs: IOMMU_ACS, host: { ...INTEL_HOST, iommuEnabled: true } });
    const v = verdict(f, '0000:06:00.1', '0000:06:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.equal(v.distance, -1);
    assert.equal(v.hops, 2);
    const acs = v.reasons.find((r) => r.code === 'acs-redirect');
    assert.ok(acs);
    assert.equal(acs.device, '0000:00:03.0');
    assert.match(acs.message, /ACS ReqRedir\+ CmpltRedir\+ on 0000:00:03\.0 \(the common bridge\)/);
    const p = v.fixes.find((x) => x.parameter?.startsWith('pci=disable_acs_redir='));
    assert.equal(p?.parameter, 'pci=disable_acs_redir=0000:00:03.0');
    assert.equal(v.fixes.find((x) => x.parameter?.startsWith('pci=config_acs='))?.parameter, 'pci=config_acs=x0x00xx@0000:00:03.0');
    assert.ok(v.fixes.every((x) => x.tradeoff.length > 0));
    assert.ok(v.fixes.some((x) => x.kind === 'iommu'), 'IOMMU on: says the kernel set the bits');
    assert.ok(v.reasons.some((r) => r.code === 'not-allow-listed' && /8086:29c0/.test(r.message)));
  });

  it('ACS redirect with an allowed host route: THRU_HOST_BRIDGE keeps the distance', () => {
    const f = labFabric({ rootPortAcs: ['ReqRedir'], host: AMD_ZEN1_HOST });
    const v = verdict(f, '0000:06:00.1', '0000:06:00.0');
    assert.equal(v.mapType, 'THRU_HOST_BRIDGE');
    assert.equal(v.distance, 2);
    assert.ok(v.fixes.some((x) => x.kind === 'bios'), 'no IOMMU: firmware set the bits');
    assert.ok(v.notes.some((n) => /through the root complex/.test(n)));
  });

  it('IOMMU state unknown: both the IOMMU and the firmware explanation are offered, each with its cost', () => {
    const f = labFabric({ rootPortAcs: ['ReqRedir'], host: { ...INTEL_HOST, iommuEnabled: null } });
    const v = verdict(f, '0000:06:00.1', '0000:06:00.0');
    const kinds = v.fixes.map((x) => x.kind);
    assert.ok(kinds.includes('iommu') && kinds.includes('bios'));
    assert.match(v.fixes.find((x) => x.kind === 'iommu')!.text, /^if an IOMMU is active/);
    assert.match(v.fixes.find((x) => x.kind === 'bios')!.tradeoff, /IOMMU groups/);
  });

  it('EgressCtrl alone counts as redirect; SrcValid/UpstreamFwd/TransBlk do not', () => {
    assert.equal(ctlHasRedirect(1 << 5), true);
    assert.equal(ctlHasRedirect((1 << 0) | (1 << 1) | (1 << 4) | (1 << 6)), false);
    const quiet = labFabric({ rootPortAcs: ['SrcValid', 'UpstreamFwd', 'TransBlk', 'DirectTrans'] });
    assert.equal(verdict(quiet, '0000:06:00.1', '0000:06:00.0').mapType, 'BUS_ADDR');
    const egress = labFabric({ rootPortAcs: ['EgressCtrl'] });
    const v = verdict(egress, '0000:06:00.1', '0000:06:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.match(v.reasons.find((r) => r.code === 'acs-redirect')!.message, /EgressCtrl\+/);
  });

  // A switch where ACS sits on chosen ports, to check which side the kernel looks at.
  const switchWith = (acs: Record<string, DevSpec['acs']>, host = INTEL_HOST) => makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
    { bdf: '0000:00:01.0', kind: 'root-port', acs: acs['0000:00:01.0'] ?? [] },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', acs: acs['0000:01:00.0'] ?? [] },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs: acs['0000:02:00.0'] ?? [] },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs: acs['0000:02:01.0'] ?? [] },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'nvme', acs: acs['0000:03:00.0'] ?? null },
    { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'gpu', acs: acs['0000:04:00.0'] ?? null },
  ], host);
  const P = '0000:03:00.0'; // provider
  const C = '0000:04:00.0'; // client

  for (const [bdf, what] of [
    ['0000:02:00.0', "the provider's path"],
    ['0000:02:01.0', "the client's path"],
    ['0000:01:00.0', 'the common bridge'],
    ['0000:03:00.0', 'the provider itself'],
    ['0000:04:00.0', 'the client itself'],
  ] as const) {
    it(`ACS redirect on ${what} is seen`, () => {
      const f = switchWith({ [bdf]: ['ReqRedir', 'CmpltRedir'] });
      const v = computeP2pdma(f, dev(f, C), dev(f, P));
      assert.equal(v.mapType, 'NOT_SUPPORTED');
      const r = v.reasons.filter((x) => x.code === 'acs-redirect');
      assert.equal(r.length, 1);
      assert.equal(r[0].device, bdf);
      assert.ok(r[0].message.includes(what), r[0].message);
      assert.equal(v.fixes.find((x) => x.parameter?.startsWith('pci=disable'))?.parameter, `pci=disable_acs_redir=${bdf}`);
    });
  }

  it('ACS above the common bridge is not on the path', () => {
    const f = switchWith({ '0000:00:01.0': ['ReqRedir', 'CmpltRedir', 'EgressCtrl'] });
    assert.equal(computeP2pdma(f, dev(f, C), dev(f, P)).mapType, 'BUS_ADDR');
  });

  it('several redirecting ports are all listed, semicolon-separated', () => {
    const f = switchWith({ '0000:02:00.0': ['ReqRedir'], '0000:02:01.0': ['CmpltRedir'] });
    const v = computeP2pdma(f, dev(f, C), dev(f, P));
    assert.equal(v.fixes.find((x) => x.parameter?.startsWith('pci=disable'))?.parameter, 'pci=disable_acs_redir=0000:02:00.0;0000:02:01.0');
    assert.equal(v.fixes.find((x) => x.parameter?.startsWith('pci=config'))?.parameter, 'pci=config_acs=x0x00xx@0000:02:00.0;x0x00xx@0000:02:01.0');
  });

  it('the provider itself with ACS redirect makes even its own memory THRU_HOST_BRIDGE (AMD)', () => {
    const f = switchWith({ '0000:03:00.0': ['ReqRedir'] }, AMD_ZEN1_HOST);
    const v = computeP2pdma(f, dev(f, P), dev(f, P));
    assert.equal(v.mapType, 'THRU_HOST_BRIDGE');
    assert.equal(v.distance, 0);
  });
});

describe('calc_map_type_and_dist: through the host bridge', () => {
  it('q35 (8086:29c0) is not allow-listed: cross-root-port NOT_SUPPORTED on Intel', () => {
    const f = labFabric();
    const v = verdict(f, '0000:05:00.0', '0000:03:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.equal(v.distance, -1);
    assert.equal(v.hops, 4 + 2, 'provider chain 4 + client chain 2, as the kernel counts');
    assert.equal(v.commonUpstream, null);
    assert.deepEqual(v.acsPath, [], 'ACS does not decide this pair');
    assert.ok(v.reasons.some((r) => r.code === 'no-common-bridge'));
    assert.ok(v.reasons.some((r) => r.code === 'cpu-not-amd-zen'));
    const nl = v.reasons.find((r) => r.code === 'not-allow-listed');
    assert.equal(nl?.device, '0000:00:00.0');
    assert.match(nl!.message, /8086:29c0/);
    assert.ok(v.fixes.some((x) => x.kind === 'move-card'));
    assert.ok(v.fixes.some((x) => x.kind === 'kernel-patch' && /8086:29c0/.test(x.text)));
  });

  it('AMD family 0x17 and newer: THRU_HOST_BRIDGE; older AMD and Hygon: NOT_SUPPORTED', () => {
    for (const [cpuVendor, cpuFamily, want] of [
      ['AuthenticAMD', 0x17, 'THRU_HOST_BRIDGE'],
      ['AuthenticAMD', 0x19, 'THRU_HOST_BRIDGE'],
      ['AuthenticAMD', 0x1a, 'THRU_HOST_BRIDGE'],
      ['AuthenticAMD', 0x16, 'NOT_SUPPORTED'],
      ['HygonGenuine', 0x18, 'NOT_SUPPORTED'],
      ['GenuineIntel', 6, 'NOT_SUPPORTED'],
    ] as const) {
      const f = labFabric({ host: { ...INTEL_HOST, cpuVendor, cpuFamily } });
      const v = verdict(f, '0000:05:00.0', '0000:03:00.0');
      assert.equal(v.mapType, want, `${cpuVendor} 0x${cpuFamily.toString(16)}`);
      if (want === 'THRU_HOST_BRIDGE') assert.equal(v.distance, 6);
    }
  });

  it('cpu_supports_p2pdma: unknown stays unknown', () => {
    assert.equal(cpuSupportsP2pdma(makeHost({ cpuVendor: null })), null);
    assert.equal(cpuSupportsP2pdma(makeHost({ cpuVendor: 'AuthenticAMD', cpuFamily: null })), null);
    assert.equal(cpuSupportsP2pdma(makeHost({ cpuVendor: 'GenuineIntel', cpuFamily: null })), false);
  });

  it('unknown CPU and a host bridge not allow-listed: unknown, not a guess', () => {
    const f = labFabric({ host: { ...INTEL_HOST, cpuVendor: null, cpuFamily: null } });
    const v = verdict(f, '0000:05:00.0', '0000:03:00.0');
    assert.equal(v.mapType, null);
    assert.deepEqual(v.possible, ['THRU_HOST_BRIDGE', 'NOT_SUPPORTED']);
    assert.equal(v.verdict, 'unknown: CPU vendor/family unknown');
    assert.equal(v.distance, null);
  });

  const twoRoots = (hb0: [string, string], hb1: [string, string] | null, host = INTEL_HOST, firstOn1?: DevSpec) => makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: hb0[0], deviceId: hb0[1] },
    { bdf: '0000:00:01.0', kind: 'root-port', acs: [] },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'gpu' },
    { bdf: '0000:00:02.0', kind: 'root-port', acs: [] },
    { bdf: '0000:02:00.0', parent: '0000:00:02.0', kind: 'nvme' },
    ...(hb1 ? [{ bdf: '0000:80:00.0', kind: 'host-bridge' as const, vendorId: hb1[0], deviceId: hb1[1] }] : []),
    ...(firstOn1 ? [firstOn1] : []),
    { bdf: '0000:80:02.0', kind: 'root-port', acs: [] },
    { bdf: '0000:81:00.0', parent: '0000:80:02.0', kind: 'nic' },
  ], host);

  it('allow-listed host bridge (Skylake-E 8086:2020): THRU_HOST_BRIDGE on Intel', () => {
    const f = twoRoots(['8086', '2020'], ['8086', '2020']);
    assert.equal(verdict(f, '0000:01:00.0', '0000:02:00.0').mapType, 'THRU_HOST_BRIDGE');
    assert.equal(verdict(f, '0000:01:00.0', '0000:81:00.0').mapType, 'THRU_HOST_BRIDGE', 'both host bridges listed');
  });

  it('REQ_SAME_HOST_BRIDGE entries (Xeon E5 3c00): allowed under one host bridge, refused across two', () => {
    const f = twoRoots(['8086', '3c00'], ['8086', '3c00']);
    assert.equal(verdict(f, '0000:01:00.0', '0000:02:00.0').mapType, 'THRU_HOST_BRIDGE');
    const v = verdict(f, '0000:01:00.0', '0000:81:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.ok(v.reasons.some((r) => r.code === 'allow-list-same-host-bridge-only'));
    assert.ok(v.fixes.some((x) => x.kind === 'move-card' && /one host bridge/.test(x.text)));
  });

  it('across host bridges both must be listed', () => {
    const f = twoRoots(['8086', '2020'], ['8086', '29c0']);
    const v = verdict(f, '0000:01:00.0', '0000:81:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.equal(v.hostBridges.length, 2);
    // Provider's host bridge first, as the kernel checks it first.
    assert.deepEqual(v.hostBridges.map((h) => [h.hostBridge, h.allowed]), [['pci0000:80', false], ['pci0000:00', true]]);
  });

  it('no 00.0 on the root bus: a Root Port first on the bus is matched (Skylake root ports)', () => {
    const f = twoRoots(['8086', '2020'], null, INTEL_HOST, { bdf: '0000:80:01.0', kind: 'root-port', vendorId: '8086', deviceId: '2030', acs: [] });
    const hb = hostBridgeDevice(f, 'pci0000:80');
    assert.equal(hb.device?.bdf, '0000:80:01.0');
    assert.equal(verdict(f, '0000:01:00.0', '0000:81:00.0').mapType, 'THRU_HOST_BRIDGE');
  });

  it('first function on the root bus neither 00.0 nor a Root Port: no host bridge device, not allow-listed', () => {
    const f = twoRoots(['8086', '2020'], null, INTEL_HOST, { bdf: '0000:80:01.0', kind: 'endpoint', vendorId: '8086', deviceId: '2020' });
    const v = verdict(f, '0000:01:00.0', '0000:81:00.0');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    const r = v.reasons.find((x) => x.code === 'no-host-bridge-device');
    assert.match(r!.message, /neither at devfn 00\.0 nor a Root Port/);
  });

  it('host bridge device absent from the fabric: not allow-listed, and says why', () => {
    const f = twoRoots(['8086', '2020'], null);
    // Root bus 80 has only the root port at 02.0 (first, a Root Port): give it an unlisted ID by removing the port kind.
    const noDev = makeFabric([
      { bdf: '0000:01:00.0', parent: null, kind: 'gpu', hostBridge: 'pci0000:00' },
      { bdf: '0000:81:00.0', parent: null, kind: 'nic', hostBridge: 'pci0000:80' },
    ]);
    const c = checkHostBridge(noDev, 'pci0000:7f', false);
    assert.equal(c.allowed, false);
    assert.match(c.note, /no function on the root bus/);
    assert.equal(verdict(f, '0000:01:00.0', '0000:81:00.0').hostBridges[0].device, '0000:80:02.0');
  });

  it('host bridge with unknown IDs: unknown unless the CPU rule decides', () => {
    const f = twoRoots(['8086', '2020'], ['8086', '2020']);
    f.byBdf.get('0000:00:00.0')!.deviceId = null;
    const v = verdict(f, '0000:01:00.0', '0000:02:00.0');
    assert.equal(v.mapType, null);
    assert.ok(v.reasons.some((r) => r.code === 'host-bridge-ids-unknown'));
    const amd = twoRoots(['8086', '2020'], ['8086', '2020'], AMD_ZEN1_HOST);
    amd.byBdf.get('0000:00:00.0')!.deviceId = null;
    assert.equal(verdict(amd, '0000:01:00.0', '0000:02:00.0').mapType, 'THRU_HOST_BRIDGE');
  });
});

describe('unknown ACS: never a guess', () => {
  it('64-byte config space (non-root): same-switch pair is "unknown: needs root"', () => {
    const f = labFabric({ configBytes: 64, host: { ...INTEL_HOST, isRoot: false } });
    const v = verdict(f, '0000:04:00.0', '0000:03:00.0');
    assert.equal(v.mapType, null);
    assert.equal(v.verdict, 'unknown: needs root');
    assert.deepEqual(v.possible, ['BUS_ADDR', 'NOT_SUPPORTED']);
    assert.equal(v.distance, null);
    assert.ok(v.reasons.some((r) => r.code === 'acs-unknown' && /64 bytes/.test(r.message)));
    assert.ok(v.fixes.some((x) => x.kind === 'run-as-root'));
  });

  it('on AMD Zen both outcomes allow P2P: the distance is still known', () => {
    const f = labFabric({ configBytes: 64, host: { ...AMD_ZEN1_HOST, isRoot: false } });
    const v = verdict(f, '0000:04:00.0', '0000:03:00.0');
    assert.equal(v.mapType, null);
    assert.deepEqual(v.possible, ['BUS_ADDR', 'THRU_HOST_BRIDGE']);
    assert.equal(v.distance, 4);
  });

  it('ACS does not matter across root ports: 64-byte config still decides', () => {
    const f = labFabric({ configBytes: 64, host: { ...INTEL_HOST, isRoot: false } });
    assert.equal(verdict(f, '0000:05:00.0', '0000:03:00.0').mapType, 'NOT_SUPPORTED');
  });

  it('a known redirect decides even when other ports are unknown', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
      { bdf: '0000:00:01.0', kind: 'root-port', acs: [] },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', acs: ['ReqRedir'] },
      { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', configBytes: 64 },
      { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs: [] },
      { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'nvme' },
      { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'nvme' },
    ]);
    assert.equal(verdict(f, '0000:04:00.0', '0000:03:00.0').mapType, 'NOT_SUPPORTED');
  });

  it('ACS capability present but control unreadable: unknown', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
      { bdf: '0000:00:01.0', kind: 'root-port', acs: 'unreadable' },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'nvme' },
      { bdf: '0000:01:00.1', parent: '0000:00:01.0', kind: 'nvme' },
    ]);
    assert.equal(acsRedirectState(f.byBdf.get('0000:00:01.0')!).state, 'unknown');
    const v = verdict(f, '0000:01:00.1', '0000:01:00.0');
    assert.equal(v.mapType, null);
    assert.match(v.verdict, /^unknown/);
  });

  it('no ACS capability is certain only when the capability list was read completely', () => {
    const full = makeFabric([{ bdf: '0000:00:01.0', kind: 'root-port' }]);
    const short = makeFabric([{ bdf: '0000:00:01.0', kind: 'root-port', configBytes: 64 }]);
    assert.equal(acsRedirectState(full.byBdf.get('0000:00:01.0')!).state, 'none');
    assert.equal(acsRedirectState(short.byBdf.get('0000:00:01.0')!).state, 'unknown');
  });
});

describe('VFs and helpers', () => {
  it('a VF walks up from its PF (pci_physfn)', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
      { bdf: '0000:00:01.0', kind: 'root-port', acs: [] },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'nic' },
      { bdf: '0000:01:00.2', parent: null, kind: 'nic', physfn: '0000:01:00.0', hostBridge: 'pci0000:00' },
      { bdf: '0000:01:00.1', parent: '0000:00:01.0', kind: 'nvme' },
    ]);
    const v = verdict(f, '0000:01:00.2', '0000:01:00.1');
    assert.equal(v.mapType, 'BUS_ADDR');
    assert.equal(v.commonUpstream, '0000:00:01.0');
    assert.equal(p2pdmaDistance(f, f.byBdf.get('0000:01:00.1')!, f.byBdf.get('0000:01:00.2')!), 2);
  });

  it('parseHostBridge reads sysfs and short names', () => {
    assert.deepEqual(parseHostBridge('pci0000:00'), { domain: 0, bus: 0 });
    assert.deepEqual(parseHostBridge('pci10000:80'), { domain: 0x10000, bus: 0x80 });
    assert.deepEqual(parseHostBridge('0001:3a'), { domain: 1, bus: 0x3a });
    assert.equal(parseHostBridge('weird'), null);
  });

  it('allow-list: first match decides; Google matches any device; IDs are case-insensitive', () => {
    assert.equal(findAllowListEntry(KERNEL_ALLOW_LIST, '1AE0', 'abcd')?.label, 'Google SoCs (any device)');
    assert.equal(findAllowListEntry(KERNEL_ALLOW_LIST, '8086', '29C0'), null);
    assert.equal(findAllowListEntry(KERNEL_ALLOW_LIST, '8086', '3C01')?.sameHostBridgeOnly, true);
    assert.equal(findAllowListEntry(KERNEL_ALLOW_LIST, '1022', '14a4'), null, 'AMD host bridges rely on the CPU rule');
    assert.match(KERNEL_ALLOW_LIST.kernel, /cd2698d76c31/);
  });
});
