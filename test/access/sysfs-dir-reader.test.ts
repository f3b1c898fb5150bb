// The batched sysfs reader: the addon's readSysfsDir and readSysfsDirs (on any thread count) and the
// plain-fs fallback give the same answers, directory by directory and as a whole RawFabric (real
// machines' trees, generated fabrics, odd-case trees, a non-root reader), the fabric holds the facts
// today's reader found, and a scan costs a handful of batch calls however many functions it has.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateFabric } from '../../bench/gen-fabric.js';
import { nativeSysfsDirReader } from '../../src/access/load.js';
import { readSysfsDirWithFs, sysfsDirReaderFromAddon, type SysfsDirReader, type SysfsDirResult } from '../../src/access/sysfs-dir-reader.js';
import { readSysfsFabric, resolveRelative } from '../../src/access/sysfs.js';
import { FILL_ALL, type RawDevice, type RawFabric } from '../../src/access/types.js';
import { vfIdsFromPf } from '../../src/model/caps/sriov.js';
import { buildFabric } from '../../src/model/topology.js';
import * as addon from '../../src/native/addon.js';
import { UserError } from '../../src/errors.js';
import { haveRefdata, HWLOC_TREES, hwlocRoot, REPO_ROOT } from '../helpers/refdata.js';
import { nobodyCannotRead, RUNUSER } from '../helpers/as-nobody.js';
import { buildEdgeTree, buildEmptyTrees, buildPermTree, scrambleFabric } from '../helpers/sysfs-edge-trees.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-dirreader-'));
fs.chmodSync(base, 0o755); // the non-root test reads the trees as nobody
after(() => fs.rmSync(base, { recursive: true, force: true }));

const noAddon = addon.addonStatus().loaded ? false : `addon not loaded: ${addon.addonStatus().error}`;
const nativeReader = sysfsDirReaderFromAddon(addon);
const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';

/** configError cut to its errno name: the wording comes from strerror in one reader and libuv in the other. */
function cut(r: SysfsDirResult): SysfsDirResult {
  return 'error' in r || r.configError === undefined ? r : { ...r, configError: r.configError.split(':')[0] };
}

/** Both readers' answers, cut; they must agree. */
function both(dir: string, files: string[], links: string[], configMax: number): SysfsDirResult {
  const n = cut(nativeReader(dir, files, links, configMax));
  const f = cut(readSysfsDirWithFs(dir, files, links, configMax));
  assert.deepStrictEqual(f, n, `readers differ on ${dir} ${JSON.stringify([files, links, configMax])}`);
  return n;
}

function fabricOrError(root: string, readDir: SysfsDirReader): RawFabric | string {
  try {
    return readSysfsFabric(root, { readDir, fill: FILL_ALL });
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.message;
  }
}

/** Thread counts for the native batches: the addon's pick, one, and more threads than directories in some batches. */
const THREADS = [0, 1, 2, 4, 13];

/** Reads `root` with the fs reader and the native one on every thread count, insists on identical RawFabrics, returns one. */
function sameFabric(root: string): RawFabric {
  const f = fabricOrError(root, readSysfsDirWithFs);
  for (const threads of THREADS) {
    assert.deepStrictEqual(fabricOrError(root, sysfsDirReaderFromAddon(addon, threads)), f, `threads ${threads}`);
  }
  assert.ok(typeof f !== 'string', f as string);
  return f;
}

function byBdf(raw: RawFabric): Map<string, RawDevice> {
  return new Map(raw.devices.map((d) => [d.bdf, d]));
}

describe('readSysfsDir, native and fs', { skip: noAddon }, () => {
  const d = path.join(base, 'dir');
  fs.mkdirSync(path.join(d, 'sub/deeper'), { recursive: true });
  fs.writeFileSync(path.join(d, 'attr'), '  42\n');
  fs.writeFileSync(path.join(d, 'latin1'), Buffer.from([0x41, 0xe9, 0xff, 0x0a]));
  fs.writeFileSync(path.join(d, 'big'), Buffer.alloc(100000, 0x61));
  fs.writeFileSync(path.join(d, 'empty'), '');
  fs.writeFileSync(path.join(d, 'sub/deeper/x'), 'deep');
  fs.symlinkSync('../../devices/pci0000:00/0000:00:01.0/', path.join(d, 'link'));
  fs.symlinkSync('nowhere', path.join(d, 'dangling'));
  fs.writeFileSync(path.join(d, 'config'), Buffer.from(Array.from({ length: 64 }, (_, i) => i)));

  it('reads files raw (Latin-1, untrimmed, capped at 64 KiB), null when missing or a directory', () => {
    const r = both(d, ['attr', 'latin1', 'big', 'empty', 'sub/deeper/x', 'missing', 'sub', 'dangling', 'link/x'], [], 0);
    assert.ok(!('error' in r));
    assert.deepStrictEqual(r.files.slice(0, 2), ['  42\n', 'A\u00e9\u00ff\n']);
    assert.equal(r.files[2]!.length, 65536);
    assert.deepStrictEqual(r.files.slice(3), ['', 'deep', null, null, null, null]);
    assert.equal(r.config, null);
    assert.equal(r.configLength, 0);
  });

  it('reads link targets; "" for a name that is not a link, null for a missing one', () => {
    const r = both(d, [], ['link', 'dangling', 'attr', 'sub', 'missing', 'sub/deeper/nope'], 0);
    assert.ok(!('error' in r));
    assert.deepStrictEqual(r.links, ['../../devices/pci0000:00/0000:00:01.0/', 'nowhere', '', '', null, null]);
  });

  it('reads config with the short-read rule and reports what it read', () => {
    for (const [max, want] of [[4096, 64], [64, 64], [16, 16]] as const) {
      const r = both(d, [], [], max);
      assert.ok(!('error' in r));
      assert.equal(r.configLength, want);
      assert.deepStrictEqual(r.config, Uint8Array.from({ length: want }, (_, i) => i));
      assert.equal(r.configError, undefined);
    }
    const none = both(path.join(d, 'sub'), [], [], 4096);
    assert.deepStrictEqual(none, { files: [], links: [], config: null, configLength: 0 });
  });

  it('tells a dangling config link and an unreadable config from a missing one', () => {
    const dl = path.join(base, 'cfg-dangling');
    fs.mkdirSync(dl);
    fs.symlinkSync('nowhere', path.join(dl, 'config'));
    assert.deepStrictEqual(both(dl, [], [], 4096), { files: [], links: [], config: null, configLength: 0, configError: 'ENOENT' });
    const cd = path.join(base, 'cfg-dir');
    fs.mkdirSync(path.join(cd, 'config'), { recursive: true });
    // The open works, the read fails: an empty read with the error.
    assert.deepStrictEqual(both(cd, [], [], 4096), { files: [], links: [], config: new Uint8Array(0), configLength: 0, configError: 'EISDIR' });
    const native = nativeReader(cd, [], [], 4096);
    assert.ok(!('error' in native));
    assert.match(native.configError ?? '', /^EISDIR: \S/);
  });

  it('answers { error } when the directory will not open', () => {
    assert.deepStrictEqual(both(path.join(d, 'missing'), ['attr'], ['link'], 4096), { error: 'ENOENT' });
    assert.deepStrictEqual(both(path.join(d, 'attr'), [], [], 0), { error: 'ENOTDIR' });
    assert.deepStrictEqual(both(path.join(d, 'dangling'), [], [], 0), { error: 'ENOENT' });
  });

  it('throws TypeError for bad arguments, never for missing files', () => {
    const call = addon.readSysfsDir as unknown as (...a: unknown[]) => unknown;
    for (const args of [[], [d, [], []], [42, [], [], 0], [d, 'attr', [], 0], [d, [], {}, 0], [d, [1], [], 0], [d, [], [null], 0],
      [d, [], [], -1], [d, [], [], 1.5], [d, [], [], 2 ** 21], [d, [], [], '64'], ['', [], [], 0], ['a\0b', [], [], 0], [d, ['a\0b'], [], 0]]) {
      assert.throws(() => call(...args), TypeError, `args ${JSON.stringify(args)}`);
    }
    assert.doesNotThrow(() => call(path.join(d, 'missing'), ['x'], ['y'], 4096));
  });

  it('readSysfsDirs answers each directory as readSysfsDir does, in order, on any thread count', () => {
    const edge = buildEdgeTree(path.join(base, 'edge-dirs'));
    const dirs: string[] = [];
    const walk = (dir: string) => {
      dirs.push(dir);
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name));
    };
    walk(path.join(edge, 'sys'));
    const bus = path.join(edge, 'sys/bus/pci/devices');
    // Every kind of unopenable entry, and a directory asked twice.
    dirs.push(...fs.readdirSync(bus).sort().map((n) => path.join(bus, n)), path.join(d, 'missing'), path.join(d, 'attr'), path.join(d, 'dangling'), d, d);
    assert.ok(dirs.length > 50, `${dirs.length} dirs`);
    const files = ['numa_node', 'resource', 'vendor', 'p2pmem/size', 'type', 'missing'];
    const links = ['driver', 'iommu_group', 'physfn', 'p2pmem', 'config', 'subsystem'];
    for (const max of [4096, 64, 0]) {
      const one = dirs.map((dir) => cut(nativeReader(dir, files, links, max)));
      assert.deepStrictEqual(readSysfsDirWithFs.batch!(dirs, files, links, max).map(cut), one, `fs batch, configMax ${max}`);
      assert.ok(one.some((r) => 'error' in r));
      assert.equal(one.some((r) => !('error' in r) && r.config && r.configLength > 0), max > 0);
      for (const threads of THREADS) {
        const many = addon.readSysfsDirs(dirs, files, links, max, threads);
        assert.deepStrictEqual(many.map(cut), one, `threads ${threads}, configMax ${max}`);
        // Every config is a view of exactly its own bytes, whatever buffer it shares.
        for (const r of many) if (!('error' in r) && r.config) assert.equal(r.config.byteLength, r.configLength);
      }
    }
    assert.deepStrictEqual(addon.readSysfsDirs([], files, links, 4096), []);
    assert.deepStrictEqual(addon.readSysfsDirs([d], [], [], 4096, 8).map(cut), [both(d, [], [], 4096)]);
  });

  it('one directory asked for many links (a bus of thousands of functions) answers them all, in order, as fs does', () => {
    // Past a few hundred links the addon splits them over threads; every kind of entry, in every position.
    const many = path.join(base, 'many-links');
    fs.mkdirSync(many);
    const names: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const name = `e${String(i).padStart(4, '0')}`;
      names.push(name);
      if (i % 7 === 3) fs.writeFileSync(path.join(many, name), 'plain'); // not a link: ""
      else if (i % 11 === 5) continue; // absent: null
      else fs.symlinkSync(`../../devices/pci0000:00/0000:00:01.0/${'x'.repeat(i % 50)}${name}`, path.join(many, name));
    }
    const got = nativeReader(many, [], names, 0);
    assert.ok(!('error' in got));
    assert.deepStrictEqual(got, readSysfsDirWithFs(many, [], names, 0));
    assert.ok(got.links.includes('') && got.links.includes(null) && got.links[1499]!.endsWith('e1499'));
  });

  it('readSysfsDirs throws TypeError for bad arguments', () => {
    const call = addon.readSysfsDirs as unknown as (...a: unknown[]) => unknown;
    for (const args of [[], [[d], [], []], [d, [], [], 0], [[42], [], [], 0], [[''], [], [], 0], [['a\0b'], [], [], 0], [[d], 'attr', [], 0],
      [[d], [], [1], 0], [[d], [], [], -1], [[d], [], [], 2 ** 21], [[d], [], [], 0, -1], [[d], [], [], 0, 1.5], [[d], [], [], 0, 65], [[d], [], [], 0, '2']]) {
      assert.throws(() => call(...args), TypeError, `args ${JSON.stringify(args)}`);
    }
    assert.doesNotThrow(() => call([path.join(d, 'missing')], ['x'], ['y'], 4096, 64));
  });

  it('load.ts hands out the native reader only when the addon loads', async () => {
    assert.equal(typeof (await nativeSysfsDirReader()), 'function');
    process.env.P2P_NO_ADDON = '1';
    addon.resetAddonForTests();
    try {
      assert.equal(await nativeSysfsDirReader(), undefined);
    } finally {
      delete process.env.P2P_NO_ADDON;
      addon.resetAddonForTests();
    }
  });
});

describe('readSysfsFabric: the same RawFabric through either reader', { skip: noAddon }, () => {
  for (const name of HWLOC_TREES) {
    it(`on ${name}`, { skip: noRef }, () => {
      const raw = sameFabric(hwlocRoot(name));
      assert.ok(raw.devices.length > 0);
      assert.ok(raw.devices.every((d) => d.config.length > 0 || d.classCode), 'the header from config, or IDs from sysfs');
    });
  }

  it('on the odd-case tree, with the facts the reader has always found there', () => {
    const root = buildEdgeTree(path.join(base, 'edge'));
    const raw = sameFabric(root);
    assert.deepStrictEqual(raw.warnings, [
      '0000:00:1f.0: present in sys/devices but missing from sys/bus/pci/devices; read from sys/devices/pci0000:00/0000:00:1f.0',
      '0000:00:02.0: sys/bus/pci/devices/0000:00:02.0 is a dangling link; skipped',
      '0000:00:04.0: cannot list sys/bus/pci/devices/0000:00:04.0 (ENOTDIR); skipped',
      '0000:01:00.5: cannot read config space (ENOENT)',
    ]);
    assert.deepStrictEqual(raw.devices.map((d) => d.bdf), [
      '0000:00:00.0', '0000:00:01.0', '0000:00:03.0', '0000:00:06.0', '0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3',
      '0000:01:00.4', '0000:01:00.5', '0000:01:00.6', '0000:01:00.7', '0000:02:00.0', '0000:03:00.0', '0000:00:1f.0',
    ]);
    const dev = byBdf(raw);
    const pick = (bdf: string, keys: (keyof RawDevice)[]) => Object.fromEntries(keys.map((k) => [k, dev.get(bdf)![k]]));
    assert.deepStrictEqual(dev.get('0000:00:00.0')!.resources, [{ index: 0, start: 0x1000n, end: 0x1fffn, flags: 0x40101 }]);
    assert.deepStrictEqual(pick('0000:00:01.0', ['driver', 'iommuGroup', 'currentLinkSpeed', 'vendorId']),
      { driver: 'pcieport', iommuGroup: '1', currentLinkSpeed: undefined, vendorId: undefined });
    // 64 bytes of config: link state from sysfs, IDs from config; a full p2pmem directory.
    assert.deepStrictEqual(pick('0000:01:00.0', ['currentLinkSpeed', 'currentLinkWidth', 'maxLinkSpeed', 'maxLinkWidth', 'vendorId', 'driver', 'iommuGroup', 'p2pmem', 'classNames', 'parentBdf', 'hostBridge']), {
      currentLinkSpeed: '8.0 GT/s PCIe', currentLinkWidth: 4, maxLinkSpeed: '16.0 GT/s PCIe', maxLinkWidth: 8, vendorId: undefined,
      driver: 'nvme', iommuGroup: '10', p2pmem: { size: 1048576, available: 524288, published: true },
      classNames: { nvme: ['nvme0'], block: ['nvme0n1', 'sda'], net: ['eth0'] }, parentBdf: '0000:00:01.0', hostBridge: 'pci0000:00',
    });
    // A VF: config reads 0xffff for Vendor and Device ID, which its 64-byte PF cannot give: those two from
    // sysfs, the rest from its own config; p2pmem with an unreadable size and no published file.
    assert.deepStrictEqual(pick('0000:01:00.1', ['vendorId', 'deviceId', 'classCode', 'subsystemVendorId', 'subsystemDeviceId', 'revision', 'physfn', 'p2pmem', 'currentLinkSpeed']), {
      vendorId: '144d', deviceId: 'a80a', classCode: undefined, subsystemVendorId: undefined, subsystemDeviceId: undefined, revision: undefined,
      physfn: '0000:01:00.0', p2pmem: { size: null, available: 0, published: null }, currentLinkSpeed: undefined,
    });
    // Unreadable attributes are null; an empty p2pmem directory still marks a provider.
    assert.deepStrictEqual(pick('0000:01:00.2', ['numaNode', 'localCpuList', 'driver', 'resources', 'p2pmem', 'classNames', 'iommuGroup']), {
      numaNode: null, localCpuList: null, driver: null, resources: [], p2pmem: { size: null, available: null, published: null },
      classNames: { drm: ['card0', 'card1'] }, iommuGroup: '11',
    });
    assert.deepStrictEqual(pick('0000:01:00.3', ['vendorId', 'deviceId', 'classCode', 'currentLinkSpeed', 'currentLinkWidth', 'maxLinkWidth', 'numaNode', 'p2pmem']), {
      vendorId: null, deviceId: null, classCode: '0c0330', currentLinkSpeed: 'Unknown', currentLinkWidth: null, maxLinkWidth: -1, numaNode: -1,
      p2pmem: { size: null, available: null, published: null },
    });
    assert.equal(dev.get('0000:01:00.4')!.config.length, 0); // config is a directory: nothing read, no warning
    assert.deepStrictEqual(dev.get('0000:01:00.4')!.p2pmem, { size: null, available: null, published: null }); // dangling p2pmem link
    assert.deepStrictEqual(dev.get('0000:01:00.5')!.p2pmem, { size: 4096, available: null, published: null }); // p2pmem via a link
    assert.deepStrictEqual(pick('0000:01:00.6', ['vendorId', 'p2pmem', 'currentLinkWidth']), { vendorId: '8086', p2pmem: null, currentLinkWidth: 4 });
    assert.deepStrictEqual(pick('0000:01:00.7', ['physfn', 'classNames', 'maxLinkWidth']), { physfn: null, classNames: { net: ['gone0'] }, maxLinkWidth: 8 });
    assert.equal(dev.get('0000:01:00.7')!.config.length, 100);
    assert.deepStrictEqual(pick('0000:00:03.0', ['parentBdf', 'hostBridge', 'origin', 'numaNode', 'currentLinkSpeed', 'maxLinkSpeed']), {
      parentBdf: undefined, hostBridge: null, origin: 'sys/bus/pci/devices/0000:00:03.0', numaNode: 1, currentLinkSpeed: '2.5 GT/s PCIe', maxLinkSpeed: null,
    });
    assert.deepStrictEqual(pick('0000:00:06.0', ['parentBdf', 'origin']), { parentBdf: null, origin: 'sys/devices/pci0000:00/0000:00:06.0' });
    assert.equal(dev.get('0000:02:00.0')!.parentBdf, '0000:00:1f.0');
    assert.deepStrictEqual([...raw.host.iommuGroupTypes!].sort(), [['0', 'DMA'], ['1', 'identity'], ['10', 'DMA-FQ']]);
  });

  it('resolves link targets as path.resolve does, however they are spelled', () => {
    const segments = ['..', '.', '', 'devices', 'pci0000:00', '0000:00:01.0', '.x', '..y', 'z.'];
    let state = 7;
    const pick = () => segments[(state = (Math.imul(state, 1103515245) + 12345) >>> 0) % segments.length];
    for (const dir of ['/', '/sys', '/tmp/root/sys/bus/pci/devices']) {
      for (let n = 0; n < 3000; n++) {
        const rel = Array.from({ length: 1 + (n % 7) }, pick).join('/');
        if (rel === '' || rel.startsWith('/')) continue; // absolute targets never get here
        assert.equal(resolveRelative(dir, rel), path.resolve(dir, rel), `${dir} + ${rel}`);
      }
    }
  });

  it('follows bus links however they are spelled, as path.resolve does', () => {
    const root = path.join(base, 'spelled');
    const spellings = [
      '../../../devices/pci0000:00/0000:00:00.0',
      './../../../devices/pci0000:00/0000:00:01.0',
      '../../../devices/pci0000:00/0000:00:02.0/',
      '../../../devices/pci0000:00/./0000:00:03.0',
      '../../../devices/pci0000:00/nothing/../0000:00:04.0',
      '../../../../../../../../devices/pci0000:00/0000:00:05.0', // above the filesystem root: outside this one
    ];
    spellings.forEach((target, i) => {
      const bdf = `0000:00:0${i}.0`;
      fs.mkdirSync(path.join(root, 'sys/devices/pci0000:00', bdf), { recursive: true });
      fs.writeFileSync(path.join(root, 'sys/devices/pci0000:00', bdf, 'config'), new Uint8Array(64));
      fs.mkdirSync(path.join(root, 'sys/bus/pci/devices'), { recursive: true });
      fs.symlinkSync(target, path.join(root, 'sys/bus/pci/devices', bdf));
    });
    const raw = sameFabric(root);
    assert.deepStrictEqual(raw.devices.map((d) => [d.origin, d.hostBridge, d.parentBdf]), spellings.slice(0, 5).map((_, i) => [`sys/devices/pci0000:00/0000:00:0${i}.0`, 'pci0000:00', null]));
    assert.deepStrictEqual(raw.warnings, ['0000:00:05.0: sys/bus/pci/devices/0000:00:05.0 is a dangling link; skipped']);
  });

  it('gives up the same way on a root without devices', () => {
    const { missing, empty } = buildEmptyTrees(path.join(base, 'empties'));
    for (const root of [missing, empty, path.join(base, 'nonexistent')]) {
      const n = fabricOrError(root, nativeReader);
      assert.equal(typeof n, 'string');
      assert.equal(fabricOrError(root, readSysfsDirWithFs), n);
    }
  });

  const asNobody = nobodyCannotRead(path.join(REPO_ROOT, 'dist/src/access/sysfs.js')) ?? false;
  it('for a non-root reader too: permission holes give the warnings and nulls they always gave', { skip: asNobody }, () => {
    const perm = buildPermTree(path.join(base, 'perm'));
    assert.deepStrictEqual(sameFabric(perm).warnings, []); // root reads everything
    const edge = buildEdgeTree(path.join(base, 'edge-nobody'));
    const mixed = path.join(base, 'mixed-nobody');
    generateFabric(mixed, { functions: 300 });
    scrambleFabric(mixed, 3);
    const script = `
      const dist = ${JSON.stringify(path.join(REPO_ROOT, 'dist'))};
      const { readSysfsFabric } = await import(dist + '/src/access/sysfs.js');
      const r = await import(dist + '/src/access/sysfs-dir-reader.js');
      const addon = await import(dist + '/src/native/addon.js');
      const json = (x) => JSON.stringify(x, (k, v) => typeof v === 'bigint' ? v + 'n' : v instanceof Uint8Array ? [...v] : v instanceof Map ? [...v].sort() : v);
      const out = {};
      for (const root of ${JSON.stringify([perm, edge, mixed])}) {
        const f = json(readSysfsFabric(root, { readDir: r.readSysfsDirWithFs, fill: ${FILL_ALL} }));
        const differ = ${JSON.stringify(THREADS)}.filter((n) => json(readSysfsFabric(root, { readDir: r.sysfsDirReaderFromAddon(addon, n), fill: ${FILL_ALL} })) !== f);
        out[root] = { fabric: JSON.parse(f), differ };
      }
      console.log(JSON.stringify(out));`;
    const res = spawnSync(RUNUSER!, ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: '/', maxBuffer: 1 << 28 });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout) as Record<string, { fabric: unknown; differ: number[] }>;
    for (const [root, { differ }] of Object.entries(out)) assert.deepStrictEqual(differ, [], `native (threads ${differ}) and fs readers differ for nobody on ${root}`);
    const mixedWarnings = (out[mixed].fabric as RawFabric).warnings;
    assert.ok(mixedWarnings.length > sameFabric(mixed).warnings.length, 'nobody meets permission holes root does not');
    const permRaw = out[perm].fabric as { warnings: string[]; devices: { bdf: string; p2pmem: unknown; numaNode: unknown; localCpuList: unknown; classNames?: unknown }[]; host: { iommuGroupTypes: unknown } };
    assert.deepStrictEqual(permRaw.warnings, [
      '0000:00:01.0: cannot list sys/devices/pci0000:00/0000:00:01.0 (EACCES); skipped',
      '0000:00:02.0: cannot read config space (EACCES)',
      '0000:00:03.0: cannot read config space (EACCES)',
      '0000:00:04.0: cannot read config space (EACCES)',
    ]);
    const p = new Map(permRaw.devices.map((d) => [d.bdf, d]));
    const nulls = { size: null, available: null, published: null };
    // Listable but not searchable: only the listing shows p2pmem is there.
    assert.deepStrictEqual(p.get('0000:00:02.0')!.p2pmem, nulls);
    assert.equal(p.get('0000:00:04.0')!.p2pmem, null);
    // A p2pmem directory the reader cannot enter; an attribute only root may read.
    assert.deepStrictEqual([p.get('0000:00:03.0')!.p2pmem, p.get('0000:00:03.0')!.numaNode, p.get('0000:00:03.0')!.localCpuList], [nulls, null, '0-3']);
    assert.equal(p.get('0000:00:00.0')!.classNames, undefined);
    assert.deepStrictEqual(permRaw.host.iommuGroupTypes, [['0', 'DMA'], ['1', 'identity'], ['10', 'DMA-FQ']]);
    // Nothing in the odd-case tree depends on who reads it.
    const edgeRoot = JSON.parse(JSON.stringify(sameFabric(edge), (k, v) => typeof v === 'bigint' ? v + 'n' : v instanceof Uint8Array ? [...v] : v instanceof Map ? [...v].sort() : v)) as unknown;
    assert.deepStrictEqual(out[edge].fabric, edgeRoot);
  });
});

describe('readSysfsFabric: one batch for every function, then one per mix of needs', { skip: noAddon }, () => {
  interface Batch { dirs: readonly string[]; files: readonly string[]; links: readonly string[]; configMax: number }
  /** A native reader that records every call a scan makes: single directories and batches. */
  function recording(): { reader: SysfsDirReader; singles: string[]; batches: Batch[] } {
    const singles: string[] = [];
    const batches: Batch[] = [];
    const reader: SysfsDirReader = Object.assign(
      (dir: string, files: readonly string[], links: readonly string[], configMax: number) => {
        singles.push(dir);
        return nativeReader(dir, files, links, configMax);
      },
      {
        batch: (dirs: readonly string[], files: readonly string[], links: readonly string[], configMax: number) => {
          batches.push({ dirs, files, links, configMax });
          return nativeReader.batch!(dirs, files, links, configMax);
        },
      },
    );
    return { reader, singles, batches };
  }

  function needsText(link: boolean, ids: 'all' | 'vf' | false, p2pmem: boolean): string {
    return [link && 'link', ids === 'all' && 'ids', ids === 'vf' && 'vf-ids', p2pmem && 'p2pmem'].filter(Boolean).join(' ');
  }
  /** Which IDs the second pass read for a device, as the fabric shows it: all six, a VF's two, none. */
  function shownIds(d: RawDevice): 'all' | 'vf' | false {
    return d.classCode !== undefined ? 'all' : d.vendorId !== undefined ? 'vf' : false;
  }
  /** What the second pass read for a device, as the fabric shows it: link state, IDs, p2pmem. */
  function shownNeeds(d: RawDevice): string {
    return needsText(d.currentLinkSpeed !== undefined, shownIds(d), !!d.p2pmem);
  }
  /** The same for a second-pass batch, from the names it asked. */
  function askedNeeds(files: readonly string[]): string {
    const ids = files.includes('class') ? 'all' : files.includes('vendor') ? 'vf' : false;
    return needsText(files.includes('current_link_speed'), ids, files.includes('p2pmem/size'));
  }

  /** Scans `root` recording the calls; checks the passes against the fabric; returns the batch count. */
  function checkPasses(root: string, raw: RawFabric): number {
    const rec = recording();
    const scanned = readSysfsFabric(root, { readDir: rec.reader });
    const dirOf = (d: RawDevice) => path.resolve(root, d.origin!);
    const deviceDirs = new Set(raw.devices.map(dirOf));
    assert.deepStrictEqual(rec.singles.filter((dir) => deviceDirs.has(dir)), [], 'no device directory read on its own');
    // local_cpulist and resource: never read unless a fill asks, then in one batch for every device.
    assert.ok(rec.batches.every((b) => !b.files.includes('resource') && !b.files.includes('local_cpulist')), 'no late file without a fill');
    assert.ok(scanned.devices.every((d) => d.resources === undefined && d.localCpuList === undefined), 'nothing late without a fill');
    const filling = recording();
    assert.deepStrictEqual(readSysfsFabric(root, { readDir: filling.reader, fill: FILL_ALL }), raw);
    const lateBatches = filling.batches.filter((b) => b.files.includes('resource'));
    assert.deepStrictEqual(lateBatches.map((b) => [b.files, b.dirs.length]), [[['local_cpulist', 'resource'], raw.devices.filter((d) => !path.isAbsolute(d.origin!)).length]]);
    assert.equal(filling.batches.length, rec.batches.length + 1, 'a fill costs one batch');
    const [first, ...second] = rec.batches;
    assert.equal(first.configMax, 4096);
    assert.ok(raw.devices.every((d) => first.dirs.filter((dir) => dir === dirOf(d)).length === 1), 'every function once in pass 1');
    const expected = new Map<string, string[]>();
    for (const d of raw.devices) {
      const needs = shownNeeds(d);
      // The rules: link state from sysfs below 256 bytes of config, IDs below 64, and a VF's two IDs
      // when its config reads 0xffff there and its PF's config cannot give them.
      const c = d.config;
      const pf = raw.devices.find((p) => p.bdf === d.physfn);
      const ids = c.length < 64 ? 'all' : c.u16(0) === 0xffff && !(pf && vfIdsFromPf(pf.config)) ? 'vf' : false;
      assert.equal(needs, needsText(c.length < 256, ids, !!d.p2pmem), d.bdf);
      if (needs) expected.set(needs, [...(expected.get(needs) ?? []), dirOf(d)]);
    }
    assert.equal(second.length, expected.size, 'one pass-2 batch per mix of needs');
    for (const b of second) {
      assert.deepStrictEqual([b.configMax, b.links], [0, []]);
      assert.deepStrictEqual(b.dirs, expected.get(askedNeeds(b.files)), `pass 2 for "${askedNeeds(b.files)}"`);
    }
    return rec.batches.length;
  }

  it('on a generated 200-function fabric read as root (full config, VF runs): one batch', () => {
    const gen = path.join(base, 'gen');
    generateFabric(gen, { functions: 200 });
    const raw = sameFabric(gen);
    assert.equal(raw.devices.length, 200);
    assert.equal(checkPasses(gen, raw), 1);
    const vfs = raw.devices.filter((d) => d.physfn);
    assert.ok(vfs.length > 50 && vfs.every((d) => d.vendorId === undefined && d.config.u16(0) === 0xffff), 'VF IDs are left to the PF');
    assert.ok(raw.devices.every((d) => d.vendorId === undefined && d.currentLinkSpeed === undefined), 'everything else from config');
    const fabric = buildFabric(raw);
    const vfDevices = fabric.devices.filter((d) => d.physfn);
    assert.ok(vfDevices.length === vfs.length && vfDevices.every((d) => d.vendorId === '15b3' && d.deviceId === '101e'), 'the VF Device ID in the PF');
    assert.equal(raw.host.iommuGroupTypes!.size, 200);
  });

  it('as a non-root reader sees it (64 bytes of config everywhere): link state for all, IDs for the VFs', () => {
    const short = path.join(base, 'gen64');
    generateFabric(short, { functions: 200 });
    for (const bdf of fs.readdirSync(path.join(short, 'sys/bus/pci/devices'))) fs.truncateSync(path.join(short, 'sys/bus/pci/devices', bdf, 'config'), 64);
    const raw = sameFabric(short);
    assert.ok(raw.devices.every((d) => d.config.length === 64 && d.currentLinkSpeed !== undefined));
    assert.ok(raw.devices.filter((d) => typeof d.currentLinkSpeed === 'string').length > 150);
    assert.equal(checkPasses(short, raw), 3);
  });

  it('on a fabric mixing every case from one function to the next: every mix of needs, one batch each', () => {
    const mixed = path.join(base, 'mixed');
    generateFabric(mixed, { functions: 400 });
    scrambleFabric(mixed, 1);
    const raw = sameFabric(mixed);
    assert.ok(raw.warnings.length > 10 && raw.devices.length > 350, `${raw.warnings.length} warnings, ${raw.devices.length} devices`);
    assert.equal(checkPasses(mixed, raw), 10);
  });

  it('on the odd-case tree', () => {
    const edge = buildEdgeTree(path.join(base, 'edge-passes'));
    const batches = checkPasses(edge, sameFabric(edge));
    assert.ok(batches >= 4 && batches <= 8, `${batches} batches`);
  });
});
