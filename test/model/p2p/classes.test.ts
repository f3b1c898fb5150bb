// Pairs by equivalence (issue 16): the matrix computed once per pair of endpoint classes and re-labelled
// equals the per-pair rules pair for pair (every field, and the JSON bytes), folded and with --vfs, on
// hand-built fabrics, generated sysfs trees and the refdata machines with VFs grafted on, for several
// kernel releases, IOMMU on and off and ACS variants; a wrong class key is caught by the same comparison.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateFabric } from '../../../bench/gen-fabric.js';
import { loadFabric } from '../../../src/access/load.js';
import { writeMatrixCellsJson, writeMatrixJson } from '../../../src/format/matrix-json.js';
import {
  bindCell, classKey, endpointClasses, farClassKey, pairsByClass, matrixCells, mentions, splitOnBdfs, type ClassKeyFn,
} from '../../../src/model/p2p/classes.js';
import { candidatePairs, p2pCandidates } from '../../../src/model/doctor/index.js';
import type { DoctorInput } from '../../../src/model/doctor/types.js';
import { computeP2pdma } from '../../../src/model/p2p/kernel-rules.js';
import { foldVfs, hasP2pmem, matrixHead, matrixPair, matrixPairCells, matrixPairs, selectEndpoints, type MatrixPair } from '../../../src/model/p2p/matrix.js';
import type { P2pdmaOptions } from '../../../src/model/p2p/kernel-rules.js';
import { hostBridgeOf } from '../../../src/model/p2p/walk.js';
import { ACS_BIT_NAMES, type AcsBitName, type Device, type Fabric } from '../../../src/model/types.js';
import { graftVfs } from '../../helpers/graft-vfs.js';
import { AMD_ZEN1_HOST, INTEL_HOST, IOMMU_ACS, makeFabric, type DevSpec } from '../../helpers/p2p-fabric.js';
import { HWLOC_TREES, haveRefdata, hwlocRoot } from '../../helpers/refdata.js';
import { tempDirRemovedAtExit } from '../../helpers/temp-dir.js';

const KERNELS: (string | null)[] = ['4.19.0', '5.3.0', '5.10.0-28-amd64', '6.8.0-45-generic', 'latest', null];

/** The per-pair rules over every ordered pair: the reference the classes must equal. */
function perPair(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions): MatrixPair[] {
  return devs.flatMap((a) => devs.map((b) => matrixPair(fabric, a, b, opts)));
}

/** The first pair whose class-path cell differs from the per-pair one (null: none), with `keyOf` as the class key. */
function firstMismatch(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions, keyOf: ClassKeyFn = classKey, farKeyOf = farClassKey): string | null {
  const want = perPair(fabric, devs, opts);
  const classes = endpointClasses(fabric, devs, keyOf, farKeyOf);
  let i = 0;
  for (const cell of matrixCells(fabric, devs, (a, b) => matrixPair(fabric, a, b, opts), classes)) {
    const got = bindCell(cell);
    try {
      assert.deepStrictEqual(got, want[i]);
    } catch {
      return `${want[i].client} -> ${want[i].provider}`;
    }
    i++;
  }
  return i === want.length ? null : `${i} cells for ${want.length} pairs`;
}

/** Class path against the per-pair rules: objects pair for pair, then the streamed JSON byte for byte. */
function assertSame(fabric: Fabric, devs: readonly Device[], opts: P2pdmaOptions, what: string): void {
  const want = perPair(fabric, devs, opts);
  const got = [...matrixPairs(fabric, devs, opts)];
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.deepStrictEqual(g, want[i], `${what}: ${want[i].client} -> ${want[i].provider}`));
  const head = matrixHead(fabric, devs, null, opts);
  let reference = '';
  writeMatrixJson(head, want, (t) => { reference += t; });
  const chunks: Buffer[] = [];
  writeMatrixCellsJson(head, matrixPairCells(fabric, devs, opts), (b) => chunks.push(Buffer.from(b)));
  assert.equal(Buffer.concat(chunks).toString('utf8'), reference, `${what}: JSON bytes`);
}

/** Both views a matrix has: VFs folded into their PF (the default) and expanded (--vfs), over every endpoint. */
function views(fabric: Fabric): [string, Device[]][] {
  const all = selectEndpoints(fabric, { all: true });
  return [['folded', foldVfs(all).shown], ['--vfs', all]];
}

/** The same fabric with another host (IOMMU on/off, CPU), as its own object (the rules keep memos per fabric). */
function withHost(f: Fabric, host: Partial<Fabric['host']>): Fabric {
  return { ...f, host: { ...f.host, ...host } };
}

/** The same fabric with the ACS control of some functions replaced (a full config space read, as root). */
function withAcs(f: Fabric, bitsOf: (d: Device) => AcsBitName[] | null): Fabric {
  const devices = f.devices.map((d) => {
    const bits = bitsOf(d);
    if (bits === null) return d;
    const ctlRaw = bits.reduce((m, b) => m | (1 << ACS_BIT_NAMES.indexOf(b)), 0);
    return { ...d, acs: { offset: 0x148, capRaw: 0x7f, ctlRaw, capable: [...ACS_BIT_NAMES], enabled: bits }, capabilities: { ...d.capabilities, complete: true } };
  });
  const byBdf = new Map(devices.map((d) => [d.bdf, d]));
  return { ...f, devices, byBdf, roots: devices.filter((d) => d.parent === null), host: { ...f.host, isRoot: true } };
}

const isBridge = (d: Device) => ['root-port', 'switch-upstream', 'switch-downstream', 'bridge'].includes(d.kind);

/**
 * A hand-built node with every case the classes must get right: a switch with two GPUs and a NIC PF
 * whose VFs sit on its own slot and on the next ones, a two-function NVMe card, an endpoint with its
 * own ACS redirect and one with unreadable config space below one port, p2pmem on some providers,
 * root-bus endpoints (00.0, which the host-bridge check names, and 05.0, alike but for its BDF), a second host bridge on
 * another NUMA node and one whose node is unknown.
 */
function handBuilt(rpAcs: AcsBitName[], dpAcs: AcsBitName[], host = INTEL_HOST): Fabric {
  const gpu = (bdf: string, parent: string, x: Partial<DevSpec> = {}): DevSpec => ({ bdf, parent, kind: 'gpu', vendorId: '10de', deviceId: '2330', numaNode: 0, ...x });
  const specs: DevSpec[] = [
    { bdf: '0000:00:00.0', kind: 'accelerator', vendorId: '8086', deviceId: '0b25', numaNode: 0 },
    { bdf: '0000:00:05.0', kind: 'accelerator', vendorId: '8086', deviceId: '0b25', numaNode: 0 },
    { bdf: '0000:00:04.0', kind: 'accelerator', vendorId: '8086', deviceId: '0b25', numaNode: 0, p2pmem: { size: 1 << 20, published: true } },
    { bdf: '0000:00:01.0', kind: 'root-port', vendorId: '8086', deviceId: '347a', acs: rpAcs, numaNode: 0 },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', vendorId: '10b5', deviceId: 'c010', numaNode: 0 },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: dpAcs, numaNode: 0 },
    { bdf: '0000:02:04.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: dpAcs, numaNode: 0 },
    { bdf: '0000:02:08.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: dpAcs, numaNode: 0 },
    { bdf: '0000:02:0c.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: [], numaNode: 0 },
    gpu('0000:03:00.0', '0000:02:00.0', { p2pmem: { size: 1 << 30, published: true } }),
    gpu('0000:04:00.0', '0000:02:04.0'),
    { bdf: '0000:05:00.0', parent: '0000:02:08.0', kind: 'nic', vendorId: '15b3', deviceId: '101d', numaNode: 0 },
    { bdf: '0000:05:00.1', parent: '0000:02:08.0', kind: 'nic', vendorId: '15b3', deviceId: '101d', numaNode: 0, acs: ['ReqRedir', 'CmpltRedir'] },
    // VFs of 05:00.0: three on the PF's own slot, five on the next one (one with p2pmem).
    ...['0000:05:00.2', '0000:05:00.3', '0000:05:00.4', '0000:05:01.0', '0000:05:01.1', '0000:05:01.2', '0000:05:01.3', '0000:05:01.4'].map((bdf, k): DevSpec => ({
      bdf, parent: '0000:02:08.0', kind: 'nic', vendorId: '15b3', deviceId: '101e', numaNode: 0, physfn: '0000:05:00.0', ...(k === 7 ? { p2pmem: { size: 4096, published: false } } : {}),
    })),
    { bdf: '0000:06:00.0', parent: '0000:02:0c.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0 },
    { bdf: '0000:06:00.1', parent: '0000:02:0c.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0 },
    { bdf: '0000:06:01.0', parent: '0000:02:0c.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0, configBytes: 64 },
    // A cascaded switch below the first: a GPU two switches deep (a longer walk from the same root port).
    { bdf: '0000:02:10.0', parent: '0000:01:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: dpAcs, numaNode: 0 },
    { bdf: '0000:08:00.0', parent: '0000:02:10.0', kind: 'switch-upstream', vendorId: '10b5', deviceId: 'c010', numaNode: 0 },
    { bdf: '0000:09:00.0', parent: '0000:08:00.0', kind: 'switch-downstream', vendorId: '10b5', deviceId: 'c010', acs: dpAcs, numaNode: 0 },
    gpu('0000:0a:00.0', '0000:09:00.0'),
    // Two more root ports of the same host bridge, NVMe below them.
    { bdf: '0000:00:02.0', kind: 'root-port', vendorId: '8086', deviceId: '347a', acs: rpAcs, numaNode: 0 },
    { bdf: '0000:0b:00.0', parent: '0000:00:02.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0 },
    { bdf: '0000:0b:01.0', parent: '0000:00:02.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0 },
    { bdf: '0000:00:03.0', kind: 'root-port', vendorId: '8086', deviceId: '347a', acs: rpAcs, numaNode: 0 },
    { bdf: '0000:0f:00.0', parent: '0000:00:03.0', kind: 'nvme', vendorId: '144d', deviceId: 'a824', numaNode: 0 },
    // A bridge the tree shows as a plain endpoint (as with --all on odd hardware), with a function below it.
    { bdf: '0000:0b:02.0', parent: '0000:00:02.0', kind: 'endpoint', numaNode: 0 },
    { bdf: '0000:0e:00.0', parent: '0000:0b:02.0', kind: 'endpoint', numaNode: 0 },
    { bdf: '0000:80:00.0', kind: 'host-bridge', vendorId: '8086', deviceId: '09a2', numaNode: 1, configBytes: 256 },
    { bdf: '0000:80:01.0', kind: 'root-port', vendorId: '8086', deviceId: '347a', acs: rpAcs, numaNode: 1 },
    gpu('0000:81:00.0', '0000:80:01.0', { numaNode: 1 }),
    gpu('0000:81:00.1', '0000:80:01.0', { numaNode: 1, kind: 'endpoint' }),
    { bdf: '0000:c0:02.0', kind: 'root-port', vendorId: '1022', deviceId: '1483', acs: rpAcs, numaNode: null },
    gpu('0000:c1:00.0', '0000:c0:02.0', { numaNode: null }),
    gpu('0000:c2:00.0', '0000:c0:02.0', { numaNode: null }),
  ];
  return makeFabric(specs, host);
}

describe('matrix by endpoint classes equals the per-pair rules', () => {
  it('hand-built node: every kernel release, IOMMU on/off, Intel/AMD/unknown CPU, ACS variants, folded and --vfs', () => {
    const acsCases: [AcsBitName[], AcsBitName[]][] = [[[], []], [IOMMU_ACS, IOMMU_ACS], [[], ['ReqRedir']], [['EgressCtrl'], []]];
    const hosts = [INTEL_HOST, { ...INTEL_HOST, iommuEnabled: true }, AMD_ZEN1_HOST, { ...INTEL_HOST, cpuVendor: null, cpuFamily: null, numaNodes: null, isRoot: false }];
    let classesFewer = false;
    for (const [rp, dp] of acsCases) {
      for (const host of hosts) {
        const fabric = handBuilt(rp, dp, host);
        for (const [view, devs] of views(fabric)) {
          const cl = endpointClasses(fabric, devs);
          classesFewer ||= cl.count < devs.length && cl.farCount < devs.length;
          // Every release on two of the cases, the unknown and newest release on the others (the suite's time).
          const kernels = host === hosts[1] || host === hosts[2] ? KERNELS : ['latest', null];
          for (const kernel of kernels) assertSame(fabric, devs, { kernel }, `${view} rp=${rp} dp=${dp} iommu=${host.iommuEnabled} cpu=${host.cpuVendor} kernel=${kernel}`);
        }
      }
    }
    assert.ok(classesFewer, 'some endpoints share a class (else nothing was re-labelled)');
  });

  it('generated sysfs trees (bench/gen-fabric.ts) with VFs, in one and two PCI domains', async () => {
    const dir = tempDirRemovedAtExit('p2p-classes-gen-');
    const shapes = [
      { functions: 0, sockets: 2, hostBridgesPerSocket: 1, vfsPerPf: 5 },
      { functions: 0, sockets: 1, hostBridgesPerSocket: 2, vfsPerPf: 3, domains: 2, switchPorts: [['gpu', 'nic2', 'nvme', 'brcm2']] },
    ];
    for (const [k, shape] of shapes.entries()) {
      const root = path.join(dir, String(k));
      generateFabric(root, shape);
      const fabric = await loadFabric({ root });
      for (const [view, devs] of views(fabric)) {
        assert.ok(endpointClasses(fabric, devs).count < devs.length || view === 'folded');
        for (const f of [fabric, withHost(fabric, { iommuEnabled: false })]) {
          for (const kernel of ['5.3.0', '6.8.0-generated', null]) assertSame(f, devs, { kernel }, `shape ${k} ${view} kernel=${kernel}`);
        }
      }
    }
  });

  const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';
  for (const tree of HWLOC_TREES) {
    it(`refdata ${tree} with VFs grafted on its endpoints`, { skip: noRef }, async () => {
      const dest = tempDirRemovedAtExit('p2p-classes-ref-');
      execFileSync('cp', ['-a', hwlocRoot(tree), dest]);
      const root = path.join(dest, path.basename(hwlocRoot(tree)));
      const before = await loadFabric({ root });
      // Up to three PFs: the first with VFs on its own slot (offset 1), the others ARI-like (offset 8).
      const pfs = selectEndpoints(before, { all: true }).filter((d) => !d.physfn).slice(0, 3);
      const grafted = pfs.map((pf, k) => graftVfs(root, pf.bdf, { count: k === 0 ? 4 : 6, offset: k === 0 ? 1 : 8 })).filter((x) => x !== null);
      const fabric = await loadFabric({ root });
      const vfs = fabric.devices.filter((d) => d.physfn);
      assert.ok(grafted.length > 0, 'VFs were grafted on at least one PF');
      assert.equal(vfs.length, grafted.flat().length, 'every grafted VF is read back as a VF');
      for (const v of vfs) assert.ok(fabric.byBdf.get(v.physfn!), `${v.bdf}'s PF is in the fabric`);
      const variants: [string, Fabric][] = [
        ['as captured', fabric],
        ['IOMMU on', withHost(fabric, { iommuEnabled: true })],
        ['IOMMU off', withHost(fabric, { iommuEnabled: false })],
        ['ACS redirect on bridges', withAcs(fabric, (d) => (isBridge(d) ? IOMMU_ACS : d.physfn ? null : []))],
        ['ACS clear, redirect on one endpoint', withAcs(fabric, (d) => (d.bdf === pfs[0]?.bdf ? ['ReqRedir'] : isBridge(d) ? [] : null))],
      ];
      for (const [name, f] of variants) {
        for (const [view, devs] of views(f)) {
          const kernels = name === 'as captured' ? ['5.3.0', '6.8.0-45-generic', null] : [null];
          for (const kernel of kernels) assertSame(f, devs, { kernel }, `${tree} ${name} ${view} kernel=${kernel}`);
        }
      }
    });
  }
});

describe('verdicts by class for callers that pick their own pairs', () => {
  it('pairsByClass gives computeP2pdma\'s verdict for every pair, asked in any order; doctor\'s candidate pairs equal the per-pair rules', () => {
    for (const host of [INTEL_HOST, { ...INTEL_HOST, iommuEnabled: true }]) {
      const fabric = handBuilt(IOMMU_ACS, ['ReqRedir'], host);
      const devs = selectEndpoints(fabric, { all: true });
      for (const kernel of ['5.3.0', 'latest', null]) {
        const by = pairsByClass(fabric, devs, (a, b) => computeP2pdma(fabric, a, b, { kernel }));
        for (const a of [...devs].reverse()) for (const b of devs) assert.deepStrictEqual(by(a, b), computeP2pdma(fabric, a, b, { kernel }), `${a.bdf} -> ${b.bdf} kernel=${kernel}`);
      }
      const cands = p2pCandidates({ fabric } as DoctorInput);
      const want = cands.flatMap((a, i) => cands.slice(i + 1).map((b) => {
        const [client, provider] = hasP2pmem(a) && !hasP2pmem(b) ? [b, a] : [a, b];
        return { client: client.bdf, provider: provider.bdf, verdict: computeP2pdma(fabric, client, provider) };
      }));
      assert.deepStrictEqual(candidatePairs({ fabric } as DoctorInput, cands), want);
    }
  });
});

describe('the comparison catches a wrong class key', () => {
  it('a key that leaves out the upstream bridge, the endpoint\'s own ACS, its p2pmem, the bridge-above rule, the walk\'s top or length makes some pair differ', () => {
    const fabric = handBuilt([], ['ReqRedir'], { ...INTEL_HOST, iommuEnabled: true });
    const devs = selectEndpoints(fabric, { all: true });
    assert.equal(firstMismatch(fabric, devs, {}), null, 'the real key agrees');
    const wrong: [string, ClassKeyFn][] = [
      ['host bridge only', (f, d) => hostBridgeOf(f, d)],
      ['no own ACS', (f, d, parents) => classKey(f, { ...d, acs: null, capabilities: { ...d.capabilities, complete: true } }, parents)],
      ['no p2pmem', (f, d, parents) => classKey(f, { ...d, p2pmem: null }, parents)],
      // The real key, without making a function that is the bridge above another a class of its own.
      ['no bridge-above rule', (f, d) => classKey(f, d, new Set())],
    ];
    for (const [name, keyOf] of wrong) {
      const miss = firstMismatch(fabric, devs, {}, keyOf);
      assert.notEqual(miss, null, `${name}: the comparison must see a difference`);
    }
    const wrongFar: [string, typeof farClassKey][] = [
      ['far key without the walk\'s length', (f, d) => farClassKey(f, d)?.replace(/\|\d+\|/, '|') ?? null],
      ['far key without the walk\'s top', (f, d) => farClassKey(f, d)?.replace(/^[^|]*\|/, '') ?? null],
    ];
    for (const [name, farKeyOf] of wrongFar) {
      assert.notEqual(firstMismatch(fabric, devs, {}, classKey, farKeyOf), null, `${name}: the comparison must see a difference`);
    }
  });
});

describe('re-labelling', () => {
  it('a whole BDF is named, not one inside a longer domain; splitting and re-joining gives the text back', () => {
    assert.equal(mentions('ACS on 10000:01:00.0 (x)', '0000:01:00.0'), false);
    assert.equal(mentions('0000:01:00.0 and 0000:01:00.1', '0000:01:00.1'), true);
    const text = '"0000:03:00.0" below 0000:02:00.0, not 10000:03:00.0: 0000:03:00.0 -> 0000:04:00.0';
    const { pieces, slots } = splitOnBdfs(text, '0000:03:00.0', '0000:04:00.0');
    assert.deepEqual(slots, [0, 0, 1]);
    const join = (c: string, p: string) => pieces.reduce((s, piece, i) => s + (i ? (slots[i - 1] === 0 ? c : p) : '') + piece, '');
    assert.equal(join('0000:03:00.0', '0000:04:00.0'), text);
    assert.equal(join('0000:09:00.0', '0000:0a:00.0'), '"0000:09:00.0" below 0000:02:00.0, not 10000:03:00.0: 0000:09:00.0 -> 0000:0a:00.0');
  });

  it('a template shared by many pairs is computed once: --vfs on the generated node runs far fewer rules than pairs', async () => {
    const root = path.join(tempDirRemovedAtExit('p2p-classes-count-'), 'n');
    generateFabric(root, { functions: 0, sockets: 1, hostBridgesPerSocket: 1, vfsPerPf: 20 });
    const fabric = await loadFabric({ root });
    const devs = selectEndpoints(fabric);
    let computed = 0;
    let cells = 0;
    for (const _ of matrixCells(fabric, devs, (a, b) => { computed++; return matrixPair(fabric, a, b); })) cells++;
    assert.equal(cells, devs.length ** 2);
    assert.ok(computed * 10 < cells, `${computed} computations for ${cells} pairs`);
    assert.ok(fs.existsSync(root));
  });
});
