// The view model on real machines' data, through the other modules it is wired to: the loaders,
// describeDevice + show-text (Device pane), buildPath (path pane), the doctor (Doctor pane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadFabric } from '../../src/access/load.js';
import { buildModel, linkSummary } from '../../src/ui/model.js';
import { deviceDetailLines, stripAnsi } from '../../src/ui/details.js';
import { pathLines } from '../../src/ui/path-lines.js';
import { loadDoctorView } from '../../src/ui/run.js';
import { firstFrameLines } from '../../src/ui/first-frame.js';
import { initialState } from '../../src/ui/state.js';
import { haveRefdata, PCIUTILS_DUMPS } from '../helpers/refdata.js';

const skip = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';
const DUMP = path.join(PCIUTILS_DUMPS, 'tree-asus-p6t6');

test('a real dump: tree, device sections, path lines, doctor findings, first frame', { skip }, async () => {
  const fabric = await loadFabric({ dump: DUMP });
  const doctor = await loadDoctorView(fabric, { dump: DUMP }, {});
  const model = buildModel(fabric, { details: (d) => deviceDetailLines(fabric, d, false), doctor });
  assert.equal(model.nodes.get('0000:02:00.0')!.kind, 'switch');
  assert.equal(model.nodes.get('0000:04:00.0')!.port, '0000:03:00.0', 'disk1 shares its port line');
  assert.deepEqual(linkSummary(fabric.byBdf.get('0000:00:01.0')!), { text: 'link down', downtrained: false }, 'an empty slot (x0)');
  assert.equal(linkSummary(fabric.byBdf.get('0000:00:07.0')!)!.downtrained, true);

  const lines = model.details('0000:04:00.0');
  const headings = lines.filter((l) => l.heading).map((l) => stripAnsi(l.text));
  for (const h of ['Link', 'Capabilities']) assert.ok(headings.includes(h), `section ${h} in ${headings.join(', ')}`);
  assert.match(stripAnsi(lines[0].text), /^0000:04:00\.0 {2}disk1/);

  const p = pathLines(model.path('0000:04:00.0', '0000:06:00.0'));
  assert.match(p[0].text, /^[✓~✗?] /);
  assert.ok(p.some((l) => /bottleneck/.test(l.text)));
  assert.ok(p.some((l) => /TURN|HOST/.test(l.text)));

  const dv = model.doctor();
  assert.equal(dv.available, true, dv.note ?? '');
  assert.ok(dv.findings.length > 3);
  assert.ok(dv.findings.every((f) => ['ok', 'warn', 'fail', 'skip'].includes(f.status)));

  const frame = firstFrameLines(model, initialState(model, { columns: 80, rows: 24 }));
  assert.equal(frame.length, 24);
  for (const l of frame) assert.ok([...l.replace(/\u001b\[[0-9;]*m/g, '')].length <= 80, l);
  assert.match(frame[0], /1 Fabric/);
  assert.match(frame.join('\n'), /switch 0000:02:00\.0/);
});
