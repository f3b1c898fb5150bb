// `p2p show` and the TUI's Device pane render one typed document: the pane's headings are the
// document's (not found again by indentation in coloured text), and the text view prints the same rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadFabric } from '../../src/access/load.js';
import { describeDevice } from '../../src/model/details.js';
import { buildShowDocument, paintRow, renderShowText } from '../../src/format/show-text.js';
import { makeStyle } from '../../src/format/style.js';
import { deviceDetailLines, stripAnsi } from '../../src/ui/details.js';
import { PCIUTILS_DUMPS } from '../helpers/refdata.js';

test('the Device pane and p2p show render the same document, section for section', async () => {
  const fabric = await loadFabric({ dump: path.join(PCIUTILS_DUMPS, 'cap-aer-root') });
  for (const d of fabric.devices) {
    const details = describeDevice(d, { source: fabric.source.method, host: fabric.host });
    const doc = buildShowDocument(details);
    assert.ok(doc.sections.some((s) => s.heading === 'AER'), `${d.bdf}: an AER section`);
    const lines = deviceDetailLines(fabric, d, true);
    const headings = lines.filter((l) => l.heading).map((l) => stripAnsi(l.text));
    assert.deepEqual(headings.slice(1), doc.sections.map((s) => s.heading));
    const plain = makeStyle(false);
    const rows = [...doc.rows, ...doc.sections.flatMap((s) => s.rows)].map((r) => paintRow(plain, r));
    assert.deepEqual(lines.filter((l) => !l.heading).map((l) => stripAnsi(l.text)), rows);
    const text = renderShowText(details, { color: false }).split('\n').filter((l) => l !== '');
    assert.deepEqual(text, lines.map((l) => stripAnsi(l.text)));
  }
});
