import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityOfKind, decodeCapabilities, walkCapabilities } from '../../../src/model/caps/index.js';
import { CfgBuilder, expressFunction } from './helpers.js';

function fullDevice(): CfgBuilder {
  return expressFunction(4, 0x50) // root port
    .cap(0x50, 0x01, 0x60).u16(0x52, 0x0003)
    .cap(0x60, 0x05, 0x70).u16(0x62, 0x0080)
    .cap(0x70, 0x11, 0x80).u16(0x72, 0x0003)
    .cap(0x80, 0x0d, 0x88).u16(0x84, 0x8086).u16(0x86, 0x0000) // bridge subsystem IDs
    .cap(0x88, 0x03, 0) // VPD: listed, not decoded
    .ext(0x100, 0x0001, 2, 0x148).u32(0x104, 0x10)
    .ext(0x148, 0x000d, 1, 0x150).u16(0x14c, 0x1f).u16(0x14e, 0x1f)
    .ext(0x150, 0x000e, 1, 0x160)
    .ext(0x160, 0x000f, 1, 0x170)
    .ext(0x170, 0x0013, 1, 0x180)
    .ext(0x180, 0x001b, 1, 0x190)
    .ext(0x190, 0x0010, 1, 0x1d0)
    .ext(0x1d0, 0x0015, 1, 0x200)
    .ext(0x200, 0x001d, 1, 0x210)
    .ext(0x210, 0x001e, 1, 0x220)
    .ext(0x220, 0x001f, 1, 0x230)
    .ext(0x230, 0x0003, 1, 0x240)
    .ext(0x240, 0x000b, 1, 0x250)
    .ext(0x250, 0x0023, 1, 0x260)
    .ext(0x260, 0x0026, 1, 0x270)
    .ext(0x270, 0x002a, 1, 0x280)
    .ext(0x280, 0x0031, 1, 0x290)
    .ext(0x290, 0x0024, 1, 0x2a0)
    .ext(0x2a0, 0x0019, 1, 0);
}

describe('decodeCapabilities', () => {
  it('dispatches every capability to its decoder, in list order', () => {
    const cfg = fullDevice().build();
    const caps = decodeCapabilities(cfg, walkCapabilities(cfg));
    assert.deepEqual(caps.map((c) => c.kind), [
      'express', 'pm', 'msi', 'msix', 'subsystem', 'other', 'aer', 'acs', 'ari', 'ats', 'pri', 'pasid', 'sriov', 'rebar', 'dpc',
      'l1pm', 'ptm', 'dsn', 'vsec', 'dvsec', 'phy', 'phy', 'phy', 'rebar', 'other',
    ]);
    assert.deepEqual(caps.find((c) => c.offset === 0x88), { offset: 0x88, id: 0x03, name: 'Vital Product Data', extended: false, version: null, kind: 'other', fields: null });
    assert.deepEqual(caps.find((c) => c.offset === 0x80)?.fields, { subsystemVendorId: '8086', subsystemDeviceId: '0000' });
    const aer = capabilityOfKind(caps, 'aer')!;
    assert.equal(aer.version, 2);
    assert.notEqual(aer.fields.root, null, 'AER of a root port includes root error registers');
    assert.equal(aer.fields.uncorrectableStatus.bits?.DLP, true);
    assert.equal(capabilityOfKind(caps, 'acs')?.fields.enabled?.length, 5);
    const rebars = caps.filter((c) => c.kind === 'rebar');
    assert.deepEqual(rebars.map((c) => c.kind === 'rebar' && c.fields.virtual), [false, true]);
    const phys = caps.filter((c) => c.kind === 'phy');
    assert.deepEqual(phys.map((c) => c.kind === 'phy' && c.fields.rate), [16, 32, 64]);
  });

  it('a truncated 64-byte config decodes nothing past 64 bytes', () => {
    const cfg = fullDevice().build(64);
    const walk = walkCapabilities(cfg);
    const caps = decodeCapabilities(cfg, walk);
    assert.deepEqual(caps, []);
    assert.equal(walk.complete, false);
  });

  it('a 256-byte config decodes the standard capabilities and no extended ones', () => {
    const cfg = fullDevice().build(256);
    const caps = decodeCapabilities(cfg, walkCapabilities(cfg));
    assert.ok(caps.every((c) => !c.extended));
    assert.equal(caps.length, 6);
    const exp = capabilityOfKind(caps, 'express')!;
    assert.equal(exp.fields.portType, 'root-port');
  });

  it('output is plain JSON (round-trips unchanged)', () => {
    const cfg = fullDevice().build();
    const caps = decodeCapabilities(cfg, walkCapabilities(cfg));
    assert.deepEqual(JSON.parse(JSON.stringify(caps)), caps);
  });
});
