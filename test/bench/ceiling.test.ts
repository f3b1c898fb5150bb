// The bench's "share of the link ceiling" uses the narrowest link on the whole path, not just the endpoints'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathCeilingGBps } from '../../src/bench/bench-command.js';
import { linkCeiling } from '../../src/model/link-math.js';
import { labFabric } from '../helpers/p2p-fabric.js';

test('a narrow switch uplink between the endpoints sets the ceiling', async () => {
  const f = labFabric();
  // 01:00.0 is the switch's upstream port: its link to root port 00:01.0 trained at x1.
  f.byBdf.get('0000:01:00.0')!.link = { speed: 8, width: 1, maxSpeed: 8, maxWidth: 4 };
  const client = f.byBdf.get('0000:05:00.0')!;
  const provider = f.byBdf.get('0000:03:00.0')!;
  assert.equal(await pathCeilingGBps(f, client, provider), linkCeiling(8, 1, 128).bytesPerSecond / 1e9);
});

test('with one end unknown, that end\'s own link is the ceiling', async () => {
  const f = labFabric();
  const provider = f.byBdf.get('0000:03:00.0')!;
  assert.equal(await pathCeilingGBps(f, null, provider), linkCeiling(8, 4, 128).bytesPerSecond / 1e9);
});
