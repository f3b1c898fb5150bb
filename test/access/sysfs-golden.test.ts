// readSysfsFabric's devices and warnings, byte for byte, as the reader gave them before the scan became
// batched (fingerprints taken with the per-device reader of commit ceb4e17): real machines' trees and
// the odd-case tree, through the addon's reader on several thread counts and through plain fs.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readSysfsDirWithFs, sysfsDirReaderFromAddon, type SysfsDirReader } from '../../src/access/sysfs-dir-reader.js';
import { readSysfsFabric } from '../../src/access/sysfs.js';
import { FILL_ALL } from '../../src/access/types.js';
import * as addon from '../../src/native/addon.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { buildEdgeTree } from '../helpers/sysfs-edge-trees.js';

/**
 * A text that tells apart everything deepStrictEqual does: a missing key from an undefined one, class
 * instances from plain objects, bigint from number; typed arrays by their bytes, Maps by their entries.
 */
function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `u8:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (v instanceof Map) return `Map[${[...v].map(([k, x]) => `${canonical(k)}=>${canonical(x)}`).join(',')}]`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const cls = Object.getPrototypeOf(v) === Object.prototype ? '' : (v as object).constructor.name;
  // Keys sorted: properties read on first use are added after the others, so their order says nothing.
  return `${cls}{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The fingerprint of what a scan of `root` found (host facts and the root's own path left out). */
function fingerprint(root: string, readDir: SysfsDirReader): string {
  // Everything filled: the fingerprints were taken when every fact was read (or read on first touch).
  const raw = readSysfsFabric(root, { readDir, fill: FILL_ALL });
  return createHash('sha256').update(canonical({ devices: raw.devices, warnings: raw.warnings })).digest('hex').slice(0, 32);
}

// If a change to RawFabric is meant, the failure message shows the new fingerprint to put here.
// Re-taken with sorted keys at fc2755c, whose output still matched ceb4e17's; the real machines' are
// unchanged since. The odd-case tree's changed on purpose: its VF (0000:01:00.1) now carries a real
// class in its config and reads only Vendor and Device ID from sysfs (every other device as before).
const BEFORE: Record<string, string> = {
  '32intel64-2p8co2t+8ve': '3242ba0b274951b27aaf5883ed83eb73',
  '40intel64-2g2n4c+pcilocality': '5a3603e981fb2e25ecae3b7ab9a2bb82',
  '2pa-pcidomain32bits': 'bd5e5cd21effe6b61016fa96deb682a5',
  nvidiagpunumanodes: 'd7b6d4241a4755169a3c9179461e78fe',
  edge: 'fb93b80468012731f97b44c4ef44a983',
};

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-golden-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

const noAddon = addon.addonStatus().loaded ? false : `addon not loaded: ${addon.addonStatus().error}`;
const noRef = haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)';
const readers: [string, SysfsDirReader][] = [
  ['fs', readSysfsDirWithFs],
  ...[0, 1, 3].map((n): [string, SysfsDirReader] => [`native, threads ${n}`, sysfsDirReaderFromAddon(addon, n)]),
];

describe('readSysfsFabric finds what the per-device reader found', { skip: noAddon }, () => {
  for (const [name, want] of Object.entries(BEFORE)) {
    it(`on ${name}`, { skip: name === 'edge' ? false : noRef }, () => {
      const root = name === 'edge' ? buildEdgeTree(path.join(base, 'edge')) : hwlocRoot(name);
      for (const [label, reader] of readers) assert.equal(fingerprint(root, reader), want, `${name} through ${label}`);
    });
  }
});
