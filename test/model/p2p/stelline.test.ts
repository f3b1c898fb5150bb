// Real machines nobody here built: the stelline lspci -tv trees against their nvidia-smi topo -m matrices.
// Every GPU/NIC cell must come out the same; the matrices list only GPUs and NICs, so only those are compared.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyLegend } from '../../../src/model/p2p/legend.js';
import { computeP2pdma } from '../../../src/model/p2p/kernel-rules.js';
import { buildMatrix, selectEndpoints } from '../../../src/model/p2p/matrix.js';
import type { Device, Fabric } from '../../../src/model/types.js';
import { REPO_ROOT } from '../../helpers/refdata.js';
import { fabricFromLspciTree, parseNumaTable, parseTopo, type TopoMatrix } from '../../helpers/lspci-tree.js';

const FIX = path.join(REPO_ROOT, 'test/fixtures/nvtopo');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');

interface Machine { name: string; fabric: Fabric; topo: TopoMatrix; byLabel: Map<string, Device> }

function load(name: string, nodes: number[]): Machine {
  // Both machines are AMD (Genoa = family 0x19, Threadripper PRO 7000 = family 0x19), per their lscpu sections.
  const fabric = fabricFromLspciTree(read(`${name}.lspci-tv.txt`), parseNumaTable(read(`${name}.numa.txt`)), {
    cpuVendor: 'AuthenticAMD', cpuFamily: 0x19, numaNodes: nodes, iommuEnabled: false, isRoot: true,
  });
  const topo = parseTopo(read(`${name}.topo.txt`));
  // nvidia-smi numbers GPUs in PCI bus order; mlx5_N are the ConnectX functions in BDF order.
  const gpus = fabric.devices.filter((d) => d.kind === 'gpu');
  const cx = fabric.devices.filter((d) => d.kind === 'nic' && /ConnectX/.test(d.deviceName ?? ''));
  const byLabel = new Map<string, Device>();
  gpus.forEach((d, i) => byLabel.set(`GPU${i}`, d));
  for (const [nic, mlx] of topo.nicNames) {
    const idx = Number(/mlx5_(\d+)/.exec(mlx)![1]);
    byLabel.set(nic, cx[idx]);
  }
  return { name, fabric, topo, byLabel };
}

const machines = [
  load('asus-esc8000a-e12', [0, 1]),
  load('puget-threadripper-pro-wrx90', [0]),
];

for (const m of machines) {
  describe(`stelline ${m.name}`, () => {
    it('the tree has every device the matrix names', () => {
      assert.equal(m.byLabel.size, m.topo.labels.length);
      for (const l of m.topo.labels) assert.ok(m.byLabel.get(l), `${l} has a device`);
    });

    it('every legend cell matches nvidia-smi topo -m', () => {
      let compared = 0;
      const mismatches: string[] = [];
      for (const row of m.topo.labels) {
        for (const col of m.topo.labels) {
          const want = m.topo.cells.get(`${row}|${col}`);
          const got = classifyLegend(m.fabric, m.byLabel.get(row)!, m.byLabel.get(col)!).legend;
          compared++;
          if (got !== want) mismatches.push(`${row}->${col}: want ${want}, got ${got}`);
        }
      }
      assert.deepEqual(mismatches, []);
      assert.equal(compared, m.topo.labels.length ** 2);
    });

    it('CPU and NUMA affinity columns match', () => {
      const devs = m.topo.labels.map((l) => m.byLabel.get(l)!);
      const report = buildMatrix(m.fabric, devs);
      for (const [label, cpus] of m.topo.cpuAffinity) {
        const d = report.devices.find((x) => x.bdf === m.byLabel.get(label)!.bdf)!;
        assert.equal(d.cpuAffinity, cpus, label);
        assert.equal(d.numaNode, m.topo.numaAffinity.get(label), label);
      }
    });

    it('kernel verdicts: AMD Zen routes cross-root-port pairs through the host bridge; one root port is direct', () => {
      for (const row of m.topo.labels) {
        for (const col of m.topo.labels) {
          const a = m.byLabel.get(row)!;
          const b = m.byLabel.get(col)!;
          const legend = m.topo.cells.get(`${row}|${col}`);
          const v = computeP2pdma(m.fabric, a, b);
          const want = legend === 'X' || legend === 'PIX' || legend === 'PXB' ? 'BUS_ADDR' : 'THRU_HOST_BRIDGE';
          assert.equal(v.mapType, want, `${row}->${col} (${legend})`);
        }
      }
    });

    it('the default matrix adds the NVMe drives the nvidia-smi view leaves out', () => {
      const devs = selectEndpoints(m.fabric);
      assert.ok(devs.some((d) => d.kind === 'nvme'));
      assert.ok(devs.every((d) => !['root-port', 'switch-upstream', 'switch-downstream', 'host-bridge', 'bridge'].includes(d.kind)));
    });
  });
}

describe('stelline NVMe behind cascaded switches (not in the nvidia-smi view)', () => {
  const asus = machines[0].fabric;
  const d = (bdf: string) => asus.byBdf.get(bdf)!;
  it('two drives on one HighPoint switch are PIX, across its two switch levels PXB, to a GPU of the same socket NODE', () => {
    assert.equal(classifyLegend(asus, d('0000:65:00.0'), d('0000:66:00.0')).legend, 'PIX');
    assert.equal(classifyLegend(asus, d('0000:65:00.0'), d('0000:6b:00.0')).legend, 'PXB');
    assert.equal(classifyLegend(asus, d('0000:65:00.0'), d('0000:01:00.0')).legend, 'NODE');
    assert.equal(classifyLegend(asus, d('0000:65:00.0'), d('0000:c1:00.0')).legend, 'SYS');
    assert.equal(classifyLegend(asus, d('0000:02:00.0'), d('0000:01:00.0')).legend, 'PHB');
  });
  it('kernel: drives behind the cascaded switches are BUS_ADDR with the switch hop count', () => {
    const v = computeP2pdma(asus, d('0000:65:00.0'), d('0000:6b:00.0'));
    assert.equal(v.mapType, 'BUS_ADDR');
    assert.equal(v.commonUpstream, '0000:61:00.0');
    assert.equal(v.distance, 8);
  });
});
