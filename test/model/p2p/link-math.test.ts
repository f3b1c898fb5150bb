// The per-direction ceiling formula: GT/s x width x encoding / 8 x MPS/(MPS + TLP overhead).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveLink, encodingEfficiency, isDowntrained, isLinkDown, lineEncoding, linkCeiling, rawLinkBytesPerSecond, tlpEfficiency,
} from '../../../src/model/link-math.js';
import { formatBytesPerSecond } from '../../../src/model/units.js';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= Math.abs(b) * rel, `${a} != ${b}`);

describe('link math', () => {
  it('line encoding per generation', () => {
    assert.equal(lineEncoding(2.5), '8b/10b');
    assert.equal(lineEncoding(5), '8b/10b');
    assert.equal(lineEncoding(8), '128b/130b');
    assert.equal(lineEncoding(32), '128b/130b');
    assert.equal(lineEncoding(64), '1b/1b flit');
    close(encodingEfficiency(2.5), 0.8);
    close(encodingEfficiency(16), 128 / 130);
    close(encodingEfficiency(64), 236 / 256);
  });

  it('raw bytes per second: Gen3 x16 is 15.75 GB/s, Gen1 x1 is 250 MB/s', () => {
    close(rawLinkBytesPerSecond(8, 16), 8e9 * 16 * (128 / 130) / 8);
    close(rawLinkBytesPerSecond(2.5, 1), 250e6);
  });

  it('TLP efficiency: 24 bytes of overhead per TLP, 16 in flit mode', () => {
    close(tlpEfficiency(256), 256 / 280);
    close(tlpEfficiency(128), 128 / 152);
    close(tlpEfficiency(256, 64), 256 / 272);
    assert.throws(() => tlpEfficiency(0), RangeError);
  });

  it('Gen4 x16 at MPS 256: about 28.8 GB/s per direction', () => {
    const c = linkCeiling(16, 16, 256);
    close(c.bytesPerSecond, 16e9 * 16 * (128 / 130) / 8 * (256 / 280));
    assert.equal(formatBytesPerSecond(c.bytesPerSecond), '28.8 GB/s');
    assert.match(c.formula, /^16 GT\/s x 16 x 128\/130 \/ 8 x 256\/\(256\+24\) = 28\.8 GB\/s$/);
    assert.equal(c.mpsAssumed, false);
  });

  it('unknown MPS: 128 assumed and said so', () => {
    const c = linkCeiling(8, 4, null);
    assert.equal(c.mps, 128);
    assert.equal(c.mpsAssumed, true);
    assert.match(c.formula, /MPS unknown/);
    close(c.bytesPerSecond, 8e9 * 4 * (128 / 130) / 8 * (128 / 152));
  });

  it('negotiated state first, capability only as fallback', () => {
    assert.deepEqual(effectiveLink({ speed: 2.5, width: 16, maxSpeed: 16, maxWidth: 16 }), { speed: 2.5, width: 16, fromCapability: false });
    assert.deepEqual(effectiveLink({ speed: null, width: null, maxSpeed: 16, maxWidth: 8 }), { speed: 16, width: 8, fromCapability: true });
    assert.equal(effectiveLink({ speed: null, width: 4, maxSpeed: null, maxWidth: 4 }), null);
    assert.equal(effectiveLink(null), null);
    assert.throws(() => linkCeiling(0, 4, 128), RangeError);
  });

  it('a link that has not trained (width x0) is down, not downtrained', () => {
    const empty = { speed: 2.5, width: 0, maxSpeed: 5, maxWidth: 4 };
    assert.equal(isLinkDown(empty), true);
    assert.equal(isDowntrained(empty), false);
    const narrow = { speed: 5, width: 1, maxSpeed: 5, maxWidth: 4 };
    assert.equal(isLinkDown(narrow), false);
    assert.equal(isDowntrained(narrow), true);
    assert.equal(isDowntrained({ speed: 5, width: 4, maxSpeed: 5, maxWidth: 4 }), false);
    assert.equal(isDowntrained({ speed: null, width: 4, maxSpeed: 5, maxWidth: 4 }), null);
    assert.equal(isLinkDown(null), false);
  });
});
