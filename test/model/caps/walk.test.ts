import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigSpace } from '../../../src/model/config-space.js';
import { findCapability, walkCapabilities } from '../../../src/model/caps/walk.js';
import { CfgBuilder, expressFunction, rng } from './helpers.js';

describe('walkCapabilities', () => {
  it('walks standard then extended lists in order, with lspci names', () => {
    const cfg = expressFunction(0, 0x50)
      .cap(0x50, 0x01, 0x60).cap(0x60, 0x11, 0x00)
      .ext(0x100, 0x0001, 2, 0x150).ext(0x150, 0x000d, 1, 0x200).ext(0x200, 0x002f, 1, 0)
      .build();
    const w = walkCapabilities(cfg);
    assert.deepEqual(w.errors, []);
    assert.equal(w.complete, true);
    assert.deepEqual(w.caps.map((c) => [c.offset, c.name, c.extended]), [
      [0x40, 'Express', false], [0x50, 'Power Management', false], [0x60, 'MSI-X', false],
      [0x100, 'Advanced Error Reporting', true], [0x150, 'Access Control Services', true], [0x200, 'Device 3', true],
    ]);
    assert.equal(w.caps[3].version, 2);
    assert.equal(findCapability(w, 0x0d, true)?.offset, 0x150);
    assert.equal(findCapability(w, 0x0d, false), undefined);
  });

  it('names unknown IDs the way lspci does', () => {
    const cfg = expressFunction(0, 0x50).cap(0x50, 0x1f, 0).ext(0x100, 0x0fee, 1, 0).build();
    const names = walkCapabilities(cfg).caps.map((c) => c.name);
    assert.deepEqual(names.slice(1), ['Capability ID 0x1f', 'Extended Capability ID 0xfee']);
  });

  it('stops at a standard list that loops, and says so', () => {
    const cfg = new CfgBuilder().capList(0x40).cap(0x40, 0x01, 0x50).cap(0x50, 0x05, 0x40).build(256);
    const w = walkCapabilities(cfg);
    assert.deepEqual(w.caps.map((c) => c.offset), [0x40, 0x50]);
    assert.equal(w.errors.length, 1);
    assert.match(w.errors[0], /loops back to 0x40/);
  });

  it('stops at a capability that points to itself', () => {
    const w = walkCapabilities(new CfgBuilder().capList(0x40).cap(0x40, 0x01, 0x40).build(256));
    assert.equal(w.caps.length, 1);
    assert.match(w.errors[0], /loops/);
  });

  it('rejects a pointer into the 64-byte header', () => {
    const w = walkCapabilities(new CfgBuilder().capList(0x40).cap(0x40, 0x01, 0x20).build(256));
    assert.equal(w.caps.length, 1);
    assert.match(w.errors[0], /0x20 is outside/);
  });

  it('stops at an all-ones capability (a function that went away)', () => {
    const b = new CfgBuilder();
    b.bytes.fill(0xff);
    const w = walkCapabilities(b.build());
    assert.equal(w.caps.length, 0);
    assert.match(w.errors[0], /all ones/);
  });

  it('stops at an extended list that loops, points below 0x100, or reads as all ones', () => {
    const loop = expressFunction().ext(0x100, 1, 1, 0x200).ext(0x200, 3, 1, 0x100).build();
    const wl = walkCapabilities(loop);
    assert.deepEqual(wl.caps.filter((c) => c.extended).map((c) => c.offset), [0x100, 0x200]);
    assert.match(wl.errors[0], /extended capability list loops back to 0x100/);

    const low = expressFunction().ext(0x100, 1, 1, 0x040).build();
    const wo = walkCapabilities(low);
    assert.equal(wo.caps.filter((c) => c.extended).length, 1);
    assert.match(wo.errors[0], /outside 0x100-0xfff/);

    const ones = expressFunction().ext(0x100, 1, 1, 0x200).u32(0x200, 0xffffffff).build();
    const w1 = walkCapabilities(ones);
    assert.equal(w1.caps.filter((c) => c.extended).length, 1);
    assert.match(w1.errors[0], /0x200 reads as all ones/);
  });

  it('treats an empty extended space (header 0 at 0x100) as no extended capabilities', () => {
    const w = walkCapabilities(expressFunction().build());
    assert.deepEqual(w.errors, []);
    assert.equal(w.complete, true);
    assert.equal(w.caps.length, 1);
  });

  it('a 64-byte config (non-root sysfs) yields no capabilities and an incomplete list, not an empty one', () => {
    const full = expressFunction(0, 0x50).cap(0x50, 0x01, 0).ext(0x100, 1, 1, 0);
    const w = walkCapabilities(full.build(64));
    assert.deepEqual(w.caps, []);
    assert.equal(w.complete, false);
    assert.deepEqual(w.errors, []);
  });

  it('a 256-byte config lists standard capabilities and marks the list incomplete for PCIe', () => {
    const w = walkCapabilities(expressFunction(0, 0x50).cap(0x50, 0x01, 0).ext(0x100, 1, 1, 0).build(256));
    assert.deepEqual(w.caps.map((c) => c.offset), [0x40, 0x50]);
    assert.equal(w.complete, false);
  });

  it('a conventional PCI function in 256 bytes is complete (no extended space to miss)', () => {
    const w = walkCapabilities(new CfgBuilder().capList(0x40).cap(0x40, 0x01, 0).build(256));
    assert.equal(w.complete, true);
  });

  it('walks PCI-X 2.0 extended space when it was read', () => {
    const w = walkCapabilities(new CfgBuilder().capList(0x40).cap(0x40, 0x07, 0).ext(0x100, 1, 1, 0).build());
    assert.deepEqual(w.caps.map((c) => c.offset), [0x40, 0x100]);
  });

  it('an empty config space is unknown, not empty', () => {
    const w = walkCapabilities(ConfigSpace.empty());
    assert.equal(w.complete, false);
    assert.equal(w.caps.length, 0);
  });

  it('terminates and stays in bounds on random garbage', () => {
    const rand = rng(0x5eed);
    for (let iter = 0; iter < 400; iter++) {
      const b = new CfgBuilder();
      for (let i = 0; i < 4096; i++) b.bytes[i] = Math.floor(rand() * 256);
      b.u16(0x06, 0x0010); // force a capability list
      // Plant an Express capability half the time so the extended walk runs too.
      if (iter % 2) b.u8(b.bytes[0x34] & 0xfc, 0x10);
      const len = [64, 256, 4096][iter % 3];
      const w = walkCapabilities(b.build(len));
      const offs = w.caps.map((c) => c.offset);
      assert.equal(new Set(offs).size, offs.length, 'no offset twice');
      for (const c of w.caps) {
        assert.ok(c.extended ? c.offset >= 0x100 && c.offset <= 0xffc : c.offset >= 0x40 && c.offset <= 0xfc, `offset ${c.offset}`);
        assert.ok(c.offset + 4 <= len, 'never past what was read');
      }
      assert.ok(w.caps.length <= 48 + 960);
    }
  });
});
