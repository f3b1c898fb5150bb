// The tar writer/reader: round trips, interoperability with GNU tar both ways, and corrupt input.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipTar, readTar, readTarGz, TarError, writeTar, type TarEntry } from '../../src/access/tar.js';
import { haveCommand } from '../helpers/refdata.js';

const longDir = 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:08.0/0000:03:00.0/0000:04:10.0/0000:05:00.0/0000:06:00.0';
const SAMPLE: TarEntry[] = [
  { type: 'dir', path: 'sys' },
  { type: 'dir', path: longDir },
  { type: 'file', path: `${longDir}/config`, data: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff) },
  { type: 'file', path: `${longDir}/empty`, data: new Uint8Array(0) },
  { type: 'file', path: 'sys/block512', data: new Uint8Array(512).fill(0xab) },
  { type: 'file', path: 'sys/ünïcode-名前', data: new TextEncoder().encode('x\n') },
  { type: 'symlink', path: 'sys/bus/pci/devices/0000:06:00.0', target: `../../../${longDir.slice(4)}` },
  { type: 'symlink', path: 'sys/short', target: 'block512' },
];

function norm(entries: TarEntry[]) {
  return entries.map((e) => ({
    type: e.type,
    path: e.path.replace(/\/$/, ''),
    data: e.type === 'file' ? Buffer.from(e.data).toString('hex') : undefined,
    target: e.type === 'symlink' ? e.target : undefined,
  }));
}

test('writeTar/readTar round trip: long names (pax), long link targets, non-ASCII, empty and block-sized files', () => {
  const buf = writeTar(SAMPLE);
  assert.equal(buf.length % 512, 0);
  const { entries, skipped } = readTar(buf);
  assert.deepEqual(skipped, []);
  assert.deepEqual(norm(entries), norm(SAMPLE));
  const gz = readTarGz(gzipTar(SAMPLE));
  assert.deepEqual(norm(gz.entries), norm(SAMPLE));
});

test('GNU tar extracts what we write, byte for byte, symlinks included', { skip: haveCommand('tar') ? false : 'no tar command' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-tar-'));
  const file = path.join(dir, 'a.tar.gz');
  fs.writeFileSync(file, gzipTar(SAMPLE));
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  execFileSync('tar', ['xzf', file, '-C', out]);
  assert.deepEqual(fs.readFileSync(path.join(out, longDir, 'config')), Buffer.from((SAMPLE[2] as { data: Uint8Array }).data));
  assert.equal(fs.readlinkSync(path.join(out, 'sys/bus/pci/devices/0000:06:00.0')), `../../../${longDir.slice(4)}`);
  assert.equal(fs.readFileSync(path.join(out, 'sys/bus/pci/devices/0000:06:00.0/config')).length, 4096, 'the link resolves');
  assert.equal(fs.readFileSync(path.join(out, 'sys/ünïcode-名前'), 'utf8'), 'x\n');
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`we read archives GNU tar writes (--format=${format})`, { skip: haveCommand('tar') ? false : 'no tar command' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-tar-'));
    const src = path.join(dir, 'src');
    const deep = path.join(src, format === 'ustar' ? 'a/b' : longDir);
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'config'), Buffer.alloc(64, 1));
    fs.symlinkSync(format === 'ustar' ? 'b/config' : `../${'x'.repeat(120)}`, path.join(src, 'link'));
    const file = path.join(dir, 'a.tar');
    execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, '.']);
    const { entries } = readTar(fs.readFileSync(file));
    const cfg = entries.find((e) => e.path.replace(/^\.\//, '') === `${format === 'ustar' ? 'a/b' : longDir}/config`);
    assert.ok(cfg && cfg.type === 'file', `config entry found among ${entries.map((e) => e.path).join(', ')}`);
    assert.equal(cfg.data.length, 64);
    const link = entries.find((e) => e.path.replace(/^\.\//, '') === 'link');
    assert.ok(link && link.type === 'symlink');
    assert.equal(link.target, format === 'ustar' ? 'b/config' : `../${'x'.repeat(120)}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test('corrupt, truncated and unterminated archives are TarErrors with a reason', () => {
  const good = writeTar(SAMPLE);
  const flipped = Uint8Array.from(good);
  flipped[10] ^= 0xff;
  assert.throws(() => readTar(flipped), (e: unknown) => e instanceof TarError && /checksum/.test((e as Error).message));
  assert.throws(() => readTar(good.subarray(0, 512 + 100)), (e: unknown) => e instanceof TarError && /truncated/.test((e as Error).message));
  assert.throws(() => readTar(good.subarray(0, good.length - 1024)), /truncated/);
  const gz = gzipSync(good);
  assert.throws(() => readTarGz(gz.subarray(0, gz.length - 20)), (e: unknown) => e instanceof TarError && /gzip data is (truncated|corrupt)/.test((e as Error).message));
  const badGz = Uint8Array.from(gz);
  badGz[20] ^= 0xff;
  assert.throws(() => readTarGz(badGz), (e: unknown) => e instanceof TarError);
  assert.throws(() => readTarGz(gzipSync(Buffer.alloc(1 << 20)), 1 << 16), /exceeds/);
});

test('hard links, devices and FIFOs are skipped and reported, not extracted', () => {
  const buf = writeTar([{ type: 'file', path: 'a', data: new Uint8Array([1]) }]);
  // Turn the regular file header into a FIFO (type '6') and fix the checksum.
  const h = Uint8Array.from(buf);
  h[156] = '6'.charCodeAt(0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i];
  const cs = new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 ');
  h.set(cs, 148);
  const { entries, skipped } = readTar(h);
  assert.equal(entries.length, 0);
  assert.match(skipped[0], /^a \(tar type "6"\)$/);
});
