import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAcs, formatAcsBits } from '../../../src/model/caps/acs.js';
import { CfgBuilder } from './helpers.js';

describe('decodeAcs', () => {
  it('lists capable and enabled bits in lspci order', () => {
    const cfg = new CfgBuilder().ext(0x110, 0x0d, 1, 0).u16(0x114, 0x1f).u16(0x116, 0x0d).build();
    const a = decodeAcs(cfg, 0x110);
    assert.deepEqual(a.capable, ['SrcValid', 'TransBlk', 'ReqRedir', 'CmpltRedir', 'UpstreamFwd']);
    assert.deepEqual(a.enabled, ['SrcValid', 'ReqRedir', 'CmpltRedir']);
    assert.equal(formatAcsBits(a.ctlRaw!), 'SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-');
  });

  it('an unreadable control register is unknown, not "nothing enabled"', () => {
    const cfg = new CfgBuilder().ext(0x110, 0x0d, 1, 0).u16(0x114, 0x1f).u16(0x116, 0x1f).build(0x116);
    const a = decodeAcs(cfg, 0x110);
    assert.equal(a.ctlRaw, null);
    assert.equal(a.enabled, null);
  });
});
