// dma-buf, CXL, /proc/iomem, amdgpu/KFD and peer modules, on the hand-made fixture
// (test/fixtures/devmem/handmade, see its SOURCE: the QEMU lab cannot show amdgpu, KFD or nvidia modules).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readMemMechanisms } from '../../src/access/mem-mechanisms.js';
import { decodeMemMechanisms, deviceMemoryRanges, kfdNodeBdf, parseBufinfo, parseProperties } from '../../src/model/mem-mechanisms.js';
import { runDoctorChecks } from '../../src/model/doctor/index.js';
import { known } from '../../src/model/doctor/types.js';
import { input } from '../helpers/doctor-fixtures.js';
import { makeFabric } from '../helpers/p2p-fabric.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../test/fixtures/devmem/handmade');

test('bufinfo: buffers, exporters, sizes and attached devices', () => {
  const raw = readMemMechanisms(root);
  const bufs = parseBufinfo(raw.dmabuf!.bufinfo.text!);
  assert.deepEqual(bufs.map((b) => [b.exporter, b.size, b.inode, b.attached]), [
    ['amdgpu', 2097152, '31', ['0000:05:00.0']],
    ['udmabuf', 4096, '17', []],
  ]);
  assert.equal(raw.dmabuf!.udmabuf, true);
  assert.deepEqual(raw.dmabuf!.heaps, ['system']);
});

test('KFD nodes map to PCI functions by domain and location_id; CPU nodes to none', () => {
  assert.equal(kfdNodeBdf(parseProperties('location_id 768\ndomain 0\n')), '0000:03:00.0');
  assert.equal(kfdNodeBdf(parseProperties('location_id 17177\ndomain 1\n')), '0001:43:03.1');
  assert.equal(kfdNodeBdf(parseProperties('location_id 0\ndomain 0\ngpu_id 0\n')), null);
});

test('/proc/iomem read as non-root: device ranges named, addresses said to be hidden', () => {
  const rep = deviceMemoryRanges('00000000-00000000 : System RAM\n00000000-00000000 : CXL Window 0\n  00000000-00000000 : region0\n00000000-00000000 : Soft Reserved\n');
  assert.deepEqual(rep.ranges.map((r) => r.name), ['CXL Window 0', 'Soft Reserved']);
  assert.equal(rep.addressesHidden, true);
  const asRoot = deviceMemoryRanges('00000000-0009ffff : System RAM\n290000000-38fffffff : CXL Window 0\n');
  assert.equal(asRoot.addressesHidden, false);
});

test('mechanisms behind each PCI function: dma-buf importer, CXL memdev, KFD nodes, BAR size', () => {
  const ms = decodeMemMechanisms(readMemMechanisms(root)).mechanisms;
  const of = (bdf: string) => ms.filter((m) => m.pci === bdf).map((m) => `${m.kind} ${m.node}: ${m.detail.join('; ')}`);
  assert.deepEqual(of('0000:05:00.0'), ["dmabuf dma-buf ino 31: imports amdgpu's 2 MiB buffer"]);
  assert.deepEqual(of('0000:35:00.0'), ['cxl mem0: ram 256 MiB; pmem 0 B; serial 0x0']);
  assert.deepEqual(of('0000:03:00.0'), [
    'kfd kfd node 1: io_links: node 0 over PCIe (weight 20); p2p_links: node 2 over PCIe (weight 40)',
    'vram amdgpu 0000:03:00.0: large BAR: all 16 GiB of VRAM visible',
  ]);
  assert.match(of('0000:43:00.0').join('\n'), /small BAR: 256 MiB of 16 GiB VRAM visible/);
});

test('doctor dmabuf., cxl. and rdma.peer-modules findings: evidence names the nodes, with fixes', () => {
  const fabric = makeFabric([
    { bdf: '0000:00:01.0', kind: 'root-port' }, { bdf: '0000:03:00.0', parent: '0000:00:01.0', kind: 'gpu', vendorId: '1002' },
  ]);
  fabric.host.kernelConfig = new Map([['CONFIG_PCI_P2PDMA', 'y'], ['CONFIG_DMABUF_HEAPS', 'y']]);
  const inp = input(fabric, { memMechanisms: known(readMemMechanisms(root), 'fixture') });
  const by = new Map(runDoctorChecks(inp, { only: ['dmabuf', 'cxl', 'rdma'] }).findings.map((f) => [f.id, f]));
  const devs = by.get('dmabuf.devices')!;
  assert.equal(devs.status, 'ok');
  assert.match(devs.evidence.join('\n'), /\/dev\/udmabuf/);
  assert.match(devs.evidence.join('\n'), /\/dev\/dma_heap\/system/);
  const bufs = by.get('dmabuf.buffers')!;
  assert.match(bufs.evidence.join('\n'), /exporter amdgpu: 1 buffer, 2 MiB; attached: PCI 0000:05:00\.0/);
  assert.deepEqual(bufs.devices, ['0000:05:00.0']);
  const cfg = by.get('dmabuf.config')!;
  assert.equal(cfg.status, 'warn', 'MOVE_NOTIFY off with a GPU present');
  assert.match(cfg.fix!.join('\n'), /CONFIG_DMABUF_MOVE_NOTIFY=y/);
  const amd = by.get('dmabuf.amdgpu')!;
  assert.equal(amd.status, 'warn');
  assert.match(amd.fix!.join('\n'), /0000:43:00\.0: enable Resizable BAR/);
  const cxl = by.get('cxl.devices')!;
  assert.equal(cxl.status, 'warn');
  assert.match(cxl.evidence.join('\n'), /mem0: ram 256 MiB, pmem 0 B, serial 0x0, PCI 0000:35:00\.0/);
  assert.match(cxl.fix!.join('\n'), /cxl create-region/);
  const io = by.get('cxl.iomem')!;
  assert.match(io.evidence.join('\n'), /CXL Window 0 \(address hidden/);
  assert.match(io.evidence.join('\n'), /addresses hidden: \/proc\/iomem was read as non-root/);
  const mods = by.get('rdma.peer-modules')!;
  assert.match(mods.evidence.join('\n'), /amdgpu: loaded/);
  assert.match(mods.evidence.join('\n'), /nvidia_peermem: not loaded/);
});

test('a snapshot keeps bufinfo, iomem, KFD, amdgpu VRAM files, CXL devices and dma-buf nodes', async () => {
  const { writeSnapshot } = await import('../../src/access/snapshot-writer.js');
  const { sourceRoot } = await import('../../src/access/snapshot.js');
  const { tempDirRemovedAtExit } = await import('../helpers/temp-dir.js');
  const out = path.join(tempDirRemovedAtExit('p2p-devmem-hm-'), 'snap.tar.gz');
  writeSnapshot(out, { root });
  assert.deepEqual(readMemMechanisms(sourceRoot(out).root), readMemMechanisms(root));
});

test('the lab guest\'s snapshot (real 6.12 kernel output, test/fixtures/devmem/lab-12-devmem.tar.gz) replays every detection', async () => {
  const { sourceRoot } = await import('../../src/access/snapshot.js');
  const snap = path.resolve(here, '../../../test/fixtures/devmem/lab-12-devmem.tar.gz');
  const raw = readMemMechanisms(sourceRoot(snap).root);
  const ms = decodeMemMechanisms(raw).mechanisms;
  const by = new Map(ms.map((m) => [m.node, m]));
  assert.equal(by.get('/dev/dax1.0')!.sizeBytes, 262144000);
  assert.deepEqual([by.get('mem0')!.pci, by.get('mem0')!.detail], ['0000:35:00.0', ['ram 0 B', 'pmem 256 MiB', 'serial 0x0']]);
  assert.deepEqual(['rxe0', 'siw0'].map((n) => by.get(n)!.detail[0]), ['netdev veth0', 'netdev veth1']);
  assert.deepEqual(parseBufinfo(raw.dmabuf!.bufinfo.text!).map((b) => [b.exporter, b.size, b.attached.length]), [['udmabuf', 1048576, 0]]);
  assert.deepEqual(raw.dmabuf!.heaps, ['system']);
  const io = deviceMemoryRanges(raw.iomem!.text!);
  assert.equal(io.addressesHidden, false, 'captured as root');
  assert.ok(io.ranges.some((r) => r.name === 'CXL Window 0'), io.ranges.map((r) => r.name).join(', '));
});
