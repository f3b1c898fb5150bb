// `p2p snapshot --config header|caps|full`: how much config space each function's file keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { captureSnapshot } from '../../src/access/snapshot-writer.js';
import { generateFabric } from '../../bench/gen-fabric.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';
import { runCli } from '../helpers/run-cli.js';

test('each level keeps at most its bytes of every config space; full keeps them all', () => {
  const root = tempDirRemovedAtExit('p2p-snapcfg-');
  generateFabric(root, { functions: 40 });
  const sizes = (config?: 'header' | 'caps' | 'full') => {
    const { entries } = captureSnapshot({ root, config, hostname: null });
    return [...entries.values()].filter((e) => e.type === 'file' && e.path.endsWith('/config')).map((e) => (e as { data: Uint8Array }).data.length);
  };
  const full = sizes();
  assert.ok(full.length >= 40 && full.every((n) => n === 4096), 'the generated tree holds 4 KiB spaces');
  assert.deepEqual(sizes('full'), full);
  assert.ok(sizes('caps').every((n) => n === 256));
  assert.ok(sizes('header').every((n) => n === 64));
});

test('--config takes only header, caps or full', () => {
  const r = runCli(['snapshot', '--config', 'most', '-o', path.join(tempDirRemovedAtExit('p2p-snapcfg-'), 'x.tar.gz')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Choices: "header", "caps", "full"/);
});
