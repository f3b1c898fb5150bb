import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExpress } from '../../../src/model/caps/express.js';
import { lspciSpeed } from '../../../src/model/link-math.js';
import { expressFunction, leaves } from './helpers.js';

describe('decodeExpress', () => {
  it('decodes DevCap/DevCtl: MPS, MRRS, relaxed ordering, no-snoop, FLR', () => {
    const cfg = expressFunction()
      .u32(0x44, 0x10008002 | (0x19 << 18)) // MPS supported 512, RBE+, FLR+, power 25W (scale 0)
      .u16(0x48, (2 << 12) | (1 << 5) | 0x10 | 0x800 | 0x100) // MRRS 512, MPS 256, RO+, NoSnoop+, ExtTag+
      .build();
    const e = decodeExpress(cfg, 0x40);
    assert.equal(e.portType, 'endpoint');
    assert.equal(e.version, 2);
    assert.equal(e.mpsSupported, 512);
    assert.equal(e.mps, 256);
    assert.equal(e.mrrs, 512);
    assert.equal(e.relaxedOrdering, true);
    assert.equal(e.noSnoop, true);
    assert.equal(e.devCtl?.flags.ExtTag, true);
    assert.equal(e.devCap?.flags.FLReset, true);
    assert.equal(e.devCap?.flags.RBE, true);
    assert.equal(e.devCap?.slotPowerLimitW, 25);
  });

  it('decodes every link speed from 2.5 to 64 GT/s and leaves unknown encodings null', () => {
    const expected: [number, number | null][] = [[1, 2.5], [2, 5], [3, 8], [4, 16], [5, 32], [6, 64], [7, null], [0, null]];
    for (const [code, gts] of expected) {
      const cfg = expressFunction().u32(0x4c, (5 << 24) | (16 << 4) | code).u16(0x52, (8 << 4) | code).build();
      const e = decodeExpress(cfg, 0x40);
      assert.equal(e.link?.maxSpeed, gts, `LnkCap code ${code}`);
      assert.equal(e.link?.speed, gts, `LnkSta code ${code}`);
      assert.equal(e.link?.maxWidth, 16);
      assert.equal(e.link?.width, 8);
      assert.equal(e.linkCap?.port, 5);
      assert.equal(lspciSpeed(e.linkSta!.speed), gts === null ? 'unknown' : `${gts}GT/s`);
    }
  });

  it('decodes ASPM support/control and link flags', () => {
    const cfg = expressFunction()
      .u32(0x4c, (3 << 10) | (1 << 20) | (3 << 15) | 0x41) // L0s L1, LLActRep+, L1 exit <8us
      .u16(0x50, 0x2 | 0x40 | 0x8) // L1 enabled, CommClk+, RCB 128
      .u16(0x52, 0x2000 | 0x41) // DLActive+
      .build();
    const e = decodeExpress(cfg, 0x40);
    assert.equal(e.linkCap?.aspm, 'L0s L1');
    assert.equal(e.linkCap?.l1ExitLatency, '<8us');
    assert.equal(e.linkCap?.flags.LLActRep, true);
    assert.equal(e.linkCtl?.aspm, 'L1 Enabled');
    assert.equal(e.linkCtl?.rcb, 128);
    assert.equal(e.linkCtl?.flags.CommClk, true);
    assert.equal(e.linkSta?.flags.DLActive, true);
  });

  it('decodes LnkCap2 supported speeds up to 64 GT/s and LnkCtl2 target (0 means 2.5 GT/s)', () => {
    const cfg = expressFunction().u32(0x6c, 0b1111110).u16(0x70, 0).u16(0x72, 0x1f).build();
    const e = decodeExpress(cfg, 0x40);
    assert.deepEqual(e.supportedSpeeds, [2.5, 5, 8, 16, 32, 64]);
    assert.equal(e.targetSpeed, 2.5);
    assert.equal(e.link2?.sta2Flags?.EqualizationPhase3, true);
    assert.equal(e.link2?.deemphasis, '-3.5dB');
    const v1 = expressFunction().u16(0x42, 0x0001).u32(0x6c, 0b1110).build();
    assert.equal(decodeExpress(v1, 0x40).supportedSpeeds, null, 'v1 capabilities have no LnkCap2');
  });

  it('decodes slot and root registers on root ports only', () => {
    const cfg = expressFunction(4).u16(0x42, 0x0142) // v2, root port, slot implemented
      .u32(0x54, (7 << 19) | (75 << 7) | 0x60) // slot 7, 75 W, HotPlug+ Surprise+
      .u16(0x5a, 0x40) // presence detected
      .u16(0x5c, 0x10) // CRSVisible enabled
      .u32(0x60, 0x10000 | 0x0300)
      .build();
    const e = decodeExpress(cfg, 0x40);
    assert.equal(e.portType, 'root-port');
    assert.equal(e.slot?.physicalSlot, 7);
    assert.equal(e.slot?.powerLimitW, 75);
    assert.equal(e.slot?.capFlags?.HotPlug, true);
    assert.equal(e.slot?.capFlags?.Surprise, true);
    assert.equal(e.slot?.staFlags?.PresDet, true);
    assert.equal(e.slot?.staFlags?.PresDetChanged, false);
    assert.equal(e.root?.ctlFlags?.CRSVisible, true);
    assert.equal(e.root?.pmeRequesterId, '0300');
    assert.equal(e.root?.pmeStatus, true);
    const ep = decodeExpress(expressFunction(0).u16(0x42, 0x0102).build(), 0x40);
    assert.equal(ep.slot, null, 'endpoints have no slot even with the bit set');
    assert.equal(ep.root, null);
  });

  it('has no link for root-complex integrated endpoints', () => {
    const e = decodeExpress(expressFunction(9).u32(0x4c, 0x41).build(), 0x40);
    assert.equal(e.portType, 'rc-integrated');
    assert.equal(e.link, null);
    assert.equal(e.linkCap, null);
  });

  it('registers past what was read come out null, never zero', () => {
    const full = expressFunction().u32(0x44, 1).u16(0x48, 0x2020).u32(0x4c, 0x43).u16(0x52, 0x43);
    const e = decodeExpress(full.build(0x44), 0x40); // only the capability header was read
    assert.equal(e.mps, null);
    assert.equal(e.mrrs, null);
    assert.equal(e.devCap, null);
    assert.deepEqual(e.link, { speed: null, width: null, maxSpeed: null, maxWidth: null });
    assert.equal(e.linkCap, null);
    const half = decodeExpress(full.build(0x50), 0x40); // DevCap..DevSta read, link not
    assert.equal(half.mps, 256);
    assert.equal(half.link?.speed, null);
    assert.equal(half.link2?.supportedSpeeds ?? null, null);
  });

  it('is all-unknown when decoded at an offset past the end', () => {
    const e = decodeExpress(expressFunction().build(64), 0x40);
    const { offset, version, portType, slotImplemented, link, ...rest } = e;
    void offset; void version; void portType; void slotImplemented;
    assert.ok(leaves(rest).every((v) => v === null), JSON.stringify(rest));
    assert.ok(leaves(link).every((v) => v === null));
  });
});

describe('decodeExpressSummary', () => {
  it('is exactly the leading fields of the full decode, for every port type and for unread registers', async () => {
    const { decodeExpressSummary } = await import('../../../src/model/caps/express.js');
    const { ConfigSpace } = await import('../../../src/model/config-space.js');
    for (const portType of [0, 1, 4, 5, 6, 9, 10]) {
      const full = expressFunction().u16(0x42, 0x0102 | (portType << 4)).u32(0x4c, (16 << 4) | 4).u16(0x52, (8 << 4) | 3).u16(0x48, (1 << 12) | (2 << 5) | 0x10).build();
      // The same bytes cut at 64: every Express register unread.
      const cut = new ConfigSpace(full.bytes.slice(0, 64), 64);
      for (const cfg of [full, cut]) {
        const summary = decodeExpressSummary(cfg, 0x40);
        const whole = decodeExpress(cfg, 0x40);
        assert.deepEqual(summary, Object.fromEntries(Object.keys(summary).map((k) => [k, whole[k as keyof typeof whole]])));
        assert.deepEqual(Object.keys(whole).slice(0, Object.keys(summary).length), Object.keys(summary), 'same order, first');
      }
    }
  });
});
