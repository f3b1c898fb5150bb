// p2p snapshot -> replay: the same JSON as the source on real machines' trees and on this machine,
// redaction, size caps and dangerous files, safe extraction, and temp dirs that never outlive the run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captureSnapshot, writeSnapshot } from '../../src/access/snapshot-writer.js';
import { openSnapshot, readSnapshotFabric, safeRelative, MANIFEST_NAME, type SnapshotManifest } from '../../src/access/snapshot.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import { readSysfsDirWithFs, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';
import { gzipTar, readTarGz, writeTar, type TarEntry } from '../../src/access/tar.js';
import { haveRefdata, HWLOC_TREES, hwlocRoot, REPO_ROOT } from '../helpers/refdata.js';
import { isOneLineError, runCli } from '../helpers/run-cli.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';

function tmp(prefix = 'p2p-snaptest-'): string {
  return tempDirRemovedAtExit(prefix);
}

/** topo --json without the one field that must differ (where the data came from). */
function topoJson(args: string[]): Record<string, unknown> {
  const r = runCli(['topo', '--json', ...args], {}, 120000);
  assert.equal(r.code, 0, `topo ${args.join(' ')}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  delete j.source;
  return j;
}

for (const name of HWLOC_TREES) {
  test(`round trip on ${name}: snapshot of the tree replays to the identical topo JSON`, { skip: noRef }, () => {
    const root = hwlocRoot(name);
    const out = path.join(tmp(), 'snap.tar.gz');
    const { manifest } = writeSnapshot(out, { root });
    assert.ok(manifest.devices > 0);
    assert.equal(manifest.source, 'root');
    assert.equal(manifest.uid, null, 'a captured tree says nothing about who read it');
    const direct = topoJson(['--root', root]);
    const replay = topoJson(['--root', out]);
    assert.deepEqual(replay, direct);
    assert.ok((direct.devices as unknown[]).length > 0);
    // And the raw facts, field by field (config bytes included), not only what the JSON shows.
    const a = readSysfsFabric(root);
    const b = readSnapshotFabric(out);
    assert.equal(b.source.method, 'snapshot');
    assert.deepEqual(b.devices.map((d) => ({ ...d, config: Buffer.from(d.config.bytes.subarray(0, d.config.length)).toString('hex') })),
      a.devices.map((d) => ({ ...d, config: Buffer.from(d.config.bytes.subarray(0, d.config.length)).toString('hex') })));
    assert.deepEqual({ ...b.host, isRoot: null }, a.host);
  });
}

test('32intel64 quirk survives: a bridge missing from bus/pci/devices is still captured and read', { skip: noRef }, () => {
  const out = path.join(tmp(), 'snap.tar.gz');
  writeSnapshot(out, { root: hwlocRoot('32intel64-2p8co2t+8ve') });
  const raw = readSnapshotFabric(out);
  assert.ok(raw.devices.some((d) => d.bdf === '0000:5f:03.0'));
  assert.ok(raw.warnings.some((w) => /0000:5f:03\.0: present in sys\/devices but missing/.test(w)));
});

const liveSkip = fs.existsSync('/sys/bus/pci/devices') && fs.readdirSync('/sys/bus/pci/devices').length > 0 ? false : 'this machine has no PCI devices in /sys';

test('round trip on this machine: p2p snapshot, then topo --root snap.tar.gz equals live topo', { skip: liveSkip }, () => {
  const out = path.join(tmp(), 'live.tar.gz');
  const { manifest } = writeSnapshot(out);
  assert.equal(manifest.source, 'live');
  assert.equal(manifest.uid, process.getuid?.());
  assert.equal(manifest.hostname, os.hostname());
  const live = topoJson([]);
  const replay = topoJson(['--root', out]);
  assert.deepEqual(replay, live);
  // Only the attributes p2p reads: never BARs, ROMs or write-only files.
  const { entries } = readTarGz(fs.readFileSync(out));
  const names = entries.map((e) => e.path);
  for (const n of names) assert.doesNotMatch(n, /\/(rom|resource\d+(_wc)?|remove|rescan|reset|vpd|uevent|driver_override)$/, n);
  assert.ok(names.includes(MANIFEST_NAME));
  assert.ok(names.some((n) => n.startsWith('sys/bus/pci/devices/')));
});

// ---------------------------------------------------------------------------------------------
// A synthetic tree: one root port and one NVMe with a Device Serial Number, and traps.

const SERIAL = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

/** 4096-byte config: header, PCIe cap at 0x40, DSN extended cap at 0x100. */
function configWithDsn(vendor: number, device: number, classCode: number, serial: number[] | null): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt16LE(vendor, 0);
  b.writeUInt16LE(device, 2);
  b.writeUInt16LE(0x0010, 6); // capability list
  b.writeUInt32LE((classCode << 8) | 0x01, 8);
  b[0x34] = 0x40;
  b[0x40] = 0x10;
  b[0x41] = 0;
  b.writeUInt16LE(0x0002, 0x42); // PCIe v2, endpoint
  if (serial) {
    b.writeUInt32LE(0x0003 | (1 << 16), 0x100);
    for (let i = 0; i < 8; i++) b[0x104 + i] = serial[i];
  }
  return b;
}

function makeTree(opts: { configBytes?: number; traps?: boolean } = {}): string {
  const root = path.join(tmp(), 'root');
  const bus = path.join(root, 'sys/bus/pci/devices');
  fs.mkdirSync(bus, { recursive: true });
  const hb = 'sys/devices/pci0000:00';
  const devs: [string, string, Buffer][] = [
    ['0000:00:01.0', `${hb}/0000:00:01.0`, configWithDsn(0x8086, 0x1234, 0x060400, null)],
    ['0000:01:00.0', `${hb}/0000:00:01.0/0000:01:00.0`, configWithDsn(0x144d, 0xa808, 0x010802, SERIAL)],
  ];
  for (const [bdf, rel, cfg] of devs) {
    const dir = path.join(root, rel);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config'), cfg.subarray(0, opts.configBytes ?? 4096));
    fs.writeFileSync(path.join(dir, 'vendor'), `0x${cfg.readUInt16LE(0).toString(16).padStart(4, '0')}\n`);
    fs.writeFileSync(path.join(dir, 'numa_node'), '0\n');
    fs.symlinkSync(path.relative(bus, dir), path.join(bus, bdf));
  }
  const nvme = path.join(root, hb, '0000:00:01.0/0000:01:00.0');
  fs.mkdirSync(path.join(root, 'sys/bus/pci/drivers/nvme'), { recursive: true });
  fs.symlinkSync('../../../../bus/pci/drivers/nvme', path.join(nvme, 'driver'));
  // An absolute link, as some captures have: must come out relative.
  fs.mkdirSync(path.join(root, 'sys/class/nvme'), { recursive: true });
  fs.mkdirSync(path.join(nvme, 'nvme/nvme0'), { recursive: true });
  fs.symlinkSync(`/${hb}/0000:00:01.0/0000:01:00.0/nvme/nvme0`, path.join(root, 'sys/class/nvme/nvme0'));
  fs.writeFileSync(path.join(nvme, 'nvme/nvme0/serial'), 'S4EWNX0R123456\n');
  fs.mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
  fs.writeFileSync(path.join(root, 'proc/sys/kernel/hostname'), 'gpu-node-17.example.com\n');
  fs.writeFileSync(path.join(root, 'proc/cmdline'), 'ro quiet iommu=pt\n');
  if (opts.traps) {
    fs.writeFileSync(path.join(nvme, 'rom'), Buffer.alloc(1 << 20, 0xee));
    fs.writeFileSync(path.join(nvme, 'resource0'), Buffer.alloc(1 << 20, 0xee));
    fs.writeFileSync(path.join(nvme, 'remove'), '');
    fs.writeFileSync(path.join(nvme, 'vpd'), 'SN:SECRET');
    fs.writeFileSync(path.join(nvme, 'resource'), '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'.repeat(4000));
    spawnSync('mkfifo', [path.join(nvme, 'device')]); // would block a plain read forever
  }
  return root;
}

test('--redact zeroes the Device Serial Number and the host name, and says so in the manifest', () => {
  const root = makeTree();
  const plain = captureSnapshot({ root });
  const plainCfg = plain.entries.find((e) => e.path.endsWith('0000:01:00.0/config'));
  assert.ok(plainCfg?.type === 'file');
  assert.deepEqual([...plainCfg.data.subarray(0x104, 0x10c)], SERIAL, 'without --redact the bytes are kept');
  assert.equal(plain.manifest.hostname, 'gpu-node-17.example.com');

  const out = path.join(tmp(), 'red.tar.gz');
  const { manifest } = writeSnapshot(out, { root, redact: true });
  const { entries } = readTarGz(fs.readFileSync(out));
  const cfg = entries.find((e) => e.path.endsWith('0000:01:00.0/config'));
  assert.ok(cfg?.type === 'file');
  assert.equal(cfg.data.length, 4096);
  assert.deepEqual([...cfg.data.subarray(0x104, 0x10c)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...cfg.data.subarray(0x100, 0x104)], [0x03, 0x00, 0x01, 0x00], 'the capability header stays');
  assert.deepEqual(Buffer.from(cfg.data).subarray(0, 0x100), configWithDsn(0x144d, 0xa808, 0x010802, SERIAL).subarray(0, 0x100));
  const host = entries.find((e) => e.path === 'proc/sys/kernel/hostname');
  assert.ok(host?.type === 'file');
  assert.equal(new TextDecoder().decode(host.data), 'redacted\n');
  assert.equal(manifest.hostname, null);
  assert.equal(manifest.root, null);
  assert.equal(manifest.redacted, true);
  assert.deepEqual(manifest.redactions.map((r) => r.path), ['sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config', 'proc/sys/kernel/hostname']);
  const inArchive = JSON.parse(new TextDecoder().decode((entries.find((e) => e.path === MANIFEST_NAME) as { data: Uint8Array }).data)) as SnapshotManifest;
  assert.deepEqual(inArchive, manifest);
  const all = entries.map((e) => (e.type === 'file' ? new TextDecoder('latin1').decode(e.data) : '')).join('\n');
  assert.doesNotMatch(all, /gpu-node-17|S4EWNX0R/, 'no host name or drive serial anywhere');
});

test('config space is captured as readable: 64 bytes stays 64 and the manifest counts it', () => {
  const { manifest, entries } = captureSnapshot({ root: makeTree({ configBytes: 64 }) });
  assert.deepEqual(manifest.configBytes, { 64: 2 });
  for (const e of entries) if (e.path.endsWith('/config')) assert.equal((e as { data: Uint8Array }).data.length, 64);
});

test('config space goes through the given directory reader; one it cannot read is listed as unreadable, not captured', () => {
  const root = makeTree({ configBytes: 64 });
  const asked: string[] = [];
  const refusing: SysfsDirReader = (dir, files, links, configMax) => {
    asked.push(path.basename(dir));
    return { ...readSysfsDirWithFs(dir, files, links, configMax), config: null, configLength: 0, configError: 'EACCES: permission denied' };
  };
  const { manifest, entries } = captureSnapshot({ root, readDir: refusing });
  assert.equal(asked.length, 2, 'one read per function');
  assert.ok(!entries.some((e) => e.path.endsWith('/config')));
  assert.deepEqual(manifest.configBytes, {});
  assert.equal(manifest.unreadable.filter((u) => u.path.endsWith('/config') && u.error === 'EACCES').length, 2);
});

test('never reads BARs, ROMs, vpd or write-only files, caps sizes, and does not block on a FIFO', { skip: process.platform !== 'linux' ? 'linux only' : false }, () => {
  const root = makeTree({ traps: true });
  const started = Date.now();
  const { entries, manifest } = captureSnapshot({ root });
  assert.ok(Date.now() - started < 5000);
  const names = entries.map((e) => e.path);
  for (const bad of ['rom', 'resource0', 'remove', 'vpd', 'device', 'nvme/nvme0/serial']) {
    assert.ok(!names.some((n) => n.endsWith(`0000:01:00.0/${bad}`)), `${bad} must not be captured`);
  }
  const res = entries.find((e) => e.path.endsWith('0000:01:00.0/resource'));
  assert.ok(res?.type === 'file');
  assert.equal(res.data.length, 64 << 10);
  assert.deepEqual(manifest.truncated, [{ path: 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/resource', bytes: 64 << 10 }]);
  // The absolute class link became relative and still lands on the device.
  const link = entries.find((e) => e.path === 'sys/class/nvme/nvme0');
  assert.ok(link?.type === 'symlink');
  assert.equal(link.target, '../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0');
});

// ---------------------------------------------------------------------------------------------
// Reading archives: safety, errors, cleanup.

function withTmpdir<T>(fn: (dir: string) => T): T {
  const dir = tmp('p2p-tmpdir-');
  const old = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return fn(dir);
  } finally {
    if (old === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = old;
  }
}

const ARCHIVES = tmp();
let archives = 0;
function archive(entries: TarEntry[]): string {
  const file = path.join(ARCHIVES, `x${archives++}.tar.gz`);
  fs.writeFileSync(file, gzipTar(entries));
  return file;
}

const MIN: TarEntry[] = [{ type: 'dir', path: 'sys/bus/pci/devices' }];

test('safeRelative rejects absolute paths and ".." and normalises the rest', () => {
  assert.equal(safeRelative('./sys//bus/./pci/'), 'sys/bus/pci');
  assert.equal(safeRelative('/etc/passwd'), null);
  assert.equal(safeRelative('sys/../../etc'), null);
  assert.equal(safeRelative('a\0b'), null);
});

test('unsafe archives are refused and leave nothing behind in the temp dir', () => {
  withTmpdir((dir) => {
    const cases: [TarEntry[], RegExp][] = [
      [[...MIN, { type: 'file', path: '/etc/evil', data: new Uint8Array(1) }], /absolute or leaves the archive/],
      [[...MIN, { type: 'file', path: 'sys/../../evil', data: new Uint8Array(1) }], /absolute or leaves the archive/],
      [[...MIN, { type: 'symlink', path: 'sys/evil', target: '/tmp' }, { type: 'file', path: 'sys/evil/x', data: new Uint8Array(1) }], /symlink and an entry is written through it/],
      [[...MIN, { type: 'symlink', path: 'sys/up', target: '..' }, { type: 'file', path: 'sys/up/sys/x', data: new Uint8Array(1) }], /sys\/up is a symlink and an entry is written through it/],
      [[...MIN, { type: 'file', path: 'sys/f', data: new Uint8Array(1) }, { type: 'file', path: 'sys/f/x', data: new Uint8Array(1) }], /sys\/f is both a file and a directory/],
      [[{ type: 'file', path: 'hello', data: new Uint8Array(1) }], /not a p2p snapshot: the archive has no sys\/bus\/pci\/devices/],
    ];
    for (const [entries, pattern] of cases) {
      assert.throws(() => openSnapshot(archive(entries)), (e: unknown) => e instanceof Error && e.name === 'UserError' && pattern.test(e.message), String(pattern));
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'every extraction dir was removed');
  });
});

test('links: absolute targets become relative to the snapshot root, escaping ones are dropped with a warning', () => {
  withTmpdir((dir) => {
    const snap = openSnapshot(archive([
      ...MIN,
      { type: 'dir', path: 'sys/devices/pci0000:00/0000:00:01.0' },
      { type: 'symlink', path: 'sys/bus/pci/devices/0000:00:01.0', target: '/sys/devices/pci0000:00/0000:00:01.0' },
      { type: 'symlink', path: 'sys/escape', target: '../../../../etc' },
      { type: 'symlink', path: 'sys/self', target: '.' },
      { type: 'symlink', path: 'sys/sneaky', target: 'self/../..' },
    ]));
    assert.equal(fs.readlinkSync(path.join(snap.root, 'sys/bus/pci/devices/0000:00:01.0')), '../../../devices/pci0000:00/0000:00:01.0');
    assert.ok(fs.statSync(path.join(snap.root, 'sys/bus/pci/devices/0000:00:01.0')).isDirectory());
    assert.equal(fs.existsSync(path.join(snap.root, 'sys/escape')), false);
    assert.ok(snap.warnings.some((w) => /sys\/escape: link to .* points outside the snapshot/.test(w)));
    // Lexically inside, physically outside (sys/self is the root's sys, so ../.. leaves the root): removed.
    assert.throws(() => fs.lstatSync(path.join(snap.root, 'sys/sneaky')), /ENOENT/);
    assert.ok(snap.warnings.some((w) => /sys\/sneaky: link resolves outside the snapshot; removed/.test(w)), snap.warnings.join('; '));
    snap.cleanup();
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

test('a tarball of a captured tree made by GNU tar (no manifest, one top-level dir) reads like the tree', { skip: noRef }, () => {
  const root = hwlocRoot('2pa-pcidomain32bits');
  const file = path.join(tmp(), 'tree.tgz');
  spawnSync('tar', ['czf', file, '-C', path.dirname(root), path.basename(root)]);
  assert.deepEqual(topoJson(['--root', file]), topoJson(['--root', root]));
});

test('corrupt, truncated and non-archive files: one line, exit 2, no stack, no temp dir left', () => {
  const good = fs.readFileSync(archive([...MIN, { type: 'file', path: 'sys/x', data: new Uint8Array(5000).fill(7) }]));
  const dir = tmp();
  const files: [string, Buffer | string, RegExp][] = [
    ['trunc.tar.gz', good.subarray(0, good.length - 30), /trunc\.tar\.gz: corrupt snapshot: gzip data is (truncated|corrupt)/],
    ['empty.tar.gz', Buffer.alloc(0), /empty\.tar\.gz: not a directory, and not a p2p snapshot/],
    ['text.tgz', 'hello\n', /text\.tgz: not a directory, and not a p2p snapshot/],
    ['cut.tar', Buffer.from(writeTar([...MIN, { type: 'file', path: 'sys/x', data: new Uint8Array(5000) }])).subarray(0, 1536), /cut\.tar: corrupt snapshot: archive is truncated/],
    ['missing.tar.gz', '', /missing\.tar\.gz: no such file/],
    ['nodev.tar.gz', fs.readFileSync(archive(MIN)), /nodev\.tar\.gz: no PCI devices found under sys\/bus\/pci\/devices$/m],
  ];
  const tmpdir = tmp('p2p-clitmp-');
  for (const [name, data, pattern] of files) {
    const f = path.join(dir, name);
    if (!name.startsWith('missing')) fs.writeFileSync(f, data);
    const r = runCli(['topo', '--root', f], { TMPDIR: tmpdir });
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.ok(isOneLineError(r), `${name}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.deepEqual(fs.readdirSync(tmpdir), []);
});

test('the extraction dir is removed when the command ends, and on SIGTERM', { skip: noRef }, () => {
  const out = path.join(tmp(), 's.tar.gz');
  writeSnapshot(out, { root: hwlocRoot('2pa-pcidomain32bits') });
  const tmpdir = tmp('p2p-clitmp-');
  const r = runCli(['topo', '--root', out], { TMPDIR: tmpdir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(tmpdir), []);
  // A process that is killed while it holds an extracted snapshot.
  const script = `import { openSnapshot } from ${JSON.stringify(path.join(REPO_ROOT, 'dist/src/access/snapshot.js'))};
    openSnapshot(${JSON.stringify(out)}); process.stdout.write('open\\n'); setTimeout(() => {}, 20000);`;
  const marker = path.join(tmp(), 'marker');
  const child = spawnSync('sh', ['-c', `node --input-type=module -e '${script.replace(/'/g, `'\\''`)}' > "$MARKER" & pid=$!
    i=0; while [ $i -lt 300 ] && ! grep -q open "$MARKER" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    cat "$MARKER"; ls "$TMPDIR" | wc -l; kill -TERM $pid; wait $pid; echo "rc=$?"`], {
    encoding: 'utf8', env: { ...process.env, TMPDIR: tmpdir, MARKER: marker }, timeout: 60000,
  });
  assert.match(child.stdout, /open\n1\n/, child.stdout + child.stderr);
  assert.match(child.stdout, /rc=143/, 'killed by the signal, as without our handler');
  assert.deepEqual(fs.readdirSync(tmpdir), []);
});
