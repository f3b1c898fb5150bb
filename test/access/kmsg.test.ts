// Reading /dev/kmsg's records (tested on stand-in files: the real device needs privileges and changes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKmsg, readKmsgRecords } from '../../src/access/kmsg.js';

test('a log that cannot be opened gives its error code; a readable one its records, up to the byte cap', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-kmsg-'));
  try {
    assert.deepEqual(readKmsgRecords(1 << 20, path.join(dir, 'missing')), { errorCode: 'ENOENT' });
    const file = path.join(dir, 'kmsg');
    const text = '6,1,10,-;nvme nvme0: pci function 0000:03:00.0\n SUBSYSTEM=pci\n4,2,20,-;DMAR: fault\n';
    fs.writeFileSync(file, text);
    const r = readKmsgRecords(1 << 20, file);
    assert.ok('records' in r);
    assert.equal(r.records.join(''), text);
    assert.equal(parseKmsg(r.records), 'nvme nvme0: pci function 0000:03:00.0\nDMAR: fault');
    fs.writeFileSync(file, 'x'.repeat(100_000));
    const capped = readKmsgRecords(20_000, file);
    assert.ok('records' in capped && capped.records.join('').length >= 20_000 && capped.records.join('').length < 40_000, 'stops past the cap');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
