// PM, MSI, MSI-X, ARI, ATS, PRI, PASID, SR-IOV, Resizable BAR, DPC, L1 PM substates, PTM, DSN, VSEC/DVSEC, physical layer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePm } from '../../../src/model/caps/pm.js';
import { decodeMsi } from '../../../src/model/caps/msi.js';
import { decodeMsix } from '../../../src/model/caps/msix.js';
import { decodeAri } from '../../../src/model/caps/ari.js';
import { decodeAts } from '../../../src/model/caps/ats.js';
import { decodePri } from '../../../src/model/caps/pri.js';
import { decodePasid } from '../../../src/model/caps/pasid.js';
import { decodeSriov } from '../../../src/model/caps/sriov.js';
import { decodeRebar, sizeLabel } from '../../../src/model/caps/rebar.js';
import { decodeDpc } from '../../../src/model/caps/dpc.js';
import { decodeL1pm } from '../../../src/model/caps/l1pm.js';
import { decodePtm } from '../../../src/model/caps/ptm.js';
import { decodeDsn } from '../../../src/model/caps/dsn.js';
import { decodeDvsec, decodeVsec } from '../../../src/model/caps/vsec.js';
import { decodePhy } from '../../../src/model/caps/phy.js';
import { CfgBuilder, leaves } from './helpers.js';

const allNull = (v: unknown) => leaves(v).every((x) => x === null);

describe('standard capability decoders', () => {
  it('PM: version, D-states, PME support, current state', () => {
    const cfg = new CfgBuilder().cap(0x40, 1, 0).u16(0x42, 0xc003 | (1 << 9)).u16(0x44, 0x0108 | 3).build();
    const pm = decodePm(cfg, 0x40);
    assert.equal(pm.version, 3);
    assert.equal(pm.d1, true);
    assert.equal(pm.d2, false);
    assert.deepEqual(pm.pmeSupport, { D0: false, D1: false, D2: false, D3hot: true, D3cold: true });
    assert.equal(pm.powerState, 'D3hot');
    assert.equal(pm.noSoftReset, true);
    assert.equal(pm.pmeEnable, true);
    assert.ok(allNull(decodePm(new CfgBuilder().build(256), 0xfe)), 'a PM capability straddling the end is unknown');
  });

  it('MSI: 32-bit and 64-bit layouts put data and mask at different offsets', () => {
    const m32 = new CfgBuilder().cap(0x50, 5, 0).u16(0x52, 0x0100 | (2 << 4) | (3 << 1) | 1)
      .u32(0x54, 0xfee00000).u16(0x58, 0x4021).u32(0x5c, 0x5).u32(0x60, 0x1).build();
    const a = decodeMsi(m32, 0x50);
    assert.deepEqual([a.enabled, a.vectorsEnabled, a.vectorsCapable, a.is64, a.maskable], [true, 4, 8, false, true]);
    assert.equal(a.address, 'fee00000');
    assert.equal(a.data, 0x4021);
    assert.equal(a.mask, 5);
    assert.equal(a.pending, 1);
    const m64 = new CfgBuilder().cap(0x50, 5, 0).u16(0x52, 0x0080).u32(0x54, 0xfee00000).u32(0x58, 0x1).u16(0x5c, 0x33).build();
    const b = decodeMsi(m64, 0x50);
    assert.equal(b.is64, true);
    assert.equal(b.address, '00000001fee00000');
    assert.equal(b.data, 0x33);
    assert.equal(b.mask, null, 'no mask register without per-vector masking');
  });

  it('MSI-X: table size, BIR and offsets', () => {
    const cfg = new CfgBuilder().cap(0x9c, 0x11, 0).u16(0x9e, 0x8000 | 255).u32(0xa0, 0x7c000).u32(0xa4, 0x7d002).build();
    const x = decodeMsix(cfg, 0x9c);
    assert.deepEqual([x.enabled, x.functionMasked, x.tableSize, x.tableBar, x.tableOffset, x.pbaBar, x.pbaOffset], [true, false, 256, 0, 0x7c000, 2, 0x7d000]);
    assert.ok(allNull(decodeMsix(new CfgBuilder().build(0x9c), 0x9c)));
  });
});

describe('extended capability decoders', () => {
  it('ARI', () => {
    const a = decodeAri(new CfgBuilder().u16(0x104, 0x0402).u16(0x106, 0x0031).build(), 0x100);
    assert.deepEqual(a, { mfvcCapable: false, acsCapable: true, nextFunction: 4, mfvcEnabled: true, acsEnabled: false, functionGroup: 3 });
  });

  it('ATS: a zero queue depth means 32', () => {
    const a = decodeAts(new CfgBuilder().u16(0x104, 0x0020).u16(0x106, 0x8002).build(), 0x100);
    assert.deepEqual(a, { invalidateQueueDepth: 32, pageAlignedRequest: true, globalInvalidate: false, enabled: true, smallestTranslationUnit: 2 });
  });

  it('PRI', () => {
    const p = decodePri(new CfgBuilder().u16(0x104, 1).u16(0x106, 0x8100).u32(0x108, 512).u32(0x10c, 64).build(), 0x100);
    assert.deepEqual([p.enabled, p.stopped, p.pasidRequired, p.outstandingCapacity, p.outstandingAllocation], [true, true, true, 512, 64]);
  });

  it('PASID', () => {
    const p = decodePasid(new CfgBuilder().u16(0x104, 0x1406).u16(0x106, 0x1).build(), 0x100);
    assert.deepEqual(p, { execCapable: true, privCapable: true, maxWidth: 20, enabled: true, execEnabled: false, privEnabled: false });
  });

  it('SR-IOV: VF counts, routing, VF BARs (64-bit pairs)', () => {
    const b = new CfgBuilder().u32(0x104, 0x2).u16(0x108, 0x19).u16(0x10c, 64).u16(0x10e, 64).u16(0x110, 8)
      .u16(0x114, 0x80).u16(0x116, 2).u16(0x11a, 0x10ed).u32(0x11c, 0x553).u32(0x120, 1)
      .u32(0x124, 0xc000000c).u32(0x128, 0x38).u32(0x12c, 0xd0000000);
    const s = decodeSriov(b.build(), 0x100);
    assert.equal(s.ctlFlags?.VFEnable, true);
    assert.equal(s.ctlFlags?.MSE, true);
    assert.equal(s.ctlFlags?.ARIHierarchy, true);
    assert.equal(s.capFlags?.ARIHierarchyPreserved, true);
    assert.deepEqual([s.initialVfs, s.totalVfs, s.numVfs, s.firstVfOffset, s.vfStride, s.vfDeviceId], [64, 64, 8, 0x80, 2, '10ed']);
    assert.deepEqual(s.vfBars, [
      { index: 0, kind: 'mem', is64: true, prefetchable: true, address: '0x38c0000000' },
      { index: 2, kind: 'mem', is64: false, prefetchable: false, address: '0xd0000000' },
    ]);
    assert.equal(decodeSriov(b.build(0x120), 0x100).vfBars, null, 'VF BARs past the end are unknown');
  });

  it('Resizable BAR: sizes from 1MB up, current size, several BARs', () => {
    const r = decodeRebar(new CfgBuilder()
      .u32(0x104, (1 << 8) | (1 << 9) | (1 << 14)) // 16MB 32MB 1GB
      .u32(0x108, (2 << 5) | (4 << 8) | 0) // 2 BARs, BAR 0 at 16MB
      .u32(0x10c, 1 << 4).u32(0x110, 2 | (1 << 16)) // BAR 2: 1MB and 64TB? (ext bit 16 = 256TB)
      .build(), 0x100);
    assert.equal(r.numBars, 2);
    assert.deepEqual(r.entries?.[0], { barIndex: 0, supportedSizes: ['16MB', '32MB', '1GB'], currentSize: '16MB' });
    assert.deepEqual(r.entries?.[1].supportedSizes, ['1MB', '256TB']);
    assert.equal(sizeLabel(10), '1GB');
    assert.equal(decodeRebar(new CfgBuilder().build(0x104), 0x100).entries, null);
  });

  it('DPC', () => {
    const d = decodeDpc(new CfgBuilder().u16(0x104, 0x0085 | (4 << 8)).u16(0x106, 0x000a).u16(0x108, 0x0003).u16(0x10a, 0x0300).build(), 0x100);
    assert.equal(d.interruptMessage, 5);
    assert.equal(d.capFlags?.SwTrigger, true);
    assert.equal(d.rpPioLogSize, 4);
    assert.equal(d.trigger, 'on ERR_NONFATAL or ERR_FATAL');
    assert.equal(d.ctlFlags?.INT, true);
    assert.equal(d.staFlags?.Trigger, true);
    assert.equal(d.triggerReason, 'ERR_NONFATAL');
    assert.equal(d.errorSource, '0300');
  });

  it('L1 PM substates: times in microseconds as lspci shows them', () => {
    const l = decodeL1pm(new CfgBuilder()
      .u32(0x104, 0x1f | (40 << 8) | (1 << 16) | (1 << 19)) // all supported, Tcm 40us, Tpo scale 10us x1
      .u32(0x108, 0xf | (60 << 8) | (160 << 16) | (2 << 29)) // all enabled, T_CommonMode 60us, LTR 160*1024ns
      .u32(0x10c, 1 | (6 << 3)) // T_PwrOn 6 x 10us
      .build(), 0x100);
    assert.equal(l.supported?.L1_PM_Substates, true);
    assert.equal(l.portCommonModeRestoreTimeUs, 40);
    assert.equal(l.portTPowerOnUs, 10);
    assert.equal(l.enabled?.['ASPM_L1.2'], true);
    assert.equal(l.tCommonModeUs, 60);
    assert.equal(l.ltrL12ThresholdNs, 163840);
    assert.equal(l.tPowerOnUs, 60);
  });

  it('PTM', () => {
    const p = decodePtm(new CfgBuilder().u32(0x104, 0x3 | (8 << 8)).u32(0x108, 0x1).build(), 0x100);
    assert.deepEqual([p.requester, p.responder, p.root, p.granularityNs, p.enabled, p.rootSelected], [true, true, false, 8, true, false]);
  });

  it('DSN: most significant byte first', () => {
    assert.equal(decodeDsn(new CfgBuilder().u32(0x104, 0xfe4c3c70).u32(0x108, 0x001a11ff).build(), 0x100).serial, '00-1a-11-ff-fe-4c-3c-70');
    assert.equal(decodeDsn(new CfgBuilder().build(0x108), 0x100).serial, null);
  });

  it('VSEC and DVSEC headers', () => {
    const v = decodeVsec(new CfgBuilder().u32(0x104, 0x00c00002).build(), 0x100);
    assert.deepEqual(v, { vsecId: 2, vsecRev: 0, length: 12 });
    const d = decodeDvsec(new CfgBuilder().u32(0x104, 0x03811e98).u16(0x108, 0).build(), 0x100);
    assert.deepEqual(d, { vendorId: '1e98', dvsecId: 0, dvsecRev: 1, length: 56, knownAs: 'CXL Device' });
  });

  it('Physical layer 16/32/64 GT/s equalization status', () => {
    const b = new CfgBuilder().u32(0x104, 1).u32(0x10c, 0x10f).u32(0x110, 0x3);
    const p16 = decodePhy(b.build(), 0x100, 16);
    assert.equal(p16.status?.EqualizationComplete, true);
    assert.equal(p16.status?.LinkEqualizationRequest, false);
    assert.equal(p16.localParityMismatch, 3);
    const p32 = decodePhy(b.build(), 0x100, 32);
    assert.equal(p32.capFlags?.EqBypassToHighestRate, true);
    assert.equal(p32.status?.TransmitterPrecodingOn, true);
    assert.equal(p32.localParityMismatch, null);
    const p64 = decodePhy(b.build(), 0x100, 64);
    assert.equal(p64.status?.EqualizationPhase3, true);
    assert.equal(decodePhy(b.build(0x100), 0x100, 32).status, null);
  });
});
