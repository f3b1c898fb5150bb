import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader } from '../../../src/model/caps/header.js';
import { CfgBuilder } from './helpers.js';

describe('decodeHeader', () => {
  it('type 0: command/status, BARs (64-bit pairs, I/O, ROM) with sizes from the resource file', () => {
    const cfg = new CfgBuilder()
      .u16(0x04, 0x0406).u16(0x06, 0x0210).u8(0x0c, 16).u8(0x0e, 0x80)
      .u32(0x10, 0x0000000c).u32(0x14, 0x00000038) // BAR0/1: 64-bit prefetchable at 0x3800000000
      .u32(0x18, 0xe001) // BAR2: I/O at 0xe000
      .u32(0x1c, 0xfb000000) // BAR3: 32-bit memory
      .u32(0x30, 0xfc000001) // ROM enabled
      .u16(0x2c, 0x1028).u16(0x2e, 0x1fe0).u8(0x3d, 1).u8(0x3c, 11)
      .build(64);
    const h = decodeHeader(cfg, [
      { index: 0, start: 0x3800000000n, end: 0x3803ffffffn, flags: 0x14220c },
      { index: 2, start: 0xe000n, end: 0xe07fn, flags: 0x40101 },
      { index: 3, start: 0xfb000000n, end: 0xfb003fffn, flags: 0x40200 },
      { index: 6, start: 0xfc000000n, end: 0xfc07ffffn, flags: 0x46200 },
    ]);
    assert.equal(h.headerType, 0);
    assert.equal(h.multiFunction, true);
    assert.equal(h.command?.Mem, true);
    assert.equal(h.command?.BusMaster, true);
    assert.equal(h.command?.DisINTx, true);
    assert.equal(h.command?.['I/O'], false);
    assert.equal(h.status?.Cap, true);
    assert.equal(h.devsel, 'medium');
    assert.equal(h.cacheLineSize, 64);
    assert.equal(h.interruptPin, 'A');
    assert.equal(h.subsystemVendorId, '1028');
    assert.deepEqual(h.bars.map((b) => [b.index, b.kind, b.is64, b.prefetchable, b.address, b.size]), [
      [0, 'mem', true, true, '0x3800000000', String(64 * 2 ** 20)],
      [2, 'io', false, false, '0xe000', '128'],
      [3, 'mem', false, false, '0xfb000000', '16384'],
      [6, 'rom', false, false, '0xfc000000', '524288'],
    ]);
    assert.equal(h.bars[3].enabled, true);
    assert.equal(h.bridge, null);
  });

  it('BAR sizes are unknown (null) without a resource file, never zero', () => {
    const h = decodeHeader(new CfgBuilder().u32(0x10, 0xfb000000).build(64));
    assert.equal(h.bars.length, 1);
    assert.equal(h.bars[0].size, null);
  });

  it('type 1: bus numbers and the three forwarding windows', () => {
    const cfg = new CfgBuilder().u8(0x0e, 0x01)
      .u8(0x18, 0x00).u8(0x19, 0x03).u8(0x1a, 0x05)
      .u8(0x1c, 0xf0).u8(0x1d, 0x00) // I/O window closed (limit < base)
      .u16(0x20, 0xbe00).u16(0x22, 0xc010) // memory be000000-c01fffff
      .u16(0x24, 0x0001).u16(0x26, 0xfff1).u32(0x28, 0x38).u32(0x2c, 0x38) // 64-bit prefetchable
      .u16(0x3e, 0x0010)
      .build(64);
    const h = decodeHeader(cfg);
    const b = h.bridge!;
    assert.deepEqual([b.primaryBus, b.secondaryBus, b.subordinateBus], [0, 3, 5]);
    assert.equal(b.io?.enabled, false);
    assert.deepEqual(b.memory, { base: '0xbe000000', limit: '0xc01fffff', enabled: true, is64: false });
    assert.deepEqual(b.prefetchable, { base: '0x3800000000', limit: '0x38ffffffff', enabled: true, is64: true });
    assert.equal(b.bridgeControl?.VGA16, true);
  });

  it('type 2 (CardBus): bus numbers and the socket BAR', () => {
    const h = decodeHeader(new CfgBuilder().u8(0x0e, 0x02).u32(0x10, 0xfc402000).u8(0x18, 0x1c).u8(0x19, 0x1d).u8(0x1a, 0x20).build(64));
    assert.equal(h.bars[0].address, '0xfc402000');
    assert.deepEqual([h.bridge?.primaryBus, h.bridge?.secondaryBus, h.bridge?.subordinateBus], [0x1c, 0x1d, 0x20]);
  });

  it('an unreadable header is all unknown', () => {
    const h = decodeHeader(new CfgBuilder().u16(0x04, 7).build(0));
    assert.equal(h.headerType, null);
    assert.equal(h.command, null);
    assert.equal(h.status, null);
    assert.deepEqual(h.bars, []);
  });
});
