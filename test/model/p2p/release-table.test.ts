// P2PDMA rules by kernel release: every boundary in the release table flips its pair exactly at the
// release the commit landed in; distribution strings map to their upstream base; unknown gives ranges.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_ALLOW_LIST } from '../../../src/model/p2p/allow-list.js';
import { parseKernelRelease } from '../../../src/model/p2p/kernel-release.js';
import { computeP2pdma } from '../../../src/model/p2p/kernel-rules.js';
import { LATEST_RELEASE, RELEASE_TABLE, VERDICT_BOUNDARIES, parseVersion } from '../../../src/model/p2p/release-table.js';
import type { Fabric } from '../../../src/model/types.js';
import type { HostInfo } from '../../../src/access/types.js';
import { INTEL_HOST, makeFabric, type DevSpec } from '../../helpers/p2p-fabric.js';

/** The release just before `rel` ("5.2" -> "5.1", "5.0" -> "4.20", "7.0" -> "6.19"). */
function before(rel: string): string {
  const v = parseVersion(rel)!;
  if (v.minor > 0) return `${v.major}.${v.minor - 1}`;
  return { 5: '4.20', 6: '5.19', 7: '6.19' }[v.major as 5 | 6 | 7];
}

const nvme = (bdf: string, parent: string): DevSpec => ({ bdf, parent, kind: 'nvme', vendorId: '1b36', deviceId: '0010', p2pmem: { size: 1 << 26, published: true } });
const rp = (bdf: string, extra: Partial<DevSpec> = {}): DevSpec => ({ bdf, kind: 'root-port', portType: 'root-port', vendorId: '8086', deviceId: '1234', ...extra });

/** Two NVMe under root ports of two host bridges, each root bus headed by `vendor:device` at 00.0. */
function twoHostBridges(vendor: string, device: string, host: Partial<HostInfo> = INTEL_HOST): Fabric {
  return makeFabric([
    { bdf: '0000:00:00.0', kind: 'endpoint', vendorId: vendor, deviceId: device },
    rp('0000:00:01.0'), nvme('0000:01:00.0', '0000:00:01.0'),
    { bdf: '0000:80:00.0', kind: 'endpoint', vendorId: vendor, deviceId: device },
    rp('0000:80:01.0'), nvme('0000:81:00.0', '0000:80:01.0'),
  ], host);
}

/** Two NVMe under two root ports of one root bus headed by `vendor:device`. */
function oneHostBridge(vendor: string, device: string, host: Partial<HostInfo> = INTEL_HOST): Fabric {
  return makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: vendor, deviceId: device },
    rp('0000:00:01.0'), nvme('0000:01:00.0', '0000:00:01.0'),
    rp('0000:00:02.0'), nvme('0000:02:00.0', '0000:00:02.0'),
  ], host);
}

function mapTypeOn(f: Fabric, kernel: string | null, a = f.devices.find((d) => d.kind === 'nvme')!, b = f.devices.filter((d) => d.kind === 'nvme')[1]) {
  return computeP2pdma(f, a, b, { kernel });
}

describe('kernel release strings', () => {
  it('map distribution strings to their upstream base, and say where backports make the verdict uncertain', () => {
    const cases: [string, string, number | null, string | null, boolean][] = [
      ['5.14.0-427.el9', '5.14', 0, 'RHEL', true],
      ['6.8.0-45-generic', '6.8', 0, 'Ubuntu', false],
      ['6.1.0-28-amd64', '6.1', 0, 'Debian', false],
      ['6.12.117-1~deb12u1', '6.12', 117, 'Debian', false],
      ['4.19', '4.19', null, null, false],
      ['5.14.21-150500.55.39-default', '5.14', 21, 'SUSE', true],
      ['6.12.117', '6.12', 117, null, false],
    ];
    for (const [raw, base, patch, distro, backports] of cases) {
      const r = parseKernelRelease(raw)!;
      assert.equal(`${r.version.major}.${r.version.minor}`, base, raw);
      assert.equal(r.version.patch, patch, raw);
      assert.equal(r.distro, distro, raw);
      assert.equal(r.backportNote !== null, backports, raw);
    }
    assert.equal(parseKernelRelease('not-a-kernel'), null);
    assert.equal(parseKernelRelease('latest')!.version.major, parseVersion(LATEST_RELEASE)!.major);
  });
});

describe('release table', () => {
  it('every row has a release; allow-list rows come from the allow-list entries', () => {
    for (const r of RELEASE_TABLE) assert.ok(parseVersion(r.release), r.title);
    for (const e of KERNEL_ALLOW_LIST.entries.filter((x) => x.since !== 'queued')) {
      assert.ok(RELEASE_TABLE.some((r) => r.release === e.since && r.effect === 'allow-list' && r.title.includes(`${e.vendor}:${e.device ?? 'any'}`)), `${e.vendor}:${e.device}`);
    }
    assert.equal(LATEST_RELEASE, '7.3');
    assert.deepEqual(VERDICT_BOUNDARIES.slice(0, 3), ['4.20', '5.2', '5.4']);
  });

  it('4.20: P2PDMA itself; a pair below one switch is BUS_ADDR from 4.20, refused (no P2PDMA) on 4.19', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0' },
      rp('0000:00:01.0'),
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', portType: 'upstream', vendorId: '104c', deviceId: '8232' },
      { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', portType: 'downstream', vendorId: '104c', deviceId: '8233' },
      { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', portType: 'downstream', vendorId: '104c', deviceId: '8233' },
      nvme('0000:03:00.0', '0000:02:00.0'), nvme('0000:04:00.0', '0000:02:01.0'),
    ]);
    assert.equal(mapTypeOn(f, '4.20').mapType, 'BUS_ADDR');
    const old = mapTypeOn(f, '4.19');
    assert.equal(old.mapType, 'NOT_SUPPORTED');
    assert.equal(old.distance, -1);
    assert.ok(old.reasons.some((r) => r.code === 'no-p2pdma' && /4\.20/.test(r.message)));
    assert.equal(old.newer?.from, '4.20');
    assert.equal(old.newer?.mapType, 'BUS_ADDR');
  });

  // Each allow-list entry: the pair it decides is refused on the release before it and allowed from it.
  for (const e of KERNEL_ALLOW_LIST.entries.filter((x) => x.since !== 'queued')) {
    const id = `${e.vendor}:${e.device ?? 'any'}`;
    it(`allow-list ${id} (${e.label}): refused on ${before(e.since)}, THRU_HOST_BRIDGE from ${e.since}${e.until ? `, refused again from ${e.until}` : ''}`, () => {
      // A pre-Zen AMD host keeps the CPU rule out of the AMD rows.
      const host: Partial<HostInfo> = e.vendor === '1022' ? { ...INTEL_HOST, cpuVendor: 'AuthenticAMD', cpuFamily: 0x15 } : INTEL_HOST;
      const dev = e.device ?? 'abcd';
      const f = e.sameHostBridgeOnly ? oneHostBridge(e.vendor, dev, host) : twoHostBridges(e.vendor, dev, host);
      assert.equal(mapTypeOn(f, before(e.since)).mapType, 'NOT_SUPPORTED');
      const on = mapTypeOn(f, e.since);
      assert.equal(on.mapType, 'THRU_HOST_BRIDGE');
      assert.ok(on.reasons.some((r) => r.code === 'allow-listed'));
      if (e.until) {
        assert.equal(mapTypeOn(f, before(e.until)).mapType, 'THRU_HOST_BRIDGE');
        assert.equal(mapTypeOn(f, e.until).mapType, 'NOT_SUPPORTED');
      }
    });
  }

  it('5.4: an ACS-redirected pair below one switch goes through the host-bridge check (8086:3c00), refused before', () => {
    const f = makeFabric([
      { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '3c00' },
      rp('0000:00:01.0'),
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', portType: 'upstream', vendorId: '10b5', deviceId: '8747' },
      { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', portType: 'downstream', vendorId: '10b5', deviceId: '8747', acs: ['ReqRedir', 'CmpltRedir'] },
      { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', portType: 'downstream', vendorId: '10b5', deviceId: '8747', acs: ['ReqRedir', 'CmpltRedir'] },
      nvme('0000:03:00.0', '0000:02:00.0'), nvme('0000:04:00.0', '0000:02:01.0'),
    ]);
    const old = mapTypeOn(f, '5.3');
    assert.equal(old.mapType, 'NOT_SUPPORTED');
    assert.ok(old.reasons.some((r) => r.code === 'no-host-route'));
    assert.equal(mapTypeOn(f, '5.4').mapType, 'THRU_HOST_BRIDGE');
  });

  it('5.9: the AMD Zen CPU rule allows a root complex no list names (1022:1480); 5.8 refuses it', () => {
    const f = twoHostBridges('1022', '1480', { ...INTEL_HOST, cpuVendor: 'AuthenticAMD', cpuFamily: 0x19 });
    const old = mapTypeOn(f, '5.8');
    assert.equal(old.mapType, 'NOT_SUPPORTED');
    assert.equal(old.newer?.from, '5.9');
    assert.ok(old.reasons.some((r) => r.code === 'cpu-not-amd-zen' && /Linux 5\.8 has no CPU rule/.test(r.message)), 'a Zen CPU is not called pre-Zen on a kernel without the rule');
    assert.ok(old.reasons.some((r) => r.code === 'kernel-newer-differs' && r.message === 'NOT_SUPPORTED on 5.8; THRU_HOST_BRIDGE from 5.9 (dea286bb71ba)'));
    assert.equal(mapTypeOn(f, '5.9').mapType, 'THRU_HOST_BRIDGE');
  });

  it('5.19: a Skylake-E Root Port first on a root bus with no 00.0 is matched from 5.19 (1af7c26c59eb)', () => {
    const f = makeFabric([
      rp('0000:00:02.0', { deviceId: '2032' }), nvme('0000:01:00.0', '0000:00:02.0'),
      rp('0000:00:03.0', { deviceId: '2033' }), nvme('0000:02:00.0', '0000:00:03.0'),
    ]);
    const old = mapTypeOn(f, '5.18');
    assert.equal(old.mapType, 'NOT_SUPPORTED');
    assert.ok(old.reasons.some((r) => r.code === 'no-host-bridge-device' && /before 5\.19|kernels before 5\.19/.test(r.message)));
    assert.equal(mapTypeOn(f, '5.19').mapType, 'THRU_HOST_BRIDGE');
  });
});

describe('the issue\'s examples', () => {
  it('6.8.0-45-generic, two NVMe under host bridges headed by Intel QAT 8086:4940: NOT_SUPPORTED, THRU_HOST_BRIDGE from 7.2', () => {
    const f = twoHostBridges('8086', '4940', { ...INTEL_HOST, kernelRelease: '6.8.0-45-generic' });
    const v = mapTypeOn(f, undefined as never);
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.deepEqual(v.kernel, { release: '6.8.0-45-generic', rules: '6.8', distro: 'Ubuntu', mayDiffer: false });
    assert.ok(v.reasons.some((r) => r.message === 'NOT_SUPPORTED on 6.8; THRU_HOST_BRIDGE from 7.2 (0ba76b19fd4c)'));
    const up = v.fixes.find((x) => x.kind === 'kernel-upgrade');
    assert.ok(up, 'the upgrade is among the fixes');
    assert.match(up.text, /Linux 7\.2 or later \(0ba76b19fd4c\)/);
    assert.match(up.tradeoff, /reboot/);
    const patch = v.fixes.filter((x) => x.kind === 'kernel-patch');
    assert.equal(patch.length, 1, 'one patch fix for the one ID both host bridges share');
    assert.match(patch[0].text, /backporting 0ba76b19fd4c \(upstream from 7\.2\)/);
  });

  it('7.1.z: the stable backport of 0ba76b19fd4c has no confirmed point release, so the verdict may differ', () => {
    const f = twoHostBridges('8086', '4940');
    const v = mapTypeOn(f, '7.1.5');
    assert.equal(v.mapType, 'NOT_SUPPORTED');
    assert.equal(v.kernel.mayDiffer, true);
    assert.ok(v.reasons.some((r) => r.code === 'kernel-backports' && /7\.1-stable/.test(r.message)));
  });

  it('unknown release: each range gives its answer, none is picked', () => {
    const f = twoHostBridges('8086', '4940');
    const v = mapTypeOn(f, null);
    assert.equal(v.mapType, null);
    assert.match(v.verdict, /depends on the kernel release/);
    assert.deepEqual(v.byRelease.map((r) => [r.from, r.until, r.mapType]), [['4.20', '7.2', 'NOT_SUPPORTED'], ['7.2', null, 'THRU_HOST_BRIDGE']]);
    assert.ok(v.reasons.some((r) => r.code === 'kernel-release-unknown' && /THRU_HOST_BRIDGE from 7\.2 \(0ba76b19fd4c\)/.test(r.message)));
    // A pair every release decides alike stays decided.
    const q35 = twoHostBridges('8086', '29c0');
    assert.equal(mapTypeOn(q35, null).mapType, 'NOT_SUPPORTED');
  });
});
