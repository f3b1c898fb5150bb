// lspci -t/-tv parsing, on trees recorded inside lab guests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parentMap, parseLspciTree } from './lspci-tree.js';

// one-switch fabric, lspci -tv inside the guest (pciutils 3.9)
const ONE_SWITCH = `-[0000:00]-+-00.0  Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller
           +-01.0  Red Hat, Inc. Virtio filesystem
           +-02.0  Red Hat, Inc. Virtio filesystem
           +-03.0-[01-04]----00.0-[02-04]--+-00.0-[03]----00.0  Red Hat, Inc. QEMU NVM Express Controller
           |                               \\-01.0-[04]----00.0  Red Hat, Inc. QEMU NVM Express Controller
           +-1f.0  Intel Corporation 82801IB (ICH9) LPC Interface Controller
           +-1f.2  Intel Corporation 82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]
           \\-1f.3  Intel Corporation 82801I (ICH9 Family) SMBus Controller
`;

test('one switch: every function, its parent and the bridges\' secondary buses', () => {
  const nodes = parseLspciTree(ONE_SWITCH);
  assert.deepEqual(
    Object.fromEntries(parentMap(nodes)),
    {
      '0000:00:00.0': null,
      '0000:00:01.0': null,
      '0000:00:02.0': null,
      '0000:00:03.0': null,
      '0000:01:00.0': '0000:00:03.0',
      '0000:02:00.0': '0000:01:00.0',
      '0000:03:00.0': '0000:02:00.0',
      '0000:02:01.0': '0000:01:00.0',
      '0000:04:00.0': '0000:02:01.0',
      '0000:00:1f.0': null,
      '0000:00:1f.2': null,
      '0000:00:1f.3': null,
    },
  );
  assert.equal(nodes.find((n) => n.bdf === '0000:02:01.0')!.secondaryBus, 4);
  assert.equal(nodes.find((n) => n.bdf === '0000:03:00.0')!.secondaryBus, null);
});

test('names are never parsed, even when they look like tree tokens', () => {
  const t = `-[0000:00]-+-00.0  Vendor 12.3-[45]-- odd name
           \\-01.0-[01]----00.0  Another 00.0 name
`;
  assert.deepEqual(Object.fromEntries(parentMap(parseLspciTree(t))), {
    '0000:00:00.0': null,
    '0000:00:01.0': null,
    '0000:01:00.0': '0000:00:01.0',
  });
});

test('plain lspci -t (no names) and empty bridges', () => {
  const t = `-[0000:00]-+-00.0
           +-02.0-[01]--
           +-03.0-[02]----00.0
           \\-1f.0
`;
  assert.deepEqual(Object.fromEntries(parentMap(parseLspciTree(t))), {
    '0000:00:00.0': null,
    '0000:00:02.0': null,
    '0000:00:03.0': null,
    '0000:02:00.0': '0000:00:03.0',
    '0000:00:1f.0': null,
  });
});

// Several root buses (host-bridge-intel fabric: pxb-pcie with bus 0x40): one tree per root bus.
test('several root buses, one tree each', () => {
  const t = `-+-[0000:00]-+-00.0  Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller
 |           +-01.0  Red Hat, Inc. Virtio filesystem
 |           +-02.0  Red Hat, Inc. Virtio filesystem
 |           +-03.0-[01]----00.0  Red Hat, Inc. QEMU NVM Express Controller
 |           +-04.0  Red Hat, Inc. QEMU PCIe Expander bridge
 |           +-1f.0  Intel Corporation 82801IB (ICH9) LPC Interface Controller
 |           +-1f.2  Intel Corporation 82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]
 |           \\-1f.3  Intel Corporation 82801I (ICH9 Family) SMBus Controller
 \\-[0000:40]---00.0-[41-44]----00.0-[42-44]--+-00.0-[43]----00.0  Red Hat, Inc. QEMU NVM Express Controller
                                             \\-01.0-[44]----00.0  Red Hat, Inc. QEMU NVM Express Controller
`;
  assert.deepEqual(Object.fromEntries(parentMap(parseLspciTree(t))), {
    '0000:00:00.0': null,
    '0000:00:01.0': null,
    '0000:00:02.0': null,
    '0000:00:03.0': null,
    '0000:01:00.0': '0000:00:03.0',
    '0000:00:04.0': null,
    '0000:00:1f.0': null,
    '0000:00:1f.2': null,
    '0000:00:1f.3': null,
    '0000:40:00.0': null,
    '0000:41:00.0': '0000:40:00.0',
    '0000:42:00.0': '0000:41:00.0',
    '0000:43:00.0': '0000:42:00.0',
    '0000:42:01.0': '0000:41:00.0',
    '0000:44:00.0': '0000:42:01.0',
  });
});

test('a line whose branch column matches no open bridge is an error, not a guess', () => {
  assert.throws(() => parseLspciTree('      +-01.0\n'), /cannot tell the parent/);
});
