// p2p diff, one kind of drift at a time: real machine trees copied and mutated on disk, and
// synthetic fabrics with full config space (ACS, AER status, serial numbers) built through buildFabric.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAerCounterMap } from '../../src/access/aer-counters.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import { emptyHostInfo, FILL_ALL, type HostInfo, type RawDevice } from '../../src/access/types.js';
import { ConfigSpace } from '../../src/model/config-space.js';
import { DEVICE_RULES, DRIFT_KINDS, diffFabrics, type DiffSide, type Drift, type PairVerdict } from '../../src/model/diff.js';
import { buildMatrix, selectEndpoints } from '../../src/model/p2p/index.js';
import { buildFabric } from '../../src/model/topology.js';
import type { AcsBitName, Fabric } from '../../src/model/types.js';
import { IOMMU_ACS, makeFabric } from '../helpers/p2p-fabric.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';
const TREE = '32intel64-2p8co2t+8ve';
const NIC = '0000:1a:00.0';
const NIC_DIR = 'sys/devices/pci0000:17/0000:17:00.0/0000:18:00.0/0000:19:04.0/0000:1a:00.0';

function pairsOf(fabric: Fabric): PairVerdict[] {
  return buildMatrix(fabric, selectEndpoints(fabric)).pairs.map((p) => ({
    client: p.client, provider: p.provider, legend: p.legend, verdict: p.p2pdma.verdict, mapType: p.p2pdma.mapType,
  }));
}

function side(root: string): DiffSide {
  const fabric = buildFabric(readSysfsFabric(root, { fill: FILL_ALL }));
  return { fabric, aerCounters: readAerCounterMap(root, fabric.devices.map((d) => ({ bdf: d.bdf, origin: d.raw.origin }))), pairs: pairsOf(fabric) };
}

/** A private copy of the real tree to mutate. */
function copyTree(): string {
  const dest = tempDirRemovedAtExit('p2p-diff-');
  execFileSync('cp', ['-a', hwlocRoot(TREE), dest]);
  return path.join(dest, TREE);
}

function brief(cs: Drift[]) {
  return cs.map((c) => ({ kind: c.kind, bdf: c.bdf, message: c.message }));
}

test('the same tree twice: identical, every device and pair compared', { skip: noRef }, () => {
  const a = side(hwlocRoot(TREE));
  const d = diffFabrics(a, side(copyTree()));
  assert.equal(d.identical, true, JSON.stringify(d.changes));
  assert.deepEqual(d.changes, []);
  assert.equal(d.compared.devices, 29);
  assert.ok((d.compared.pairs ?? 0) > 0);
});

test('link width dropped on one NIC: exactly one link change', { skip: noRef }, () => {
  const cur = copyTree();
  fs.writeFileSync(path.join(cur, NIC_DIR, 'current_link_width'), '8\n');
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'link', bdf: NIC, message: 'link 8GT/s x16 → 8GT/s x8' }]);
  assert.deepEqual(d.changes[0].baseline, { speed: 8, width: 16, maxSpeed: 8, maxWidth: 16 });
  assert.equal(d.changes[0].label, 'nic0');
});

test('link speed capability changed (a card swapped for a slower one keeps its IDs)', { skip: noRef }, () => {
  const cur = copyTree();
  fs.writeFileSync(path.join(cur, NIC_DIR, 'max_link_speed'), '16.0 GT/s PCIe\n');
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'link', bdf: NIC, message: 'link 8GT/s x16 → 8GT/s x16 (capability 8GT/s x16 → 16GT/s x16)' }]);
});

test('driver changed: mlx5_core -> vfio-pci', { skip: noRef }, () => {
  const cur = copyTree();
  const link = path.join(cur, NIC_DIR, 'driver');
  fs.rmSync(link);
  fs.symlinkSync('../../../../../../bus/pci/drivers/vfio-pci', link);
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'driver', bdf: NIC, message: 'driver mlx5_core → vfio-pci' }]);
});

test('device missing: a NIC gone from sysfs is reported once, its pairs are not double-counted', { skip: noRef }, () => {
  const cur = copyTree();
  fs.rmSync(path.join(cur, 'sys/bus/pci/devices', NIC));
  fs.rmSync(path.join(cur, NIC_DIR), { recursive: true });
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'device-missing', bdf: NIC, message: 'missing: nic 15b3:1013 subsystem 15b3:0013 class 020700 [mlx5_core]' }]);
  // and the other way round it is an added device
  const back = diffFabrics(side(cur), side(hwlocRoot(TREE)));
  assert.deepEqual(back.changes.map((c) => [c.kind, c.bdf]), [['device-added', NIC]]);
});

test('IOMMU group appeared on a device', { skip: noRef }, () => {
  const cur = copyTree();
  fs.mkdirSync(path.join(cur, 'sys/kernel/iommu_groups/7'), { recursive: true });
  fs.symlinkSync('../../../../../../kernel/iommu_groups/7', path.join(cur, NIC_DIR, 'iommu_group'));
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'iommu', bdf: NIC, message: 'IOMMU group none → 7' }]);
});

test('IOMMU default domain type changed (identity -> DMA-FQ) for the group of a device', { skip: noRef }, () => {
  const base = copyTree();
  const cur = copyTree();
  for (const [root, type] of [[base, 'identity'], [cur, 'DMA-FQ']]) {
    fs.mkdirSync(path.join(root, 'sys/kernel/iommu_groups/7'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sys/kernel/iommu_groups/7/type'), `${type}\n`);
    fs.symlinkSync('../../../../../../kernel/iommu_groups/7', path.join(root, NIC_DIR, 'iommu_group'));
  }
  const d = diffFabrics(side(base), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'iommu', bdf: NIC, message: 'IOMMU domain type identity → DMA-FQ' }]);
});

test('NUMA node changed: a numa change, and only pairs with that device may change legend', { skip: noRef }, () => {
  const cur = copyTree();
  fs.writeFileSync(path.join(cur, NIC_DIR, 'numa_node'), '1\n');
  const d = diffFabrics(side(hwlocRoot(TREE)), side(cur));
  assert.deepEqual(brief(d.changes.filter((c) => c.kind !== 'pair')), [{ kind: 'numa', bdf: NIC, message: 'NUMA node 0 → 1' }]);
  for (const c of d.changes.filter((x) => x.kind === 'pair')) assert.ok(c.field.includes(NIC), c.field);
});

test('AER counters grown -> drift; counters lower (reset) -> a note only', { skip: noRef }, () => {
  const base = copyTree();
  const cur = copyTree();
  const counters = (n: number) => `RxErr 0\nBadTLP ${n}\nBadDLLP 0\nRollover 0\nTimeout 0\nNonFatalErr 0\nCorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR ${n}\n`;
  fs.writeFileSync(path.join(base, NIC_DIR, 'aer_dev_correctable'), counters(1));
  fs.writeFileSync(path.join(cur, NIC_DIR, 'aer_dev_correctable'), counters(4));
  const d = diffFabrics(side(base), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'aer', bdf: NIC, message: 'AER counters grew: correctable.BadTLP 1 → 4' }]);
  assert.deepEqual(d.changes[0].current, { 'aer_dev_correctable.BadTLP': 4, 'aer_dev_correctable.TOTAL_ERR_COR': 4 });
  const reset = diffFabrics(side(cur), side(base));
  assert.equal(reset.identical, true);
  assert.match(reset.notes.map((n) => n.message).join('\n'), /AER counters are lower than in the baseline/);
});

test('kernel command line changed: the parameters added and removed', { skip: noRef }, () => {
  const base = copyTree();
  const cur = copyTree();
  fs.writeFileSync(path.join(base, 'proc/cmdline'), 'ro quiet intel_iommu=on\n');
  fs.writeFileSync(path.join(cur, 'proc/cmdline'), 'ro quiet pci=noacs\n');
  const d = diffFabrics(side(base), side(cur));
  assert.deepEqual(brief(d.changes), [{ kind: 'host', bdf: null, message: 'kernel command line: -intel_iommu=on +pci=noacs' }]);
});

// ---------------------------------------------------------------------------------------------
// Synthetic fabrics with 4096-byte config space.

interface CfgSpec {
  vendor: number;
  device: number;
  cls: number;
  /** PCIe port type: 0 endpoint, 4 root port, 5 switch upstream, 6 switch downstream. */
  portType: number;
  bus?: [number, number];
  acsCtl?: number;
  aer?: { uncor?: number; cor?: number };
  dsn?: number[];
  width?: number;
}

function config(s: CfgSpec): ConfigSpace {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, s.vendor, true);
  dv.setUint16(2, s.device, true);
  dv.setUint16(6, 0x10, true);
  dv.setUint32(8, (s.cls << 8) >>> 0, true);
  b[0x0e] = s.bus ? 1 : 0;
  if (s.bus) {
    b[0x19] = s.bus[0];
    b[0x1a] = s.bus[1];
  }
  b[0x34] = 0x40;
  b[0x40] = 0x10;
  dv.setUint16(0x42, 2 | (s.portType << 4), true);
  dv.setUint32(0x44, 0x1, true); // DevCap: MPS 256
  dv.setUint16(0x48, (2 << 12) | (0 << 5), true); // DevCtl: MRRS 512, MPS 128
  const w = s.width ?? 4;
  dv.setUint32(0x4c, 3 | (w << 4), true); // LnkCap 8GT/s xW
  dv.setUint16(0x52, 3 | (w << 4), true); // LnkSta
  const ext: [number, (o: number) => void][] = [];
  ext.push([0x0001, (o) => {
    dv.setUint32(o + 4, s.aer?.uncor ?? 0, true);
    dv.setUint32(o + 0x10, s.aer?.cor ?? 0, true);
  }]);
  if (s.acsCtl !== undefined) ext.push([0x000d, (o) => {
    dv.setUint16(o + 4, 0x5f, true);
    dv.setUint16(o + 6, s.acsCtl!, true);
  }]);
  if (s.dsn) ext.push([0x0003, (o) => s.dsn!.forEach((v, i) => (b[o + 4 + i] = v))]);
  ext.forEach(([id, fill], i) => {
    const off = 0x100 + i * 0x40;
    const next = i + 1 < ext.length ? 0x100 + (i + 1) * 0x40 : 0;
    dv.setUint32(off, (id | (1 << 16) | (next << 20)) >>> 0, true);
    fill(off);
  });
  return new ConfigSpace(b, 4096);
}

interface DevOpts extends Partial<CfgSpec> {
  parent?: string | null;
  driver?: string | null;
  nvmeName?: string;
}

const ACS_ON = 0x1d; // SrcValid ReqRedir CmpltRedir UpstreamFwd

function raw(bdf: string, o: DevOpts): RawDevice {
  const spec: CfgSpec = { vendor: 0x8086, device: 0x1234, cls: 0x010802, portType: 0, ...o };
  return { bdf, config: config(spec), parentBdf: o.parent ?? null, hostBridge: 'pci0000:00', driver: o.driver ?? null, numaNode: 0, origin: bdf,
    ...(o.nvmeName ? { classNames: { nvme: [o.nvmeName] } } : {}) };
}

const INTEL: HostInfo = { ...emptyHostInfo(), cpuVendor: 'GenuineIntel', cpuFamily: 6, numaNodes: [0], iommuEnabled: true, isRoot: true };

/** Two root ports, each with an NVMe below; the ACS control of the root ports and the devices can vary. */
function fabric(o: { rootAcs?: number; nvme2?: DevOpts & { bdf?: string }; host?: Partial<HostInfo>; nvme1?: DevOpts } = {}): Fabric {
  const rp = (bdf: string, bus: number) => raw(bdf, { vendor: 0x8086, device: 0x2030, cls: 0x060400, portType: 4, bus: [bus, bus], acsCtl: o.rootAcs ?? 0, driver: 'pcieport' });
  const nvme2bdf = o.nvme2?.bdf ?? '0000:02:00.0';
  const devices = [
    raw('0000:00:00.0', { vendor: 0x8086, device: 0x2020, cls: 0x060000, portType: 9 }),
    rp('0000:00:01.0', 1),
    rp('0000:00:02.0', 2),
    rp('0000:00:03.0', 3),
    raw('0000:01:00.0', { parent: '0000:00:01.0', driver: 'nvme', nvmeName: 'nvme0', dsn: [1, 2, 3, 4, 5, 6, 7, 8], ...o.nvme1 }),
    raw(nvme2bdf, { parent: nvme2bdf.startsWith('0000:03') ? '0000:00:03.0' : '0000:00:02.0', driver: 'nvme', nvmeName: 'nvme1', dsn: [9, 9, 9, 9, 9, 9, 9, 9], ...o.nvme2 }),
  ];
  return buildFabric({ source: { method: 'snapshot', location: 'synthetic', live: false }, devices, host: { ...INTEL, ...o.host }, warnings: [] });
}

const withPairs = (f: Fabric): DiffSide => ({ fabric: f, pairs: pairsOf(f) });

test('synthetic: identical fabrics are identical (the builder is deterministic)', () => {
  const d = diffFabrics(withPairs(fabric()), withPairs(fabric()));
  assert.deepEqual(d.changes, []);
  assert.equal(d.compared.pairs, 2);
});

test('ACS turned on at a switch\'s downstream ports: one acs change per port, and the pair verdicts that moved', () => {
  const sw = (acs: AcsBitName[]) => makeFabric([
    { bdf: '0000:00:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '29c0', configBytes: 256 },
    { bdf: '0000:00:01.0', kind: 'root-port', acs: [] },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream' },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', acs },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'nvme', names: ['nvme0'], alias: 'nvme0', p2pmem: { size: 1 << 26, published: true } },
    { bdf: '0000:04:00.0', parent: '0000:02:01.0', kind: 'nvme', names: ['nvme1'], alias: 'nvme1', p2pmem: { size: 1 << 26, published: true } },
  ]);
  const base = withPairs(sw([]));
  const cur = withPairs(sw(IOMMU_ACS));
  const d = diffFabrics(base, cur);
  assert.deepEqual(brief(d.changes.filter((c) => c.kind === 'acs')), ['0000:02:00.0', '0000:02:01.0'].map((bdf) => ({
    kind: 'acs', bdf, message: 'ACS enabled: (none) → SrcValid ReqRedir CmpltRedir UpstreamFwd',
  })));
  // Behind one switch the pair was BUS_ADDR; with ReqRedir on the ports the kernel no longer says so.
  const pairs = d.changes.filter((c) => c.kind === 'pair');
  assert.deepEqual(pairs.map((c) => c.field), ['0000:03:00.0>0000:04:00.0', '0000:04:00.0>0000:03:00.0']);
  for (const c of pairs) assert.match(c.message, /^P2PDMA nvme\d \(0000:0[34]:00\.0\) → nvme\d \(0000:0[34]:00\.0\): BUS_ADDR → (?!BUS_ADDR)/);
  assert.deepEqual(d.changes.map((c) => c.kind).filter((k) => k !== 'acs' && k !== 'pair'), []);
});

test('pair verdict drift from given verdicts: one pair, text says from and to', () => {
  const f = fabric();
  const v = (verdict: string, mapType: string | null): PairVerdict[] => [{ client: '0000:01:00.0', provider: '0000:02:00.0', legend: 'PHB', verdict, mapType }];
  const d = diffFabrics({ fabric: f, pairs: v('THRU_HOST_BRIDGE', 'THRU_HOST_BRIDGE') }, { fabric: f, pairs: v('NOT_SUPPORTED', 'NOT_SUPPORTED') });
  assert.deepEqual(brief(d.changes), [{ kind: 'pair', bdf: '0000:01:00.0', message: 'P2PDMA nvme0 (0000:01:00.0) → nvme1 (0000:02:00.0): THRU_HOST_BRIDGE → NOT_SUPPORTED' }]);
  // An undecided verdict on one side (non-root) is a note, not drift.
  const u = diffFabrics({ fabric: f, pairs: v('THRU_HOST_BRIDGE', 'THRU_HOST_BRIDGE') }, { fabric: f, pairs: v('unknown: needs root', null) });
  assert.equal(u.identical, true);
  assert.match(u.notes.map((n) => n.message).join('\n'), /1 pair verdict undecided on one side/);
});

test('AER status bits newly set in config space', () => {
  const d = diffFabrics({ fabric: fabric() }, { fabric: fabric({ nvme1: { aer: { cor: 1 << 6, uncor: 1 << 14 } } }) });
  assert.deepEqual(brief(d.changes), [{ kind: 'aer', bdf: '0000:01:00.0', message: 'AER status newly set: uncorrectable.CmpltTO correctable.BadTLP' }]);
});

test('a device that moved to another slot is matched by its serial number, and its link drift is reported', () => {
  const d = diffFabrics({ fabric: fabric() }, { fabric: fabric({ nvme2: { bdf: '0000:03:00.0', width: 2 } }) });
  assert.deepEqual(d.changes.map((c) => [c.kind, c.bdf, c.baselineBdf]), [
    ['device-moved', '0000:03:00.0', '0000:02:00.0'],
    ['link', '0000:03:00.0', '0000:02:00.0'],
  ]);
  assert.match(d.changes[0].message, /^0000:02:00\.0 is now at 0000:03:00\.0 \(same 8086:1234 .*serial 09-09-09-09-09-09-09-09\)$/);
});

test('identical twins without serial numbers are not guessed: missing + added', () => {
  const a = fabric({ nvme1: { dsn: undefined, device: 0x5555 }, nvme2: { dsn: undefined, device: 0x5555 } });
  const b = fabric({ nvme1: { dsn: undefined, device: 0x5555 }, nvme2: { dsn: undefined, device: 0x5555, bdf: '0000:03:00.0' } });
  // Unique identity on each side after removing the common BDF: one missing, one added with the same IDs -> moved.
  const d = diffFabrics({ fabric: a }, { fabric: b });
  assert.deepEqual(d.changes.map((c) => c.kind), ['device-moved']);
  // Two disappear and two appear with the same IDs: ambiguous, so no pairing.
  const c = fabric({ nvme1: { dsn: undefined, device: 0x5555 }, nvme2: { dsn: undefined, device: 0x5555 } });
  const moved2 = buildFabric({
    source: c.source, host: c.host, warnings: [],
    devices: c.devices.map((dv) => dv.raw).map((r) => (r.bdf === '0000:01:00.0' ? { ...r, bdf: '0000:04:00.0' } : r.bdf === '0000:02:00.0' ? { ...r, bdf: '0000:05:00.0' } : r)),
  });
  const e = diffFabrics({ fabric: c }, { fabric: moved2 });
  assert.deepEqual(e.changes.map((x) => [x.kind, x.bdf]), [
    ['device-missing', '0000:01:00.0'], ['device-missing', '0000:02:00.0'], ['device-added', '0000:04:00.0'], ['device-added', '0000:05:00.0'],
  ]);
});

test('a different card in the same slot is "replaced", not a pile of field changes', () => {
  const d = diffFabrics({ fabric: fabric() }, { fabric: fabric({ nvme1: { vendor: 0x144d, device: 0xa80a, width: 8, driver: 'vfio-pci' } }) });
  assert.deepEqual(brief(d.changes), [{ kind: 'device-replaced', bdf: '0000:01:00.0', message: 'different device in this slot: 8086:1234 subsystem 0000:0000 class 010802 → 144d:a80a subsystem 0000:0000 class 010802' }]);
});

test('kernel config: only options that matter, "is not set" equals absent', () => {
  const cfg = (m: Record<string, string>) => ({ kernelConfig: new Map(Object.entries(m)) });
  const a = fabric({ host: cfg({ CONFIG_PCI_P2PDMA: 'y', CONFIG_SOUND: 'm', CONFIG_VFIO: 'n' }) });
  const b = fabric({ host: cfg({ CONFIG_PCI_P2PDMA: 'n', CONFIG_SOUND: 'n' }) });
  const d = diffFabrics({ fabric: a }, { fabric: b });
  assert.deepEqual(brief(d.changes), [{ kind: 'kernel-config', bdf: null, message: 'CONFIG_PCI_P2PDMA: y → n' }]);
});

test('--ignore drops kinds from the result and from the verdict', () => {
  const d = diffFabrics({ fabric: fabric() }, { fabric: fabric({ nvme1: { aer: { cor: 1 } } }) }, { ignore: ['aer'] });
  assert.equal(d.identical, true);
  assert.deepEqual(d.changes, []);
});

test('coverage: a non-root side (64 bytes) is noted, not reported as ACS or payload drift', () => {
  const a = fabric({ rootAcs: ACS_ON });
  const cut = buildFabric({
    source: a.source, host: a.host, warnings: [],
    devices: a.devices.map((d) => d.raw).map((r) => ({ ...r, config: new ConfigSpace(r.config.bytes, 64) })),
  });
  const d = diffFabrics(withPairs(a), withPairs(cut));
  assert.deepEqual(d.changes.filter((c) => c.kind !== 'link'), [], JSON.stringify(brief(d.changes)));
  assert.ok(d.notes.some((n) => /config space read: 4096 bytes in baseline, 64 in current/.test(n.message)));
});

test('device rules: one id each, and every per-device drift kind has a rule that reports it', () => {
  const ids = DEVICE_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, ids.join(' '));
  const fabricWide = new Set(['host', 'kernel-config', 'device-added', 'device-missing', 'device-moved', 'device-replaced', 'pair']);
  const ruled = new Set(DEVICE_RULES.map((r) => r.kind));
  assert.deepEqual(DRIFT_KINDS.filter((k) => !fabricWide.has(k) && !ruled.has(k)), []);
});
