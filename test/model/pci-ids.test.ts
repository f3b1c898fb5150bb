// Name lookups straight in pci.ids text: vendors, devices, classes, and files missing sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
