// The capture kind: multimedia video (0x0400) and other multimedia (0x0480) functions, and any
// function a V4L2 or DVB node hangs from, are endpoints in matrix and path; FPGA/DAQ cards by BDF.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { classify, classifyEndpoint } from '../../src/model/classify.js';
import { buses, fn, ident, set8, set16, toDump } from '../helpers/dump-builder.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';
import { collectIO } from '../helpers/collect-io.js';
import { runMatrix } from '../../src/commands/matrix.js';
import { runPath } from '../../src/commands/path.js';
import { runTopo } from '../../src/commands/topo.js';

test('class codes: video and other multimedia are capture, audio is not', () => {
  assert.equal(classifyEndpoint('040000', '1cd7'), 'capture');
  assert.equal(classifyEndpoint('048000', '14f1'), 'capture');
  assert.equal(classifyEndpoint('040300', '8086'), 'endpoint', 'HD audio');
  assert.equal(classifyEndpoint('118000', '1093'), 'endpoint', 'a DAQ card stays a plain endpoint');
  const base = { vendorId: '1234', portType: null, onRootBus: false, parentKind: 'root-port' as const, hasChildren: false };
  assert.equal(classify({ ...base, classCode: 'ff0000', hasCaptureNode: true }), 'capture', 'a V4L2 parent of any class');
  assert.equal(classify({ ...base, classCode: 'ff0000' }), 'endpoint');
  assert.equal(classify({ ...base, classCode: '030000', vendorId: '10de', hasCaptureNode: true }), 'gpu', 'a GPU with a V4L2 node stays a GPU');
});

/** Root port 00:01.0 -> bus 1: GPU 01:00.0; root port 00:02.0 -> bus 2: capture 02:00.0; root port 00:03.0 -> bus 3: DAQ 03:00.0. */
function dumpFile(): string {
  const rp = (dev: number, bus: number) => {
    const f = buses(ident(fn(`00:0${dev}.0`), 0x8086, 0x7000 + dev, 0x060400, 1), 0, bus, bus);
    set8(f, 0x06, 0x10); // capability list
    set8(f, 0x34, 0x40);
    set8(f, 0x40, 0x10); // PCI Express, root port
    set16(f, 0x42, 0x0042);
    return f;
  };
  const fns = [
    ident(fn('00:00.0'), 0x8086, 0x29c0, 0x060000),
    rp(1, 1), ident(fn('01:00.0'), 0x10de, 0x2330, 0x030200),
    rp(2, 2), ident(fn('02:00.0'), 0x1cd7, 0x0010, 0x040000),
    rp(3, 3), ident(fn('03:00.0'), 0x1093, 0x7770, 0x118000),
  ];
  const file = path.join(tempDirRemovedAtExit('p2p-capture-'), 'dump.txt');
  fs.writeFileSync(file, toDump(fns));
  return file;
}

test('a capture card is a default matrix endpoint, named in topo, and a path end by BDF, as is a DAQ card', async () => {
  const dump = dumpFile();
  const topo = collectIO();
  assert.equal(await runTopo({ dump, json: true }, topo), 0);
  const kinds = new Map((JSON.parse(topo.text()).devices as { bdf: string; kind: string; alias: string | null }[]).map((d) => [d.bdf, d]));
  assert.equal(kinds.get('0000:02:00.0')!.kind, 'capture');
  assert.equal(kinds.get('0000:02:00.0')!.alias, 'cap0');
  assert.equal(kinds.get('0000:03:00.0')!.kind, 'endpoint');
  const text = collectIO();
  await runTopo({ dump }, text);
  assert.match(text.text(), /cap0 0000:02:00\.0 capture /);

  const m = collectIO();
  assert.equal(await runMatrix({ dump, json: true }, m), 0);
  const head = JSON.parse(m.text());
  const bdfs = (head.devices as { bdf: string; kind: string }[]).map((d) => `${d.bdf} ${d.kind}`);
  assert.deepEqual(bdfs, ['0000:01:00.0 gpu', '0000:02:00.0 capture'], 'the default matrix shows GPU and capture card, not the DAQ');

  const only = collectIO();
  await runMatrix({ dump, json: true, class: ['capture,endpoint'] }, only);
  assert.match(only.text(), /0000:03:00\.0/);

  const p = collectIO();
  assert.equal(await runPath({ dump, a: 'cap0', b: '03:00.0', json: true }, p), 0);
  const report = JSON.parse(p.text());
  assert.equal(JSON.stringify(report).includes('0000:03:00.0'), true);
  assert.equal(JSON.stringify(report).includes('0000:02:00.0'), true);
});
