// The model is pure: once a source has read a fabric, nothing in it does I/O when touched. A property
// that read sysfs on first use (BARs, local CPUs, kernel config, IOMMU types did) fails this test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { readSysfsDirWithFs } from '../../src/access/sysfs-dir-reader.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import { buildFabric } from '../../src/model/topology.js';
import { FILL_ALL, FILL_NONE } from '../../src/access/types.js';
import { generateFabric } from '../../bench/gen-fabric.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const FS_CALLS = ['openSync', 'readSync', 'readFileSync', 'readdirSync', 'readlinkSync', 'statSync', 'lstatSync', 'existsSync'] as const;

/** Runs `f` with every synchronous fs read counted (ESM named imports included), and returns the count. */
function fsCallsDuring(f: () => void): number {
  let calls = 0;
  const saved = FS_CALLS.map((name) => [name, fs[name]] as const);
  for (const [name, orig] of saved) {
    (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls++;
      return (orig as (...a: unknown[]) => unknown)(...args);
    };
  }
  syncBuiltinESMExports();
  try {
    f();
  } finally {
    for (const [name, orig] of saved) (fs as unknown as Record<string, unknown>)[name] = orig;
    syncBuiltinESMExports();
  }
  return calls;
}

/** Reads every property of everything reachable, as JSON.stringify and a deep comparison would. */
function touchAll(v: unknown, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Map) for (const [k, x] of v) { touchAll(k, seen); touchAll(x, seen); }
  else for (const k of Object.keys(v)) touchAll((v as Record<string, unknown>)[k], seen);
}

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v] : v instanceof Uint8Array ? v.length : v));

for (const fill of [FILL_NONE, FILL_ALL]) {
  test(`a fabric read with fill ${fill}: JSON.stringify and touching every property do no fs calls`, () => {
    const root = tempDirRemovedAtExit('p2p-purity-');
    generateFabric(root, { functions: 60 });
    const fabric = buildFabric(readSysfsFabric(root, { readDir: readSysfsDirWithFs, fill }));
    assert.ok(fsCallsDuring(() => fs.readFileSync(`${root}/sys/bus/pci/devices/${fabric.devices[0].bdf}/config`)) > 0, 'the counter sees ESM fs calls');
    const calls = fsCallsDuring(() => {
      json(fabric.devices);
      json(fabric.host);
      touchAll(fabric);
    });
    assert.equal(calls, 0);
    const filled = fabric.devices.filter((d) => d.localCpuList !== null && d.raw.resources !== undefined).length;
    if (fill === FILL_ALL) assert.ok(filled > 0 && fabric.host.iommuGroupTypes !== null, 'filled facts are there');
    else assert.ok(filled === 0 && fabric.host.iommuGroupTypes === null && fabric.host.kernelConfig === null, 'unfilled facts are empty, not read');
  });
}
