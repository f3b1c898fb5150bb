// Host facts: the costly ones (kernel config, IOMMU group domain types) are read when a fill asks, never on touch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fillHostInfo, kernelReleaseFromVersion, readHostInfo } from '../../src/access/host-info.js';
import { FILL_IOMMU_TYPES, FILL_KERNEL_CONFIG } from '../../src/access/types.js';
import { readSysfsDirWithFs, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-host-'));
  const w = (rel: string, text: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  w('proc/cpuinfo', 'vendor_id\t: AuthenticAMD\ncpu family\t: 25\nflags\t: fpu sse2\n');
  w('proc/sys/kernel/osrelease', '6.12.0\n');
  w('proc/config.gz', gzipSync('CONFIG_PCI_P2PDMA=y\n# CONFIG_DMABUF_MOVE_NOTIFY is not set\n'));
  w('sys/kernel/iommu_groups/0/type', 'DMA-FQ\n');
  w('sys/kernel/iommu_groups/7/type', 'identity\n');
  fs.mkdirSync(path.join(root, 'sys/kernel/iommu_groups/9'), { recursive: true }); // no type file
  return root;
}

test('IOMMU group types: read in one batch when a fill asks, never by reading the property', () => {
  const root = tree();
  try {
    let calls = 0;
    const counting: SysfsDirReader = (...args) => {
      calls++;
      return readSysfsDirWithFs(...args);
    };
    const host = readHostInfo(root, false, counting);
    assert.equal(host.iommuEnabled, true);
    assert.equal(host.iommuGroupTypes, null, 'not filled: empty, and touching it reads nothing');
    assert.equal(calls, 0, 'nothing read without a fill');
    fillHostInfo(host, root, FILL_IOMMU_TYPES, counting);
    assert.equal(calls, 1);
    assert.deepEqual([...host.iommuGroupTypes!].sort(), [['0', 'DMA-FQ'], ['7', 'identity']]);
    assert.equal(calls, 1, 'a plain value once filled');
    assert.deepEqual([...readHostInfo(root, false, counting, FILL_IOMMU_TYPES).iommuGroupTypes!].sort(), [['0', 'DMA-FQ'], ['7', 'identity']]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('kernel config from proc/config.gz when a fill asks; a plain value after', () => {
  const root = tree();
  try {
    assert.equal(readHostInfo(root, false).kernelConfig, null, 'not asked: not read');
    const host = readHostInfo(root, false, readSysfsDirWithFs, FILL_KERNEL_CONFIG);
    assert.equal(host.kernelRelease, '6.12.0');
    assert.equal(host.cpuVendor, 'AuthenticAMD');
    fs.rmSync(path.join(root, 'proc/config.gz'));
    const copy = { ...host };
    assert.equal(copy.kernelConfig?.get('CONFIG_PCI_P2PDMA'), 'y');
    assert.equal(copy.kernelConfig?.get('CONFIG_DMABUF_MOVE_NOTIFY'), 'n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('no iommu_groups directory: no types, IOMMU state unknown', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-host-'));
  try {
    const host = readHostInfo(root, false);
    assert.equal(host.iommuGroupTypes, null);
    assert.equal(host.iommuEnabled, null);
    assert.equal(host.kernelConfig, null);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the kernel release from /proc/version when osrelease is absent', () => {
  assert.equal(kernelReleaseFromVersion('Linux version 6.12.117-p2pdma (root@lab) (gcc 12) #1 SMP\n'), '6.12.117-p2pdma');
  assert.equal(kernelReleaseFromVersion('FreeBSD 14.0'), null);
});

test('kernel release: uname -r stands in on the live machine when /proc has none; a tree without one stays unknown', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-host-'));
  try {
    assert.equal(readHostInfo(root, false).kernelRelease, null, 'a captured tree never borrows this machine\'s release');
    assert.equal(readHostInfo(root, true).kernelRelease, os.release());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
