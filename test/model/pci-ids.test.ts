// Name lookups straight in pci.ids text: vendors, devices, classes, and files missing sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PciIds } from '../../src/model/pci-ids.js';

const IDS = [
  '# comment line',
  'c0a9  Micron/Crucial Technology',
  '\t540a  P2 [Nvme] SSD',
  '10de  NVIDIA Corporation',
  '\t2330  GH100 [H100 SXM5 80GB]',
  '# C 99  not a class: a comment',
  'C 01  Mass storage controller',
  '\t08  Non-Volatile memory controller',
  '\t\t02  NVM Express',
  'C 03  Display controller',
  '\t02  3D controller',
  '',
].join('\n');

test('vendor, device and class names; unknown ids are null', () => {
  const ids = new PciIds(IDS);
  assert.equal(ids.vendorName('10de'), 'NVIDIA Corporation');
  assert.equal(ids.vendorName('C0A9'), 'Micron/Crucial Technology');
  assert.equal(ids.deviceName('10de', '2330'), 'GH100 [H100 SXM5 80GB]');
  assert.equal(ids.deviceName('10de', '540a'), null, 'a device of another vendor is not found');
  assert.equal(ids.deviceName('c0a9', '2330'), null, 'nor one of a vendor further on');
  assert.equal(ids.vendorName('1234'), null);
  assert.match(ids.className('010802') ?? '', /NVM Express/);
  assert.equal(ids.className('030200'), '3D controller');
  assert.equal(ids.className('990000'), null);
});

test('a file without a class section, and one that starts with it', () => {
  const noClasses = new PciIds(IDS.slice(0, IDS.indexOf('# C 99')));
  assert.equal(noClasses.vendorName('10de'), 'NVIDIA Corporation');
  assert.equal(noClasses.className('010802'), null);
  const onlyClasses = new PciIds(IDS.slice(IDS.indexOf('C 01')));
  assert.equal(onlyClasses.className('030200'), '3D controller');
  assert.equal(onlyClasses.vendorName('10de'), null, 'nothing before the class section');
});

test('names are decoded as UTF-8 from the latin1 text the file is read as', () => {
  const utf8 = Buffer.from('1787  Hightech Information System Ltd.\n\t201c  HD 7970 IceQ X\u00b2\n', 'utf8').toString('latin1');
  const ids = new PciIds(utf8);
  assert.equal(ids.deviceName('1787', '201c'), 'HD 7970 IceQ X\u00b2');
  assert.equal(ids.vendorName('1787'), 'Hightech Information System Ltd.', 'the first line of a file is a vendor too');
});

// The system's pci.ids (Debian's pci.ids package; CI installs it): the lookups find each vendor a
// line-by-line reading finds, and miss the ones it lacks; a device is found in its vendor's block only.
const SYSTEM_IDS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'].find((f) => fs.existsSync(f));
test('every vendor of the system pci.ids, as a plain reading of its lines finds them', { skip: SYSTEM_IDS ? false : 'no system pci.ids' }, () => {
  const text = fs.readFileSync(SYSTEM_IDS!, 'latin1');
  const ids = new PciIds(text);
  const expected = new Map<string, string>();
  for (const line of text.slice(0, text.search(/^C [0-9a-f]{2} {2}/m)).split('\n')) {
    const m = /^([0-9a-f]{4}) {2}(.*)$/.exec(line);
    if (m) expected.set(m[1], Buffer.from(m[2].trim(), 'latin1').toString('utf8'));
  }
  assert.ok(expected.size > 1000, `${expected.size} vendors`);
  for (const [id, name] of expected) assert.equal(ids.vendorName(id), name, id);
  for (let n = 0; n < 0x10000; n += 997) {
    const id = n.toString(16).padStart(4, '0');
    if (!expected.has(id)) assert.equal(ids.vendorName(id), null, id);
  }
  const nvidia = text.indexOf('\n10de  ');
  const device = /^\t([0-9a-f]{4}) {2}(.*)$/m.exec(text.slice(nvidia + 1, nvidia + 4000))!;
  assert.equal(ids.deviceName('10de', device[1]), device[2].trim());
});
