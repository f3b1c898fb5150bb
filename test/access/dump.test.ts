// The lspci dump reader: accepted shapes, and one clear error (with a line number) for everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLspciDump } from '../../src/access/dump.js';
import { UserError } from '../../src/errors.js';
import { fn, ident, toDump } from '../helpers/dump-builder.js';

test('short and domain-qualified addresses become full BDFs', () => {
  const raw = parseLspciDump(toDump([ident(fn('00:1f.3', 64), 0x8086, 0x1234, 0x0c0500), ident(fn('10000:02:00.0', 256), 0x10de, 0x2230, 0x030200)]), 'x');
  assert.deepEqual(raw.devices.map((d) => d.bdf), ['0000:00:1f.3', '10000:02:00.0']);
  assert.equal(raw.devices[0].config.length, 64);
  assert.equal(raw.devices[1].config.length, 256);
  assert.equal(raw.devices[1].config.u16(0), 0x10de);
});

test('bytes past the dump are unknown, not zero', () => {
  const raw = parseLspciDump(toDump([ident(fn('00:00.0', 64), 0x8086, 0x1, 0x060000)]), 'x');
  const cfg = raw.devices[0].config;
  assert.equal(cfg.u8(63), 0);
  assert.equal(cfg.u8(64), undefined);
  assert.equal(cfg.u32(0x100), undefined);
});

function expectUserError(text: string, pattern: RegExp) {
  assert.throws(() => parseLspciDump(text, 'dump.txt'), (e: unknown) => e instanceof UserError && pattern.test(e.message));
}

test('garbage, truncated and duplicated dumps are one-line user errors', () => {
  expectUserError('hello world\n', /dump\.txt:1: not an lspci hex dump line/);
  expectUserError('00: 86 80\n', /hex data before any device line/);
  expectUserError('', /no devices found/);
  expectUserError('00:00.0 Host\n00: 86 80 00 00\n', /only 4 bytes of config space/);
  const one = toDump([ident(fn('00:00.0', 64), 0x8086, 0x1, 0x060000)]);
  expectUserError(one + one, /appears twice/);
  expectUserError('00:00.0 Host\nff0: ' + '00 '.repeat(20) + '\n', /runs past 4096/);
});

test('indented decoded text between hex lines is ignored, as lspci -F does', () => {
  const text = '00:00.0 Host bridge\n\tSubsystem: foo\n' + toDump([ident(fn('00:00.0', 64), 0x8086, 0x1, 0x060000)]).split('\n').slice(1).join('\n');
  const raw = parseLspciDump(text, 'x');
  assert.equal(raw.devices[0].config.u16(0), 0x8086);
});
