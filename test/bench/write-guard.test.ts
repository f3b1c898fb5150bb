// The write test's refusal rules (pure, facts as parameters) and the sysfs/proc fact gathering (fixture root).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockNameFor, decideWrite, gatherBlockFacts, partitionSignature, type WriteTargetFacts } from '../../src/bench/write-guard.js';

const blank: WriteTargetFacts = {
  path: '/dev/nvme0n1', kind: 'block', blockName: 'nvme0n1', isPartition: false, partitions: [],
  partitionTableSignature: null, mounts: [], holders: [], swap: false,
};
const req = { write: true, force: false, offset: 0, length: 1 << 30 };

describe('decideWrite', () => {
  it('read-only runs are always allowed and never warn', () => {
    const d = decideWrite({ ...blank, mounts: ['/'] }, { ...req, write: false });
    assert.deepEqual(d, { allowed: true, reason: null, warning: null });
  });
  it('an empty block device may be written, with a warning naming the range', () => {
    const d = decideWrite(blank, req);
    assert.equal(d.allowed, true);
    assert.match(d.warning ?? '', /OVERWRITES data within bytes 0\.\.1073741823 \(1024 MiB at 0 MiB\) of \/dev\/nvme0n1/);
  });
  const cases: [string, Partial<WriteTargetFacts>, RegExp][] = [
    ['a mounted filesystem', { mounts: ['/data'] }, /mounted at \/data/],
    ['partitions', { partitions: ['nvme0n1p1', 'nvme0n1p2'] }, /has partitions nvme0n1p1, nvme0n1p2/],
    ['a GPT signature without kernel partitions', { partitionTableSignature: 'gpt' }, /holds a GPT partition table/],
    ['an MBR signature', { partitionTableSignature: 'mbr' }, /holds a MBR partition table/],
    ['holders (dm/md)', { holders: ['dm-0'] }, /held by dm-0/],
    ['swap', { swap: true }, /in use as swap/],
    ['a partition itself', { isPartition: true }, /is a partition/],
  ];
  for (const [name, facts, re] of cases) {
    it(`refuses a block device with ${name} unless --force`, () => {
      const d = decideWrite({ ...blank, ...facts }, req);
      assert.equal(d.allowed, false);
      assert.match(d.reason ?? '', re);
      assert.match(d.reason ?? '', /--force/);
      assert.equal(d.warning, null);
      const forced = decideWrite({ ...blank, ...facts }, { ...req, force: true });
      assert.equal(forced.allowed, true);
      assert.match(forced.warning ?? '', /forced although it/);
    });
  }
  it('regular files may be written (with a warning); other kinds never', () => {
    const f = decideWrite({ ...blank, kind: 'file', path: '/data/f', blockName: null }, req);
    assert.equal(f.allowed, true);
    assert.match(f.warning ?? '', /OVERWRITES .* of \/data\/f/);
    const o = decideWrite({ ...blank, kind: 'other', path: '/dev/null' }, { ...req, force: true });
    assert.equal(o.allowed, false);
  });
});

describe('partitionSignature', () => {
  it('finds GPT at LBA 1 for 512 and 4096 sectors', () => {
    for (const at of [512, 4096]) {
      const b = new Uint8Array(8192);
      b.set(Buffer.from('EFI PART'), at);
      assert.equal(partitionSignature(b), 'gpt');
    }
  });
  it('MBR only with a non-empty partition entry (not a bare boot sector)', () => {
    const b = new Uint8Array(512);
    b[510] = 0x55;
    b[511] = 0xaa;
    assert.equal(partitionSignature(b), null);
    b[446 + 4] = 0x83;
    assert.equal(partitionSignature(b), 'mbr');
  });
  it('nothing in zeros or an unreadable head', () => {
    assert.equal(partitionSignature(new Uint8Array(8192)), null);
    assert.equal(partitionSignature(null), null);
  });
});

describe('gatherBlockFacts (fixture sysfs/proc)', () => {
  const root = mkdtempSync(join(tmpdir(), 'p2p-wg-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const blk = join(root, 'sys/class/block/nvme0n1');
  mkdirSync(join(blk, 'nvme0n1p1/holders'), { recursive: true });
  mkdirSync(join(blk, 'holders'), { recursive: true });
  writeFileSync(join(blk, 'dev'), '259:0\n');
  writeFileSync(join(blk, 'nvme0n1p1/partition'), '1\n');
  writeFileSync(join(blk, 'nvme0n1p1/dev'), '259:1\n');
  mkdirSync(join(blk, 'nvme0n1p1/holders/dm-3'));
  mkdirSync(join(root, 'proc/self'), { recursive: true });
  writeFileSync(join(root, 'proc/self/mountinfo'),
    '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n' +
    '40 22 259:1 / /data rw,relatime shared:9 - xfs /dev/nvme0n1p1 rw\n');
  writeFileSync(join(root, 'proc/swaps'), 'Filename\tType\tSize\tUsed\tPriority\n');
  mkdirSync(join(root, 'sys/dev/block'), { recursive: true });
  symlinkSync('../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1', join(root, 'sys/dev/block/259:0'));

  it('sees partitions, the mount on a partition and the holder', () => {
    const f = gatherBlockFacts('/dev/nvme0n1', 'nvme0n1', { root, readHead: () => null });
    assert.deepEqual(f.partitions, ['nvme0n1p1']);
    assert.deepEqual(f.mounts, ['/data']);
    assert.deepEqual(f.holders, ['dm-3']);
    assert.equal(f.swap, false);
    assert.equal(f.isPartition, false);
    assert.equal(decideWrite(f, req).allowed, false);
  });
  it('an unused disk has no facts against it', () => {
    const other = join(root, 'sys/class/block/nvme1n1');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'dev'), '259:5\n');
    const f = gatherBlockFacts('/dev/nvme1n1', 'nvme1n1', { root, readHead: () => new Uint8Array(8192) });
    assert.deepEqual([f.partitions, f.mounts, f.holders, f.partitionTableSignature], [[], [], [], null]);
    assert.equal(decideWrite(f, req).allowed, true);
  });
  it('maps major:minor to the kernel name', () => {
    assert.equal(blockNameFor(259, 0, root), 'nvme0n1');
    assert.equal(blockNameFor(1, 99, root), null);
  });
});
