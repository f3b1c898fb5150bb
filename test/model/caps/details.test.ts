// describeDevice (sections, unknown convention), the show text view and runShow, on built and real dumps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseLspciDump } from '../../../src/access/dump.js';
import { emptyHostInfo, type RawDevice, type RawFabric } from '../../../src/access/types.js';
import { ConfigSpace } from '../../../src/model/config-space.js';
import { buildFabric } from '../../../src/model/topology.js';
import { describeDevice, isUnknown, type DeviceDetails } from '../../../src/model/details.js';
import { formatRegionSize } from '../../../src/model/units.js';
import { renderShowText } from '../../../src/format/show-text.js';
import { runShow } from '../../../src/commands/show.js';
import { UserError } from '../../../src/errors.js';
import type { CommandIO } from '../../../src/commands/shared.js';
import { CfgBuilder, expressFunction } from './helpers.js';
import { PCIUTILS_DUMPS } from '../../helpers/refdata.js';

const DUMPS = PCIUTILS_DUMPS;

function fabricOf(devices: RawDevice[], method: 'sysfs' | 'dump' = 'sysfs') {
  const raw: RawFabric = { source: { method, location: 'test', live: false }, devices, host: emptyHostInfo(), warnings: [] };
  return buildFabric(raw);
}

function details(cfg: ConfigSpace, extra: Partial<RawDevice> = {}, method: 'sysfs' | 'dump' = 'sysfs'): DeviceDetails {
  const f = fabricOf([{ bdf: '0000:01:00.0', config: cfg, ...extra }], method);
  return describeDevice(f.devices[0], { source: method });
}

function collectIO(): CommandIO & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: () => {}, isTTY: false, color: false, columns: 100, text: () => buf };
}

describe('describeDevice', () => {
  it('non-root sysfs (64 bytes): header decoded, capability-based sections unknown with the reason, link from sysfs', () => {
    const cfg = expressFunction(0, 0x50).cap(0x50, 1, 0).u8(0x0e, 0).u32(0x10, 0xfb000000).ext(0x100, 0x0d, 1, 0).build(64);
    const d = details(cfg, {
      currentLinkSpeed: '8.0 GT/s PCIe', currentLinkWidth: 4, maxLinkSpeed: '16.0 GT/s PCIe', maxLinkWidth: 4,
      resources: [{ index: 0, start: 0xfb000000n, end: 0xfb003fffn, flags: 0x40200 }],
    });
    assert.equal(d.config.bytesRead, 64);
    assert.match(d.config.limitation!, /needs root: only 64 bytes/);
    assert.ok(!isUnknown(d.header));
    assert.equal(d.header.bars[0].sizeHuman, '16K');
    for (const s of [d.pcieDevice, d.acs, d.aer, d.sriov, d.capabilities]) {
      assert.ok(isUnknown(s), JSON.stringify(s));
      assert.match(s.unknown, /64 bytes/);
    }
    assert.ok(d.link && !isUnknown(d.link));
    assert.equal(d.link.source, 'sysfs');
    assert.equal(d.link.downgraded, true);
    assert.ok(!JSON.stringify(d).includes('"TransBlk"'), 'nothing decoded from bytes past 64');
  });

  it('a full PCIe function without AER/ACS/SR-IOV says null (absent), not unknown', () => {
    const d = details(expressFunction().u32(0x4c, 0x43).u16(0x52, 0x43).build());
    assert.equal(d.config.limitation, null);
    assert.equal(d.aer, null);
    assert.equal(d.acs, null);
    assert.equal(d.sriov, null);
    assert.ok(d.link && !isUnknown(d.link));
    assert.deepEqual([d.link.speed, d.link.width, d.link.downgraded], [8, 4, false]);
  });

  it('a PCIe function dumped with 256 bytes: extended sections unknown, pointing at lspci -xxxx', () => {
    const d = details(expressFunction().ext(0x100, 1, 1, 0).build(256), {}, 'dump');
    assert.ok(isUnknown(d.aer));
    assert.match(d.aer.unknown, /lspci -xxxx/);
    assert.ok(!isUnknown(d.pcieDevice) && d.pcieDevice !== null);
  });

  it('a conventional PCI function has no link, no PCIe section and no extended capabilities', () => {
    const d = details(new CfgBuilder().capList(0x40).cap(0x40, 1, 0).build(256));
    assert.equal(d.config.limitation, null, '256 bytes is all a conventional PCI function has');
    assert.equal(d.link, null);
    assert.equal(d.pcieDevice, null);
    assert.equal(d.aer, null);
    assert.ok(!isUnknown(d.capabilities) && d.capabilities.list.length === 1);
  });

  it('reports a corrupt capability list in the section and in the notes', () => {
    const d = details(expressFunction(0, 0x50).cap(0x50, 1, 0x40).build());
    assert.ok(!isUnknown(d.capabilities));
    assert.match(d.capabilities.errors[0], /loops/);
    assert.ok(d.notes.some((n) => /loops/.test(n)));
  });

  it('formatRegionSize', () => {
    assert.equal(formatRegionSize(16384n), '16K');
    assert.equal(formatRegionSize(256n * 2n ** 30n), '256G');
    assert.equal(formatRegionSize(1536n), '1.5K');
    assert.equal(formatRegionSize(100n), '100');
  });
});

const haveDumps = existsSync(DUMPS);
const dumps = haveDumps ? readdirSync(DUMPS).filter((f) => !f.startsWith('COPYING') && statSync(path.join(DUMPS, f)).isFile()) : [];

describe('describeDevice and the text view on every pciutils dump', { skip: haveDumps ? false : `no reference data at ${DUMPS}` }, () => {
  it('every device of every dump gives plain JSON and renders as text', () => {
    let n = 0;
    for (const name of dumps) {
      const fabric = buildFabric(parseLspciDump(readFileSync(path.join(DUMPS, name), 'utf8'), name));
      for (const dev of fabric.devices) {
        const d = describeDevice(dev, { source: 'dump' });
        const json = JSON.stringify(d);
        assert.deepEqual(JSON.parse(json), d, `${name} ${dev.bdf}`);
        const text = renderShowText(d, { color: false });
        assert.ok(text.startsWith(dev.bdf), text.slice(0, 80));
        assert.ok(!/undefined|NaN|\[object/.test(text), `${name} ${dev.bdf}:\n${text}`);
        assert.ok(renderShowText(d, { color: true }).includes('\u001b['), 'colour when asked');
        n++;
      }
    }
    assert.ok(n > 100, `${n} devices`);
  });
});

describe('runShow', { skip: haveDumps ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  const dump = path.join(DUMPS, 'cap-aer-root');

  it('accepts a short BDF and prints the decoded sections', async () => {
    const io = collectIO();
    assert.equal(await runShow({ dump, device: '03:00.0' }, io), 0);
    const t = io.text();
    assert.match(t, /^0000:03:00\.0/);
    assert.match(t, /Current\s+8GT\/s x8/);
    assert.match(t, /MaxReadReq\s+512 bytes/);
    assert.match(t, /\[148 v1\] Device Serial Number: 00-1a-11-ff-fe-4c-3c-70/);
  });

  it('accepts a full BDF and an alias, and prints JSON with --json', async () => {
    const io = collectIO();
    await runShow({ dump, device: '0000:00:02.0', json: true }, io);
    const d = JSON.parse(io.text()) as DeviceDetails;
    assert.equal(d.identity.bdf, '0000:00:02.0');
    assert.ok(d.acs && !isUnknown(d.acs));
    assert.deepEqual(d.acs.enabled, ['SrcValid', 'TransBlk', 'ReqRedir', 'CmpltRedir', 'UpstreamFwd']);
    assert.ok(d.aer && !isUnknown(d.aer) && d.aer.root !== null);
    const alias = d.identity.alias;
    if (alias) {
      const io2 = collectIO();
      await runShow({ dump, device: alias, json: true }, io2);
      assert.equal((JSON.parse(io2.text()) as DeviceDetails).identity.bdf, '0000:00:02.0');
    }
  });

  it('an unknown device is a UserError', async () => {
    await assert.rejects(runShow({ dump, device: '7f:1f.7' }, collectIO()), UserError);
  });
});
