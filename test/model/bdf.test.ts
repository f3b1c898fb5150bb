// The BDF helpers the sysfs reader and the snapshot writer share for the bridges above a function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bdfAncestorDirs } from '../../src/model/bdf.js';

test('bdfAncestorDirs: the functions above a directory, outermost first, not the directory itself', () => {
  const dir = 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:03.0';
  assert.deepEqual(bdfAncestorDirs(dir), [
    { bdf: '0000:00:01.0', dir: 'sys/devices/pci0000:00/0000:00:01.0' },
    { bdf: '0000:01:00.0', dir: 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0' },
  ]);
  assert.deepEqual(bdfAncestorDirs('/r/sys/devices/pci0000:00/0000:00:01.0'), []);
  // A non-BDF component (a virtual device below a function) is passed over.
  assert.deepEqual(bdfAncestorDirs('/sys/devices/pci0000:00/0000:00:02.0/virtfn0/0000:00:02.1').map((a) => a.bdf), ['0000:00:02.0']);
});
