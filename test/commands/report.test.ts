// `p2p report` without a browser: it writes one file from a tree, a snapshot and a dump; the serial
// number a function's DSN capability holds is left out unless --no-redact; bad input is one UserError.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeReport } from '../../src/commands/report.js';
import { UserError } from '../../src/errors.js';
import { writeSnapshot } from '../../src/access/snapshot-writer.js';
import { generateFabric } from '../../bench/gen-fabric.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-report-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const root = path.join(tmp, 'tree');
generateFabric(root, { functions: 60 });

/** Gives the first GPU a Device Serial Number capability (after AER at 0x100): 11-22-33-44-55-66-77-88 read back. */
function addSerial(): string {
  const dir = path.join(root, 'sys/bus/pci/devices');
  const gpu = fs.readdirSync(dir).find((b) => fs.readFileSync(path.join(dir, b, 'class'), 'utf8').startsWith('0x0302'))!;
  const file = path.join(dir, gpu, 'config');
  const cfg = fs.readFileSync(file);
  cfg.writeUInt32LE((cfg.readUInt32LE(0x100) & 0x000fffff) | (0x180 << 20), 0x100);
  cfg.writeUInt32LE(0x0003 | (1 << 16), 0x180);
  cfg.writeUInt32LE(0x55667788, 0x184);
  cfg.writeUInt32LE(0x11223344, 0x188);
  fs.writeFileSync(file, cfg);
  return gpu;
}
const gpu = addSerial();
const SERIAL = '11-22-33-44-55-66-77-88';
const data = (html: string) => JSON.parse(/id="p2p-data">([\s\S]*?)<\/script>/.exec(html)![1]);

test('a report from a tree leaves the serial number out; --no-redact keeps it', async () => {
  const out = path.join(tmp, 'r.html');
  const r = await writeReport({ root, output: out });
  const html = fs.readFileSync(out, 'utf8');
  assert.equal(r.bytes, Buffer.byteLength(html));
  assert.ok(!html.includes(SERIAL) && !html.includes('1122334455667788'), 'no serial in the page');
  assert.equal(data(html).serials, null);
  await writeReport({ root, output: out, redact: false });
  assert.equal(data(fs.readFileSync(out, 'utf8')).serials[gpu], SERIAL);
});

test('a report from a snapshot of the same tree holds the same pairs and verdicts', async () => {
  const snap = path.join(tmp, 's.tar.gz');
  writeSnapshot(snap, { root });
  const a = path.join(tmp, 'a.html');
  const b = path.join(tmp, 'b.html');
  await writeReport({ root, output: a });
  await writeReport({ root: snap, output: b });
  const [da, db] = [data(fs.readFileSync(a, 'utf8')), data(fs.readFileSync(b, 'utf8'))];
  assert.ok(da.matrix.pairs.length > 0);
  const verdicts = (d: typeof da) => d.matrix.pairs.map((p: { client: string; provider: string; p2pdma: { verdict: string } }) => `${p.client}|${p.provider}|${p.p2pdma.verdict}`);
  assert.deepEqual(verdicts(db), verdicts(da));
  assert.equal(db.topo.source.method, 'snapshot');
});

test('bad input is one UserError: no -o, an unwritable path, a --bench file that is not a bench result', async () => {
  await assert.rejects(writeReport({ root }), UserError);
  await assert.rejects(writeReport({ root, output: path.join(tmp, 'no/such/dir/r.html') }), /cannot write/);
  const notBench = path.join(tmp, 'x.json');
  fs.writeFileSync(notBench, '{"schema":"other"}');
  await assert.rejects(writeReport({ root, output: path.join(tmp, 'r.html'), bench: notBench }), /not a p2p bench --json result/);
});
