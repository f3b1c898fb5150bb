// A dump with a missing row: the bytes of the hole are unknown (never zeros) and a readable next pointer
// is still followed, so the capabilities after the hole are listed, as lspci -F lists them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLspciDump } from '../../src/access/dump.js';
import { walkCapabilities } from '../../src/model/caps/index.js';
import { haveCommand, haveRefdata, PCIUTILS_DUMPS, pciutilsDumps } from '../helpers/refdata.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

interface Hole {
  file: string;
  bdf: string;
  row: number;
  text: string;
}

/** Per dump, the first function whose standard list has a capability with a body row of its own, and the dump with that row taken out. */
function holes(): Hole[] {
  const out: Hole[] = [];
  for (const name of pciutilsDumps()) {
    const file = path.join(PCIUTILS_DUMPS, name);
    const text = fs.readFileSync(file, 'latin1');
    let raw;
    try {
      raw = parseLspciDump(text, file);
    } catch {
      continue;
    }
    for (const d of raw.devices) {
      const std = walkCapabilities(d.config).caps.filter((c) => !c.extended);
      const i = std.findIndex((c, k) => k < std.length - 1 && ((c.offset >> 4) + 1) << 4 < std[k + 1].offset && ((c.offset >> 4) + 1) << 4 !== std[k + 1].offset >> 4 << 4);
      if (i < 0) continue;
      const row = ((std[i].offset >> 4) + 1) << 4;
      if (std.slice(i + 1).some((c) => c.offset >> 4 << 4 === row)) continue;
      // Drop that row from this function's block only.
      const lines = text.split('\n');
      const start = lines.findIndex((l) => l.startsWith(d.bdf.slice(5)) || l.startsWith(d.bdf));
      const rowText = row.toString(16).padStart(2, '0') + ':';
      const at = lines.findIndex((l, k) => k > start && l.startsWith(rowText));
      if (start < 0 || at < 0) continue;
      lines.splice(at, 1);
      out.push({ file: name, bdf: d.bdf, row, text: lines.join('\n') });
      break;
    }
  }
  return out;
}

/** lspci -F's capability offsets for one function. */
function lspciCaps(file: string, bdf: string): number[] {
  const text = execFileSync('lspci', ['-F', file, '-vvv', '-s', bdf], { encoding: 'latin1' });
  return [...text.matchAll(/^\tCapabilities: \[([0-9a-f]+)/gm)].map((m) => parseInt(m[1], 16));
}

describe('lspci dumps with a row removed', { skip: haveRefdata() ? false : 'no test/fixtures/refdata (restore it: git checkout -- test/fixtures/refdata)' }, () => {
  const cases = holes();
  it('finds dumps to cut', () => assert.ok(cases.length >= 5, `${cases.length} cases`));
  const dir = tempDirRemovedAtExit('p2p-holes-');
  for (const h of cases) {
    it(`${h.file} ${h.bdf} without row ${h.row.toString(16)}`, () => {
      const full = parseLspciDump(fs.readFileSync(path.join(PCIUTILS_DUMPS, h.file), 'latin1'), h.file).devices.find((d) => d.bdf === h.bdf)!;
      const cut = parseLspciDump(h.text, 'cut').devices.find((d) => d.bdf === h.bdf)!;
      for (let o = h.row; o < h.row + 16; o++) assert.equal(cut.config.u8(o), undefined, `byte ${o.toString(16)} unknown`);
      assert.equal(cut.config.u8(h.row + 16), full.config.u8(h.row + 16), 'bytes past the hole kept');
      const want = walkCapabilities(full.config).caps.map((c) => c.offset);
      assert.deepEqual(walkCapabilities(cut.config).caps.map((c) => c.offset), want, 'every capability still listed');
      if (haveCommand('lspci')) {
        const file = path.join(dir, `${h.file}.cut`);
        fs.writeFileSync(file, h.text, 'latin1');
        assert.deepEqual(walkCapabilities(cut.config).caps.map((c) => c.offset).filter((o) => o < 0x100), lspciCaps(file, h.bdf).filter((o) => o < 0x100), 'as lspci -F lists them');
      }
    });
  }
});
