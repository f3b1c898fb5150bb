// `p2p topo` end to end through the real entry point: JSON contract on real trees, and bad input.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveRefdata, hwlocRoot, PCIUTILS_DUMPS } from '../helpers/refdata.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const REQUIRED_KEYS = ['bdf', 'parent', 'vendorId', 'deviceId', 'classCode', 'kind', 'alias', 'driver', 'numaNode', 'iommuGroup', 'link', 'mps', 'mrrs', 'acs', 'capabilities', 'configBytes'];
const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';

test('topo --json on a real machine tree has every documented key', { skip: noRef }, () => {
  const r = runCli(['topo', '--json', '--root', hwlocRoot('32intel64-2p8co2t+8ve')]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.devices.length, 29);
  for (const d of json.devices) for (const k of REQUIRED_KEYS) assert.ok(k in d, `${d.bdf} lacks ${k}`);
  const nic = json.devices.find((d: { bdf: string }) => d.bdf === '0000:1a:00.0');
  assert.equal(nic.kind, 'nic');
  assert.equal(nic.parent, '0000:19:04.0');
  assert.equal(nic.classCode, '020700');
  assert.equal(nic.driver, 'mlx5_core');
  assert.equal(nic.numaNode, 0);
  assert.deepEqual(nic.link, { speed: 8, width: 16, maxSpeed: 8, maxWidth: 16, downtrained: false, up: true });
  assert.equal(nic.configBytes, 64);
  assert.equal(nic.mps, null, 'MPS lives past byte 64: unknown, not decoded from zeros');
  const kinds = new Set(json.devices.map((d: { kind: string }) => d.kind));
  for (const k of ['root-port', 'switch-upstream', 'switch-downstream', 'nic', 'accelerator']) assert.ok(kinds.has(k), k);
  const x722 = json.devices.find((d: { bdf: string }) => d.bdf === '0000:60:00.0');
  assert.equal(x722.alias, 'enp96s0f0');
  assert.equal(x722.link.downtrained, true);
});

test('topo text draws switches as one unit with ports', { skip: noRef }, () => {
  const r = runCli(['topo', '--root', hwlocRoot('32intel64-2p8co2t+8ve')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /switch 0000:18:00\.0/);
  assert.match(r.stdout, /port 19:04\.0 8GT\/s x16 → nic0 0000:1a:00\.0/);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'NO_COLOR output has no escapes');
});

test('topo --dump reads lspci dumps', { skip: noRef }, () => {
  const r = runCli(['topo', '--json', '--dump', path.join(PCIUTILS_DUMPS, 'tree-asus-p6t6')]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(json.devices.length > 10);
  assert.ok(json.devices.some((d: { configBytes: number }) => d.configBytes === 4096 || d.configBytes === 256));
  // An empty slot's root port: Link Status says 2.5GT/s x0. Down, not downtrained.
  const empty = json.devices.find((d: { bdf: string }) => d.bdf === '0000:00:01.0');
  assert.deepEqual(empty.link, { speed: 2.5, width: 0, maxSpeed: 5, maxWidth: 4, downtrained: false, up: false });
  const text = runCli(['topo', '--dump', path.join(PCIUTILS_DUMPS, 'tree-asus-p6t6')]);
  assert.match(text.stdout, /0000:00:01\.0 root port .*\[link down \(capable 5GT\/s x4\)\]/);
  assert.match(text.stdout, /0000:00:07\.0 root port .*\[2\.5GT\/s x16 ↓ \(capable 5GT\/s x16\)\]/, 'a narrower link still stands out');
});

test('bad input: one clear line, non-zero exit, no stack trace', () => {
  const tmp = tempDirRemovedAtExit('p2p-bad-');
  const garbage = path.join(tmp, 'garbage.txt');
  fs.writeFileSync(garbage, 'this is not a dump\n');
  const truncated = path.join(tmp, 'trunc.txt');
  fs.writeFileSync(truncated, '00:00.0 Host bridge\n00: 86 80 05 34\n');
  const binary = path.join(tmp, 'bin.dat');
  fs.writeFileSync(binary, Buffer.from([0, 1, 2, 3, 0, 255]));
  const emptyRoot = path.join(tmp, 'root');
  fs.mkdirSync(emptyRoot);
  const dangling = path.join(tmp, 'dangling');
  fs.mkdirSync(path.join(dangling, 'sys/bus/pci/devices'), { recursive: true });
  fs.symlinkSync('../../../devices/pci0000:00/0000:00:01.0', path.join(dangling, 'sys/bus/pci/devices/0000:00:01.0'));
  const cases: [string[], RegExp][] = [
    [['topo', '--root', path.join(tmp, 'nope')], /--root .*: no such directory/],
    [['topo', '--root', garbage], /not a directory/],
    [['topo', '--root', emptyRoot], /no PCI devices/],
    [['topo', '--root', dangling], /no PCI devices found/],
    [['topo', '--dump', path.join(tmp, 'nope.txt')], /--dump .*: no such file/],
    [['topo', '--dump', garbage], /garbage\.txt:1: not an lspci hex dump line/],
    [['topo', '--dump', truncated], /only 4 bytes of config space/],
    [['topo', '--dump', binary], /binary data/],
    [['topo', '--dump', tmp], /is a directory/],
    [['topo', '--pci-ids', path.join(tmp, 'none.ids'), '--dump', path.join(PCIUTILS_DUMPS, 'cap-dpc')], /--pci-ids .*: no such file/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.ok(isOneLineError(r), `${args.join(' ')}: expected one line, got: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});

test('unknown command and conflicting sources are usage errors with exit 2', () => {
  const r = runCli(['frobnicate']);
  assert.equal(r.code, 2);
  const c = runCli(['topo', '--root', '/', '--dump', 'x']);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /mutually exclusive/);
});

test('topo --svg through the entry point: - is stdout, FILE gets an XML declaration, bad use is one line', { skip: noRef }, () => {
  const root = hwlocRoot('32intel64-2p8co2t+8ve');
  const out = runCli(['topo', '--svg', '-', '--root', root]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*data-bdf="0000:1a:00.0"[\s\S]*<\/svg>\n$/);
  const file = path.join(tempDirRemovedAtExit('p2p-svg-'), 't.svg');
  const r = runCli(['topo', '--svg', file, '--root', root]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.readFileSync(file, 'utf8').startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg'));
  for (const args of [['--svg', '-', '--json'], ['--svg', path.join(file, 'no/such/t.svg')]]) {
    const bad = runCli(['topo', ...args, '--root', root]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.ok(isOneLineError(bad), bad.stderr);
  }
});
