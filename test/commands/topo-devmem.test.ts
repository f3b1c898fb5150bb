// topo and show name the device-memory mechanisms behind each PCI function (text and JSON), and say
// nothing new where there are none.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTopo } from '../../src/commands/topo.js';
import { runShow } from '../../src/commands/show.js';
import { collectIO } from '../helpers/collect-io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.resolve(here, '../../../test/fixtures/devmem', name);

test('topo text: one line per mechanism under its function, the rest after the tree', async () => {
  const io = collectIO();
  assert.equal(await runTopo({ root: fixture('handmade') }, io), 0);
  const lines = io.text().split('\n');
  const at = lines.findIndex((l) => l.includes('0000:05:00.0'));
  assert.match(lines[at + 1], /^ {6}▸ dma-buf dma-buf ino 31: imports amdgpu's 2 MiB buffer$/);
  assert.match(io.text(), /▸ VRAM amdgpu 0000:43:00\.0: small BAR: 256 MiB of 16 GiB VRAM visible/);
  const lab = collectIO();
  await runTopo({ root: fixture('lab-v2') }, lab);
  assert.match(lab.text(), /device memory with no PCI function\n {3}▸ device-DAX \/dev\/dax0\.0: size 250 MiB, align 2 MiB, target node 0/);
});

test('topo --json: a memory array on the functions that have mechanisms, and one for the rest', async () => {
  const io = collectIO();
  await runTopo({ root: fixture('lab-v2'), json: true }, io);
  const j = JSON.parse(io.text());
  const byBdf = new Map(j.devices.map((d: { bdf: string }) => [d.bdf, d]));
  assert.deepEqual((byBdf.get('0000:01:00.0') as { memory: unknown }).memory, [{ kind: 'rdma', node: 'mlx5_0', pci: '0000:01:00.0', detail: ['netdev ens1f0'], sizeBytes: null }]);
  assert.equal('memory' in (byBdf.get('0000:00:02.0') as object), false, 'no key on a function without mechanisms');
  assert.deepEqual(j.memory.map((m: { node: string }) => m.node), ['/dev/dax0.0', 'rxe0', '/dev/video1', '/dev/dvb/adapter0/demux0', '/dev/hmm_dmirror0', '/dev/hmm_dmirror1']);
  assert.deepEqual(Object.keys(j).slice(-2), ['memory', 'warnings']);
});

test('show: a Device memory section and a memory array, only where the function has mechanisms', async () => {
  const io = collectIO();
  await runShow({ root: fixture('handmade'), device: '0000:35:00.0' }, io);
  assert.match(io.text(), /\nDevice memory\n {2}CXL memdev mem0: ram 256 MiB, pmem 0 B, serial 0x0\n/);
  const j = collectIO();
  await runShow({ root: fixture('handmade'), device: '0000:35:00.0', json: true }, j);
  assert.equal(JSON.parse(j.text()).memory[0].kind, 'cxl');
  const none = collectIO();
  await runShow({ root: fixture('lab-v2'), device: '0000:00:02.0', json: true }, none);
  assert.equal('memory' in JSON.parse(none.text()), false);
});
