// The GPU peer-access matrix against a real machine's nvidia-smi topo -m (the stelline fixture): runtime
// ordinals mapped to PCI functions by bus id, nvidia-smi's labels by PCI bus order, legends compared per pair.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGpuMatrix, deviceForBusId } from '../../../src/model/p2p/gpu-matrix.js';
import { parseTopo } from '../../../src/model/p2p/nvsmi-topo.js';
import { REPO_ROOT } from '../../helpers/refdata.js';
import { fabricFromLspciTree, parseNumaTable } from '../../helpers/lspci-tree.js';

const FIX = path.join(REPO_ROOT, 'test/fixtures/nvtopo');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');
const name = 'asus-esc8000a-e12';
const fabric = fabricFromLspciTree(read(`${name}.lspci-tv.txt`), parseNumaTable(read(`${name}.numa.txt`)), {
  cpuVendor: 'AuthenticAMD', cpuFamily: 0x19, numaNodes: [0, 1], iommuEnabled: false, isRoot: true,
});
const topoText = read(`${name}.topo.txt`);
const gpus = fabric.devices.filter((d) => d.kind === 'gpu');
// A runtime that numbers the GPUs backwards (CUDA_DEVICE_ORDER=FASTEST_FIRST can) and writes 8-digit domains.
const runtime = [...gpus].reverse().map((d, i) => ({ ordinal: i, pciBusId: `0000${d.bdf.toUpperCase()}` }));
const all = runtime.map((_, i) => runtime.map((__, j) => (i === j ? null : true)));

describe('GPU peer-access matrix', () => {
  it('maps runtime bus ids to fabric functions and nvidia-smi labels by bus order', () => {
    assert.equal(deviceForBusId(fabric, runtime[0].pciBusId), gpus[gpus.length - 1]);
    assert.equal(deviceForBusId(fabric, 'garbage'), null);
    const m = buildGpuMatrix(fabric, runtime, all, parseTopo(topoText));
    assert.equal(m.devices[0].smiLabel, `GPU${gpus.length - 1}`);
    assert.equal(m.devices[m.devices.length - 1].smiLabel, 'GPU0');
    assert.equal(m.pairs.length, gpus.length * (gpus.length - 1));
  });

  it('every pair: our legend equals nvidia-smi\'s, beside the driver answer and our verdict', () => {
    const m = buildGpuMatrix(fabric, runtime, all, parseTopo(topoText));
    assert.deepEqual(m.pairs.filter((p) => p.legendAgrees !== true).map((p) => `${p.a}->${p.b} ${p.legend} vs ${p.smiLegend}`), []);
    assert.ok(m.pairs.every((p) => p.driverPeer === true && p.verdict !== null));
  });

  it('a different nvidia-smi cell is reported as a mismatch', () => {
    const t = parseTopo(topoText);
    const cell = [...t.cells.keys()].find((k) => k.startsWith('GPU0|GPU1'))!;
    t.cells.set(cell, t.cells.get(cell) === 'SYS' ? 'PIX' : 'SYS');
    const m = buildGpuMatrix(fabric, runtime, all, t);
    assert.equal(m.pairs.filter((p) => p.legendAgrees === false).length, 1);
    assert.throws(() => parseTopo('not a matrix'), /not nvidia-smi topo -m output/);
  });
});
