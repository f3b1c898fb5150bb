// Config space on demand: every byte fetched is a register the fabric's decoders read of the whole
// space, and the views built from it are the ones built from whole spaces.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchConfig, readConfigRangesWithFs, type ConfigRangeReader, type ReadRange } from '../../src/access/config-fetch.js';
import { readSysfsDirWithFs, sysfsDirReaderFromAddon, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';
import * as addon from '../../src/native/addon.js';
import { addonStatus, hasConfigRanges } from '../../src/native/addon.js';
import { parseLspciDump } from '../../src/access/dump.js';
import { readSysfsFabricFromOutline, readSysfsOutline } from '../../src/access/sysfs.js';
import { emptyHostInfo, FILL_CONFIG_FULL, FILL_LOCAL_CPUS } from '../../src/access/types.js';
import type { ConfigSpace } from '../../src/model/config-space.js';
import { traced } from '../helpers/config-reads.js';
import { FABRIC_CONFIG_NEEDS } from '../../src/model/caps/fabric-needs.js';
import { walkCapabilities } from '../../src/model/caps/walk.js';
import { buildFabric } from '../../src/model/topology.js';
import { fabricToJson } from '../../src/format/topo-json.js';
import { buildMatrix, selectEndpoints } from '../../src/model/p2p/matrix.js';
import { haveRefdata, HWLOC_TREES, hwlocRoot, PCIUTILS_DUMPS, pciutilsDumps } from '../helpers/refdata.js';
import { generateFabric } from '../../bench/gen-fabric.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

/** A reader over whole bytes that records each range asked. */
function recording(bytes: Uint8Array): { read: ReadRange; ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  const read: ReadRange = (into, offset, length) => {
    ranges.push([offset, length]);
    const n = Math.max(0, Math.min(length, bytes.length - offset));
    into.set(bytes.subarray(offset, offset + n), offset);
    return n;
  };
  return { read, ranges };
}

/** The bytes buildFabric's decoders read of this function's whole space (a one-function fabric, traced). */
function allowed(config: ConfigSpace): Set<number> {
  const t = traced(config);
  buildFabric({ source: { method: 'dump', location: 'x', live: false }, devices: [{ bdf: '0000:00:00.0', config: t }], host: emptyHostInfo(), warnings: [] });
  for (let i = 0; i < 64; i++) t.touched.add(i);
  return t.touched;
}

describe('fetchConfig reads only registers a decoder of the fabric uses', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  it('on every function of every pciutils dump with a whole space', () => {
    let functions = 0;
    for (const name of pciutilsDumps()) {
      let devices;
      try {
        devices = parseLspciDump(fs.readFileSync(path.join(PCIUTILS_DUMPS, name), 'latin1'), name).devices;
      } catch {
        continue;
      }
      for (const d of devices) {
        if (d.config.readBytes !== d.config.length || d.config.length < 256) continue;
        functions++;
        const rec = recording(d.config.bytes.subarray(0, d.config.length));
        const { config, fetched } = fetchConfig(rec.read, d.config.length, FABRIC_CONFIG_NEEDS);
        const ok = allowed(d.config);
        for (const [o, n] of rec.ranges) for (let i = o; i < o + n; i++) assert.ok(ok.has(i), `${name} ${d.bdf}: byte 0x${i.toString(16)} read but decoded by no view`);
        assert.ok(fetched < d.config.length || d.config.length === 64, `${name} ${d.bdf}: fewer bytes than the whole space`);
        assert.ok(rec.ranges.every(([o, n]) => o + n <= d.config.length), 'never past the file');
        assert.deepEqual(walkCapabilities(config).caps, walkCapabilities(d.config).caps, `${name} ${d.bdf}: the same capability list`);
        for (let i = 0; i < d.config.length; i++) if (!ok.has(i)) assert.equal(config.u8(i), undefined, 'a byte not fetched is unknown, not zero');
      }
    }
    assert.ok(functions > 50, `${functions} functions`);
  });
});

describe('topo and matrix from on-demand config equal those from whole spaces', () => {
  const gen = tempDirRemovedAtExit('p2p-fetch-gen-');
  generateFabric(gen, { functions: 300 });
  const roots: [string, string][] = [['generated', gen], ...(haveRefdata() ? HWLOC_TREES.map((n): [string, string] => [n, hwlocRoot(n)]) : [])];
  const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  for (const [name, root] of roots) {
    it(name, () => {
      const whole = buildFabric(readSysfsFabricFromOutline(readSysfsOutline(root), FILL_LOCAL_CPUS | FILL_CONFIG_FULL));
      const onDemand = buildFabric(readSysfsFabricFromOutline(readSysfsOutline(root, { configNeeds: FABRIC_CONFIG_NEEDS }), FILL_LOCAL_CPUS));
      assert.equal(json(fabricToJson(onDemand)), json(fabricToJson(whole)));
      assert.equal(json(buildMatrix(onDemand, selectEndpoints(onDemand))), json(buildMatrix(whole, selectEndpoints(whole))));
      const full = whole.devices.filter((d) => d.configBytes === 4096).length;
      if (full) assert.ok(onDemand.devices.some((d) => d.config.readBytes < d.config.length), 'fewer bytes read');
    });
  }
});

describe('fetchConfig for a reader the kernel stops at the header (non-root)', () => {
  it('keeps 64 bytes, the list unread past them, as a whole read by that reader would', () => {
    const bytes = new Uint8Array(4096);
    bytes.set([0x86, 0x80, 0x34, 0x12, 0, 0, 0x10, 0], 0); // status: capability list
    bytes[0x34] = 0x98;
    bytes.set([0x10, 0x00], 0x98); // Express, last in the list
    const nonRoot: ReadRange = (into, offset, length) => {
      const n = Math.max(0, Math.min(length, 64 - offset));
      into.set(bytes.subarray(offset, offset + n), offset);
      return n;
    };
    const header = bytes.slice(0, 64);
    const got = fetchConfig(nonRoot, 4096, FABRIC_CONFIG_NEEDS, header);
    assert.equal(got.config.length, 64);
    assert.equal(got.pastHeader, false);
    assert.equal(walkCapabilities(got.config).complete, false);
    const root = recording(bytes);
    const all = fetchConfig(root.read, 4096, FABRIC_CONFIG_NEEDS, header);
    assert.equal(all.pastHeader, true);
    assert.deepEqual(walkCapabilities(all.config).caps.map((c) => c.offset), [0x98]);
    assert.deepEqual(root.ranges, [[0x98, 2], [0x100, 4], [0x9a, 8], [0xa4, 4], [0xaa, 2]],
      'the ID and next bytes, the extended list head, then the Express registers the summary reads (flags, DevCap, DevCtl; LnkCap; LnkSta)');
  });
});

describe('the addon reads config ranges as plain fs does', () => {
  const addonOk = addonStatus().loaded && hasConfigRanges();
  const skip = addonOk ? false : 'the addon (with readConfigRanges) is not built';
  it('the same fabric on demand through either reader, on a generated tree', { skip }, () => {
    const gen = tempDirRemovedAtExit('p2p-fetch-native-');
    generateFabric(gen, { functions: 200 });
    const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? [...v] : v));
    const read = (readDir: SysfsDirReader) => json(readSysfsFabricFromOutline(readSysfsOutline(gen, { configNeeds: FABRIC_CONFIG_NEEDS, readDir }), FILL_LOCAL_CPUS));
    const viaFs = read(readSysfsDirWithFs);
    for (const threads of [1, 3]) assert.equal(read(sysfsDirReaderFromAddon(addon, threads)), viaFs, `threads ${threads}`);
  });
  it('each range cut at the file size, a missing file -1, bad arguments refused', { skip }, () => {
    const dir = tempDirRemovedAtExit('p2p-ranges-');
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, Uint8Array.from({ length: 256 }, (_, i) => i));
    const files = [file, path.join(dir, 'missing')];
    const run = (open: ConfigRangeReader) => {
      const into = [new Uint8Array(4096), new Uint8Array(4096)];
      const f = open(files);
      try {
        const got = f.read([0, 1], [Uint32Array.of(0x10, 4, 0xfe, 8, 0x100, 4), Uint32Array.of(0, 4)], into);
        const again = f.read([0], [Uint32Array.of(0x20, 2)], [into[0]]);
        return { sizes: [...f.sizes], got: [...got, ...again], into: [...into[0].subarray(0, 0x110)] };
      } finally {
        f.close();
      }
    };
    const viaFs = run(readConfigRangesWithFs);
    assert.deepEqual(viaFs.sizes, [256, -1]);
    assert.deepEqual(viaFs.got, [4, 2, 0, 0, 2]);
    assert.deepEqual(run(sysfsDirReaderFromAddon(addon).configRanges!), viaFs);
    const { fds, sizes } = addon.openConfigFiles([file]);
    try {
      assert.throws(() => addon.readConfigRanges(fds, sizes, [Uint32Array.of(4090, 8)], [new Uint8Array(4096)]), RangeError);
      assert.throws(() => addon.readConfigRanges(fds, sizes, [Uint32Array.of(1)], [new Uint8Array(4096)]), TypeError);
      assert.throws(() => addon.readConfigRanges(fds, sizes, [], []), TypeError);
    } finally {
      addon.closeConfigFiles(fds);
    }
    assert.deepEqual([...fds], [-1], 'closed');
  });
});
