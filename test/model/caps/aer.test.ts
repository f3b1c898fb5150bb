import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAer } from '../../../src/model/caps/aer.js';
import { formatFlags } from '../../../src/model/caps/bits.js';
import { CfgBuilder, leaves } from './helpers.js';

function aerAt(b: CfgBuilder, off = 0x100): CfgBuilder {
  return b.ext(off, 1, 2, 0)
    .u32(off + 0x04, (1 << 4) | (1 << 14) | (1 << 20)) // UESta: DLP CmpltTO UnsupReq
    .u32(off + 0x08, 1 << 21) // UEMsk: ACSViol
    .u32(off + 0x0c, 0x00062030) // UESvrt
    .u32(off + 0x10, (1 << 0) | (1 << 6)) // CESta: RxErr BadTLP
    .u32(off + 0x14, 1 << 13) // CEMsk: AdvNonFatalErr
    .u32(off + 0x18, 0x1f | (1 << 5) | (1 << 7)) // FEP 31, ECRCGenCap, ECRCChkCap
    .u32(off + 0x1c, 0x4a000001).u32(off + 0x20, 0x0100000f).u32(off + 0x24, 0xfee00000).u32(off + 0x28, 0)
    .u32(off + 0x2c, 0x7) // root command: all reporting enabled
    .u32(off + 0x30, 0x5 | (3 << 27)) // CERcvd UERcvd, IntMsg 3
    .u32(off + 0x34, 0x0300_0100);
}

describe('decodeAer', () => {
  it('decodes status, mask and severity registers bit by bit', () => {
    const a = decodeAer(aerAt(new CfgBuilder()).build(), 0x100, false);
    assert.equal(a.uncorrectableStatus.raw, (1 << 4) | (1 << 14) | (1 << 20));
    assert.equal(formatFlags(a.uncorrectableStatus.bits, ['DLP', 'SDES', 'CmpltTO', 'UnsupReq']), 'DLP+ SDES- CmpltTO+ UnsupReq+');
    assert.equal(a.uncorrectableMask.bits?.ACSViol, true);
    assert.equal(formatFlags(a.uncorrectableSeverity.bits, ['DLP', 'SDES', 'TLP', 'FCP', 'RxOF', 'MalfTLP']), 'DLP+ SDES+ TLP- FCP+ RxOF+ MalfTLP+');
    assert.deepEqual(Object.entries(a.correctableStatus.bits!).filter(([, v]) => v).map(([k]) => k), ['RxErr', 'BadTLP']);
    assert.equal(a.correctableMask.bits?.AdvNonFatalErr, true);
    assert.equal(a.firstErrorPointer, 31);
    assert.equal(a.capabilities?.ECRCGenCap, true);
    assert.equal(a.capabilities?.ECRCGenEn, false);
    assert.deepEqual(a.headerLog, [0x4a000001, 0x0100000f, 0xfee00000, 0]);
    assert.equal(a.root, null, 'endpoints have no root error registers');
  });

  it('decodes root error command/status/source on root ports', () => {
    const a = decodeAer(aerAt(new CfgBuilder()).build(), 0x100, true);
    assert.deepEqual(a.root?.command, { CERptEn: true, NFERptEn: true, FERptEn: true });
    assert.equal(a.root?.status?.CERcvd, true);
    assert.equal(a.root?.status?.MultCERcvd, false);
    assert.equal(a.root?.status?.UERcvd, true);
    assert.equal(a.root?.interruptMessage, 3);
    assert.equal(a.root?.errCorSource, '0100');
    assert.equal(a.root?.errFatalNonFatalSource, '0300');
  });

  it('everything past the readable length is null', () => {
    const a = decodeAer(aerAt(new CfgBuilder()).build(256), 0x100, true);
    assert.ok(leaves(a).every((v) => v === null), JSON.stringify(a));
    const part = decodeAer(aerAt(new CfgBuilder()).build(0x110), 0x100, false);
    assert.notEqual(part.uncorrectableStatus.raw, null);
    assert.equal(part.correctableStatus.raw, null);
    assert.equal(part.headerLog, null);
  });
});
