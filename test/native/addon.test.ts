// The addon's small functions: config-space reads (through readSysfsDir), argument checking, load status, probes, cuFile loading.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addonStatus, AddonUnavailableError, ioUringProbe, probeCuFile, readSysfsDir, resetAddonForTests, statSource,
} from '../../src/native/addon.js';
import { nobodyCannotRead, RUNUSER } from '../helpers/as-nobody.js';
import { UserError } from '../../src/errors.js';
import { directTempDir, fakeCuda, randomFile, repoRoot } from './helpers.js';

const dir = directTempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

describe('addon loading', () => {
  it('loads the built addon', () => {
    const s = addonStatus();
    assert.equal(s.loaded, true, s.error);
    assert.match(s.path ?? '', /build\/Release\/p2p_native\.node$/);
  });

  it('reports why when disabled, and every call throws a one-line UserError', () => {
    process.env.P2P_NO_ADDON = '1';
    resetAddonForTests();
    try {
      const s = addonStatus();
      assert.equal(s.loaded, false);
      assert.match(s.error ?? '', /P2P_NO_ADDON/);
      assert.throws(() => readSysfsDir('/etc', [], [], 64), (e: unknown) => {
        assert.ok(e instanceof AddonUnavailableError);
        assert.ok(e instanceof UserError);
        assert.equal(e.exitCode, 2);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
      assert.throws(() => ioUringProbe(), AddonUnavailableError);
    } finally {
      delete process.env.P2P_NO_ADDON;
      resetAddonForTests();
    }
    assert.equal(addonStatus().loaded, true);
  });

  it('reports a missing binary by path', () => {
    process.env.P2P_NATIVE_ADDON = join(dir, 'nope.node');
    resetAddonForTests();
    try {
      const s = addonStatus();
      assert.equal(s.loaded, false);
      assert.match(s.error ?? '', /nope\.node not found/);
    } finally {
      delete process.env.P2P_NATIVE_ADDON;
      resetAddonForTests();
    }
  });

  it('reports a file that is not an addon', () => {
    const bogus = join(dir, 'bogus.node');
    writeFileSync(bogus, 'not an ELF');
    process.env.P2P_NATIVE_ADDON = bogus;
    resetAddonForTests();
    try {
      const s = addonStatus();
      assert.equal(s.loaded, false);
      assert.match(s.error ?? '', /cannot load .*bogus\.node/);
    } finally {
      delete process.env.P2P_NATIVE_ADDON;
      resetAddonForTests();
    }
  });
});

describe('config space through readSysfsDir', () => {
  /** A directory holding `config` with these bytes (or none). */
  function configDir(name: string, bytes: Buffer | null): string {
    const d = join(dir, name);
    mkdirSync(d);
    if (bytes) writeFileSync(join(d, 'config'), bytes);
    return d;
  }
  const read = (d: string, max: number) => {
    const r = readSysfsDir(d, [], [], max);
    assert.ok(!('error' in r));
    return r;
  };

  it('reads the whole file when it is shorter than configMax', () => {
    const [, data] = randomFile(dir, 'cfg256', 256);
    const r = read(configDir('dir256', data), 4096);
    assert.equal(r.configLength, 256);
    assert.deepEqual(Buffer.from(r.config!), data);
    assert.equal(r.configError, undefined);
  });

  it('stops at configMax; 0 reads none', () => {
    const [, data] = randomFile(dir, 'cfg4k', 4096);
    const d = configDir('dir4k', data);
    const r = read(d, 100);
    assert.equal(r.configLength, 100);
    assert.deepEqual(Buffer.from(r.config!), data.subarray(0, 100));
    assert.deepEqual([read(d, 0).config, read(d, 0).configLength], [null, 0]);
  });

  it('gives 0 bytes for an empty file, and no config (no error) when there is none', () => {
    const r = read(configDir('empty', Buffer.alloc(0)), 4096);
    assert.deepEqual([r.configLength, r.config!.length, r.configError], [0, 0, undefined]);
    const none = read(configDir('no-config', null), 4096);
    assert.deepEqual([none.config, none.configLength, none.configError], [null, 0, undefined]);
  });

  const pciDevs = existsSync('/sys/bus/pci/devices') ? readdirSync('/sys/bus/pci/devices') : [];
  const isRoot = process.getuid?.() === 0;
  it('reads a live sysfs config file (root sees more than 64 bytes)', { skip: pciDevs.length === 0 ? 'no PCI devices in sysfs' : false }, () => {
    const r = read(`/sys/bus/pci/devices/${pciDevs[0]}`, 4096);
    assert.ok([64, 256, 4096].includes(r.configLength), `length ${r.configLength}`);
    if (isRoot) assert.ok(r.configLength >= 256);
    const vendor = r.config![0] | (r.config![1] << 8);
    assert.notEqual(vendor, 0xffff);
  });

  const addonJs = join(repoRoot, 'dist/src/native/addon.js');
  const asNobody = pciDevs.length ? nobodyCannotRead(addonJs) : 'needs a PCI device';
  it('a non-root reader gets exactly 64 bytes of sysfs config', { skip: asNobody ?? false }, () => {
    const script = `import('${addonJs}').then(a => {` +
      `const r = a.readSysfsDir('/sys/bus/pci/devices/${pciDevs[0]}', [], [], 4096); console.log(JSON.stringify({ n: r.configLength, b: r.config.length })); })`;
    const res = spawnSync(RUNUSER!, ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8', cwd: '/' });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout.trim()), { n: 64, b: 64 });
  });
});

describe('statSource and ioUringProbe', () => {
  it('describes a regular file', () => {
    const [p] = randomFile(dir, 'src', 65536);
    const s = statSource(p);
    assert.equal(s.kind, 'file');
    assert.equal(s.size, 65536);
    assert.equal(s.directOk, true);
  });
  it('throws ENOENT and TypeError', () => {
    assert.throws(() => statSource(join(dir, 'none')), { code: 'ENOENT' });
    assert.throws(() => (statSource as unknown as (x: unknown) => unknown)(5), TypeError);
  });
  it('probes io_uring for real', () => {
    const r = ioUringProbe();
    assert.equal(typeof r.available, 'boolean');
    if (!r.available) assert.match(r.reason ?? '', /io_uring_setup/);
  });
  it('simulates a disabled io_uring with P2P_IO_URING_DISABLE=1', () => {
    process.env.P2P_IO_URING_DISABLE = '1';
    try {
      const r = ioUringProbe();
      assert.equal(r.available, false);
      assert.match(r.reason ?? '', /EPERM.*simulated/);
    } finally {
      delete process.env.P2P_IO_URING_DISABLE;
    }
  });
});

describe('probeCuFile (dlopen of libcufile/libcuda)', () => {
  it('reports a missing libcuda without throwing', () => {
    const r = probeCuFile({ cudaLib: join(dir, 'no-libcuda.so.1'), cufileLib: join(dir, 'no-libcufile.so.0') });
    assert.equal(r.available, false);
    assert.equal(r.stage, 'dlopen-cuda');
    assert.match(r.reason ?? '', /no-libcuda\.so\.1/);
  });

  it('uses the real library names by default (none on this machine, or a real GPU)', () => {
    const r = probeCuFile();
    assert.equal(r.cufileLib, 'libcufile.so.0');
    assert.equal(r.cudaLib, 'libcuda.so.1');
    if (!r.available) assert.ok(r.stage && r.reason);
  });

  const fake = fakeCuda();
  const noCc = fake ? false : 'no C compiler to build the fake CUDA libraries';
  it('reports a missing libcufile', { skip: noCc }, () => {
    const r = probeCuFile({ cudaLib: fake!.cuda, cufileLib: join(dir, 'no-libcufile.so.0') });
    assert.equal(r.available, false);
    assert.equal(r.stage, 'dlopen-cufile');
  });
  it('names a missing symbol', { skip: noCc }, () => {
    const r = probeCuFile({ cudaLib: fake!.cudaMissingSymbol, cufileLib: fake!.cufile });
    assert.equal(r.available, false);
    assert.equal(r.stage, 'symbol');
    assert.equal(r.missingSymbol, 'cuMemcpyDtoH_v2');
  });
  it('loads a complete pair of libraries and lists devices', { skip: noCc }, () => {
    const r = probeCuFile({ cudaLib: fake!.cuda, cufileLib: fake!.cufile });
    assert.equal(r.available, true, r.reason);
    assert.equal(r.deviceCount, 1);
    assert.deepEqual(r.devicePciIds, ['0000:65:00.0']);
  });
  it('reports cuInit and driver-open failures by stage', { skip: noCc }, () => {
    // Environment variables read by the fake libraries at call time
    process.env.FAKE_CUFILE_OPEN_FAIL = '1';
    try {
      const r = probeCuFile({ cudaLib: fake!.cuda, cufileLib: fake!.cufile });
      assert.equal(r.stage, 'driver-open');
      assert.match(r.reason ?? '', /cuFileDriverOpen failed \(cuFile error 5001/);
    } finally {
      delete process.env.FAKE_CUFILE_OPEN_FAIL;
    }
    process.env.FAKE_CUDA_COUNT = '0';
    try {
      assert.equal(probeCuFile({ cudaLib: fake!.cuda, cufileLib: fake!.cufile }).stage, 'no-device');
    } finally {
      delete process.env.FAKE_CUDA_COUNT;
    }
  });
  it('throws TypeError for garbage', () => {
    assert.throws(() => probeCuFile({ cudaLib: '' }), TypeError);
    assert.throws(() => probeCuFile({ cudaLib: 7 as unknown as string }), TypeError);
  });
});
