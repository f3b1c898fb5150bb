// The batched sysfs reader: the addon's readSysfsDir and the plain-fs fallback give the same answers,
// directory by directory and as a whole RawFabric (real machines' trees, a generated fabric, odd-case
// trees, a non-root reader), the fabric holds the facts today's reader found, and a scan costs one
// batch call per PCI function.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateFabric } from '../../bench/gen-fabric.js';
import { nativeSysfsDirReader } from '../../src/access/load.js';
import { readSysfsDirWithFs, sysfsDirReaderFromAddon, type SysfsDirReader, type SysfsDirResult } from '../../src/access/sysfs-dir-reader.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import type { RawDevice, RawFabric } from '../../src/access/types.js';
import * as addon from '../../src/native/addon.js';
import { UserError } from '../../src/errors.js';
import { haveRefdata, HWLOC_TREES, hwlocRoot, REPO_ROOT } from '../helpers/refdata.js';
import { buildEdgeTree, buildEmptyTrees, buildPermTree } from '../helpers/sysfs-edge-trees.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-dirreader-'));
fs.chmodSync(base, 0o755); // the non-root test reads the trees as nobody
after(() => fs.rmSync(base, { recursive: true, force: true }));

const noAddon = addon.addonStatus().loaded ? false : `addon not loaded: ${addon.addonStatus().error}`;
const nativeReader: SysfsDirReader = (...a) => sysfsDirReaderFromAddon(addon)(...a);
const noRef = haveRefdata() ? false : 'no ../shared/refdata';

/** Both readers' answers with configError cut to its errno name (the wording comes from strerror vs libuv). */
function both(dir: string, files: string[], links: string[], configMax: number): SysfsDirResult {
  const cut = (r: SysfsDirResult): SysfsDirResult =>
    'error' in r || r.configError === undefined ? r : { ...r, configError: r.configError.split(':')[0] };
  const n = cut(nativeReader(dir, files, links, configMax));
  const f = cut(readSysfsDirWithFs(dir, files, links, configMax));
  assert.deepStrictEqual(f, n, `readers differ on ${dir} ${JSON.stringify([files, links, configMax])}`);
  return n;
}

function fabricOrError(root: string, readDir: SysfsDirReader): RawFabric | string {
  try {
    return readSysfsFabric(root, { readDir });
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.message;
  }
}

/** Reads `root` with both readers, insists on identical RawFabrics, returns the native one. */
function sameFabric(root: string): RawFabric {
  const n = fabricOrError(root, nativeReader);
  const f = fabricOrError(root, readSysfsDirWithFs);
  assert.deepStrictEqual(f, n);
  assert.ok(typeof n !== 'string', n as string);
  return n;
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
    // The open works, the read fails: an empty read with the error, like readConfigSpace.
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
    // A VF: config reads 0xffff, IDs from sysfs; p2pmem with an unreadable size and no published file.
    assert.deepStrictEqual(pick('0000:01:00.1', ['vendorId', 'deviceId', 'classCode', 'subsystemVendorId', 'subsystemDeviceId', 'revision', 'physfn', 'p2pmem', 'currentLinkSpeed']), {
      vendorId: '144d', deviceId: 'a80a', classCode: '010802', subsystemVendorId: '144d', subsystemDeviceId: null, revision: '00',
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

  it('gives up the same way on a root without devices', () => {
    const { missing, empty } = buildEmptyTrees(path.join(base, 'empties'));
    for (const root of [missing, empty, path.join(base, 'nonexistent')]) {
      const n = fabricOrError(root, nativeReader);
      assert.equal(typeof n, 'string');
      assert.equal(fabricOrError(root, readSysfsDirWithFs), n);
    }
  });

  const runuser = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => fs.existsSync(p));
  const asNobody = process.getuid?.() === 0 && runuser ? false : 'needs root and runuser';
  it('for a non-root reader too: permission holes give the warnings and nulls they always gave', { skip: asNobody }, (t) => {
    const perm = buildPermTree(path.join(base, 'perm'));
    assert.deepStrictEqual(sameFabric(perm).warnings, []); // root reads everything
    const edge = buildEdgeTree(path.join(base, 'edge-nobody'));
    const script = `
      const dist = ${JSON.stringify(path.join(REPO_ROOT, 'dist'))};
      const { readSysfsFabric } = await import(dist + '/src/access/sysfs.js');
      const r = await import(dist + '/src/access/sysfs-dir-reader.js');
      const addon = await import(dist + '/src/native/addon.js');
      const json = (x) => JSON.stringify(x, (k, v) => typeof v === 'bigint' ? v + 'n' : v instanceof Uint8Array ? [...v] : v instanceof Map ? [...v].sort() : v);
      const out = {};
      for (const root of ${JSON.stringify([perm, edge])}) {
        out[root] = [json(readSysfsFabric(root, { readDir: r.sysfsDirReaderFromAddon(addon) })), json(readSysfsFabric(root, { readDir: r.readSysfsDirWithFs }))];
      }
      console.log(JSON.stringify(out));`;
    const res = spawnSync(runuser!, ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: '/' });
    if (res.status !== 0 && /EACCES|permission denied/i.test(res.stderr) && /dist/.test(res.stderr)) {
      t.skip('the checkout is not readable by nobody');
      return;
    }
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout) as Record<string, [string, string]>;
    for (const [root, [n, f]] of Object.entries(out)) assert.equal(f, n, `readers differ for nobody on ${root}`);
    const permRaw = JSON.parse(out[perm][0]) as { warnings: string[]; devices: { bdf: string; p2pmem: unknown; numaNode: unknown; localCpuList: unknown; classNames?: unknown }[]; host: { iommuGroupTypes: unknown } };
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
    assert.deepStrictEqual(JSON.parse(out[edge][0]), edgeRoot);
  });
});

describe('readSysfsFabric: one batch per PCI function', { skip: noAddon }, () => {
  /** Counts the reader's calls on device directories (under sys/devices or bus/pci/devices/BDF). */
  function counted(): { reader: SysfsDirReader; deviceCalls: () => number } {
    let n = 0;
    return {
      reader: (dir, files, links, configMax) => {
        if (configMax > 0 || files.some((f) => f.startsWith('p2pmem/') || f === 'vendor' || f === 'current_link_speed')) n++;
        return nativeReader(dir, files, links, configMax);
      },
      deviceCalls: () => n,
    };
  }
  /** Calls the guesser cannot avoid: a device needing IDs or link state from sysfs when the one before did not. */
  function unavoidable(raw: RawFabric): number {
    let extra = 0;
    raw.devices.forEach((d, i) => {
      const prev = raw.devices[i - 1]?.config;
      const needsIds = (c: RawDevice['config']) => c.length < 64 || c.u16(0) === 0xffff;
      const needsLink = (c: RawDevice['config']) => c.length < 256;
      if ((needsIds(d.config) && !(prev && needsIds(prev))) || (needsLink(d.config) && !(prev && needsLink(prev))) || d.p2pmem) extra++;
    });
    return extra;
  }

  const gen = path.join(base, 'gen');
  generateFabric(gen, { functions: 200 });

  it('on a generated 200-function fabric read as root (full config, VF runs)', () => {
    const raw = sameFabric(gen);
    assert.equal(raw.devices.length, 200);
    const c = counted();
    assert.deepStrictEqual(readSysfsFabric(gen, { readDir: c.reader }), raw);
    const extra = unavoidable(raw);
    assert.ok(extra > 0 && extra < 20, `extra ${extra}`);
    assert.equal(c.deviceCalls(), raw.devices.length + extra);
    const vfs = raw.devices.filter((d) => d.physfn);
    assert.ok(vfs.length > 50 && vfs.every((d) => d.vendorId === '15b3' && d.deviceId === '101e'), 'VF IDs come from sysfs');
    assert.equal(raw.host.iommuGroupTypes!.size, 200);
  });

  it('as a non-root reader sees it (64 bytes of config everywhere): link state in the first batch', () => {
    const short = path.join(base, 'gen64');
    generateFabric(short, { functions: 200 });
    for (const bdf of fs.readdirSync(path.join(short, 'sys/bus/pci/devices'))) fs.truncateSync(path.join(short, 'sys/bus/pci/devices', bdf, 'config'), 64);
    const raw = sameFabric(short);
    assert.ok(raw.devices.every((d) => d.config.length === 64 && d.currentLinkSpeed !== undefined));
    assert.ok(raw.devices.filter((d) => typeof d.currentLinkSpeed === 'string').length > 150);
    const c = counted();
    readSysfsFabric(short, { readDir: c.reader });
    assert.equal(c.deviceCalls(), raw.devices.length + unavoidable(raw));
    assert.ok(unavoidable(raw) < 20);
  });
});
