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
  return `${cls}{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
}

/** The fingerprint of what a scan of `root` found (host facts and the root's own path left out). */
function fingerprint(root: string, readDir: SysfsDirReader): string {
  const raw = readSysfsFabric(root, { readDir });
  return createHash('sha256').update(canonical({ devices: raw.devices, warnings: raw.warnings })).digest('hex').slice(0, 32);
}

// If a change to RawFabric is meant, the failure message shows the new fingerprint to put here.
const BEFORE: Record<string, string> = {
  '32intel64-2p8co2t+8ve': '0956a82a4aabe726e941b7e443e56107',
  '40intel64-2g2n4c+pcilocality': '6ed0c5fe5a150ce603e11fe1433db4b4',
  '2pa-pcidomain32bits': '5c7e3631a17bf40907533577961befb8',
  nvidiagpunumanodes: 'fa356c9c455583a5ccfb14940677a8f7',
  edge: '5e741d99185838db70715e8571669f77',
};

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-golden-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

const noAddon = addon.addonStatus().loaded ? false : `addon not loaded: ${addon.addonStatus().error}`;
const noRef = haveRefdata() ? false : 'no ../shared/refdata';
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
