// nvidia-smi legend classification on hand-built fabrics (the stelline test covers real machines).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLegend } from '../../../src/model/p2p/legend.js';
import { labFabric, makeFabric } from '../../helpers/p2p-fabric.js';

describe('classifyLegend', () => {
  const f = labFabric();
  const d = (bdf: string) => f.byBdf.get(bdf)!;
  it('X for the device itself', () => assert.equal(classifyLegend(f, d('0000:03:00.0'), d('0000:03:00.0')).legend, 'X'));
  it('PIX under one switch', () => {
    const r = classifyLegend(f, d('0000:03:00.0'), d('0000:04:00.0'));
    assert.equal(r.legend, 'PIX');
    assert.equal(r.commonBridge, '0000:01:00.0');
    assert.deepEqual([r.bridgesA, r.bridgesB], [1, 1]);
  });
  it('PIX for two functions under one root port', () => assert.equal(classifyLegend(f, d('0000:06:00.0'), d('0000:06:00.1')).legend, 'PIX'));
  it('PHB across root ports of one host bridge', () => assert.equal(classifyLegend(f, d('0000:03:00.0'), d('0000:05:00.0')).legend, 'PHB'));

  const multi = (numa: [number | null, number | null], nodes: number[] | null) => makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port', numaNode: numa[0] },
    { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream', numaNode: numa[0] },
    { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream', numaNode: numa[0] },
    { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream', numaNode: numa[0] },
    { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'switch-upstream', numaNode: numa[0] },
    { bdf: '0000:04:00.0', parent: '0000:03:00.0', kind: 'switch-downstream', numaNode: numa[0] },
    { bdf: '0000:05:00.0', parent: '0000:04:00.0', kind: 'gpu', numaNode: numa[0] },
    { bdf: '0000:06:00.0', parent: '0000:02:01.0', kind: 'nic', numaNode: numa[0] },
    { bdf: '0000:40:01.0', kind: 'root-port', numaNode: numa[0] },
    { bdf: '0000:41:00.0', parent: '0000:40:01.0', kind: 'gpu', numaNode: numa[0] },
    { bdf: '0000:80:01.0', kind: 'root-port', numaNode: numa[1] },
    { bdf: '0000:81:00.0', parent: '0000:80:01.0', kind: 'gpu', numaNode: numa[1] },
  ], { numaNodes: nodes });

  it('PXB through cascaded switches', () => {
    const g = multi([0, 1], [0, 1]);
    const r = classifyLegend(g, g.byBdf.get('0000:05:00.0')!, g.byBdf.get('0000:06:00.0')!);
    assert.equal(r.legend, 'PXB');
    assert.deepEqual([r.bridgesA, r.bridgesB], [3, 1]);
  });
  it('two bridges on one side (a PCI bridge behind a switch port) is already PXB', () => {
    const g = makeFabric([
      { bdf: '0000:00:01.0', kind: 'root-port' },
      { bdf: '0000:01:00.0', parent: '0000:00:01.0', kind: 'switch-upstream' },
      { bdf: '0000:02:00.0', parent: '0000:01:00.0', kind: 'switch-downstream' },
      { bdf: '0000:02:01.0', parent: '0000:01:00.0', kind: 'switch-downstream' },
      { bdf: '0000:03:00.0', parent: '0000:02:00.0', kind: 'bridge' },
      { bdf: '0000:04:00.0', parent: '0000:03:00.0', kind: 'nic' },
      { bdf: '0000:05:00.0', parent: '0000:02:01.0', kind: 'gpu' },
    ]);
    const r = classifyLegend(g, g.byBdf.get('0000:04:00.0')!, g.byBdf.get('0000:05:00.0')!);
    assert.deepEqual([r.legend, r.bridgesA, r.bridgesB], ['PXB', 2, 1]);
  });

  it('NODE between host bridges of one node, SYS across nodes', () => {
    const g = multi([0, 1], [0, 1]);
    assert.equal(classifyLegend(g, g.byBdf.get('0000:05:00.0')!, g.byBdf.get('0000:41:00.0')!).legend, 'NODE');
    assert.equal(classifyLegend(g, g.byBdf.get('0000:05:00.0')!, g.byBdf.get('0000:81:00.0')!).legend, 'SYS');
  });
  it('NUMA unknown: NODE only when the machine has one node, otherwise unknown', () => {
    const one = multi([null, null], [0]);
    assert.equal(classifyLegend(one, one.byBdf.get('0000:05:00.0')!, one.byBdf.get('0000:81:00.0')!).legend, 'NODE');
    const two = multi([-1, -1], [0, 1]);
    const r = classifyLegend(two, two.byBdf.get('0000:05:00.0')!, two.byBdf.get('0000:81:00.0')!);
    assert.equal(r.legend, null);
    assert.match(r.why, /NUMA placement unknown/);
  });
});
