// Config on demand, per view: on every captured tree, each of topo, matrix, path, doctor and show fetches
// only config bytes that the view's own decoders read when given the whole space (counted through the
// reader, against a ConfigSpace that records each register read), and prints what it prints from whole
// spaces; topo, matrix and path fetch the header on demand too, so they are held to it in the header as
// well. A stray read is caught: a view given one more decoder than it uses fails the check. (The hwloc
// trees hold 64-byte spaces; the generated tree and the pciutils dumps' functions hold whole ones.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSysfsFabricFromOutline, readSysfsOutline, fetchMoreConfig } from '../../src/access/sysfs.js';
import { FILL_ALL, FILL_CONFIG_FULL, FILL_LOCAL_CPUS, FILL_NONE } from '../../src/access/types.js';
import { bothNeeds, FABRIC_CONFIG_NEEDS, SHOW_CONFIG_NEEDS, type ConfigNeeds } from '../../src/model/caps/fabric-needs.js';
import { findCapability, walkCapabilities } from '../../src/model/caps/walk.js';
import { decodeExpress, EXPRESS_CAP_ID } from '../../src/model/caps/express.js';
import { buildFabric } from '../../src/model/topology.js';
import type { Fabric } from '../../src/model/types.js';
import { fabricToJson } from '../../src/format/topo-json.js';
import { renderTopoText } from '../../src/format/topo-text.js';
import { buildMatrix, selectEndpoints } from '../../src/model/p2p/matrix.js';
import { renderMatrixText } from '../../src/format/matrix-text.js';
import { buildPath } from '../../src/model/p2p/path.js';
import { renderPathText } from '../../src/format/path-text.js';
import { runDoctorChecks } from '../../src/model/doctor/index.js';
import { reportToJson } from '../../src/model/doctor/json.js';
import { renderDoctorText } from '../../src/format/doctor-text.js';
import { describeDevice } from '../../src/model/details.js';
import { renderShowText } from '../../src/format/show-text.js';
import { input } from '../helpers/doctor-fixtures.js';
import { countingReader, traceRaw } from '../helpers/config-reads.js';
import { haveRefdata, HWLOC_TREES, hwlocRoot, PCIUTILS_DUMPS, pciutilsDumps } from '../helpers/refdata.js';
import { parseLspciDump } from '../../src/access/dump.js';
import { generateFabric } from '../../bench/gen-fabric.js';
import { tempDirRemovedAtExit } from '../helpers/temp-dir.js';

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

interface View {
  name: string;
  /** The FILL_* bits its command asks (without FILL_CONFIG_FULL). */
  fill: number;
  /** It decodes every register of the functions it shows (fetched after the scan). */
  show?: boolean;
  /** It reads each header whole in the scan (FILL_CONFIG_CHECKS); the others fetch the header on demand too. */
  wholeHeader?: boolean;
  render(f: Fabric): string;
}

const VIEWS: View[] = [
  { name: 'topo', fill: FILL_NONE, render: (f) => json(fabricToJson(f)) + renderTopoText(f, { color: false }) },
  {
    name: 'matrix', fill: FILL_LOCAL_CPUS,
    render: (f) => {
      const m = buildMatrix(f, selectEndpoints(f));
      return json(m) + renderMatrixText(m, { color: false });
    },
  },
  {
    name: 'path', fill: FILL_NONE,
    render: (f) => {
      const ends = selectEndpoints(f).slice(0, 6);
      return ends.flatMap((a) => ends.filter((b) => b !== a).map((b) => renderPathText(buildPath(f, a, b), { color: false }))).join('');
    },
  },
  {
    name: 'doctor', fill: FILL_ALL & ~FILL_CONFIG_FULL, wholeHeader: true,
    render: (f) => {
      const report = runDoctorChecks(input(f));
      return json(reportToJson(f, report)) + renderDoctorText(f, report, { color: false, verbose: true });
    },
  },
  {
    name: 'show', fill: FILL_ALL & ~FILL_CONFIG_FULL, show: true, wholeHeader: true,
    render: (f) => f.devices.map((d) => {
      const details = describeDevice(d, { source: f.source.method, host: f.host });
      return json(details) + renderShowText(details, { color: false });
    }).join(''),
  },
];

/** The view from whole spaces (each register its decoders read noted) and on demand (each byte fetched counted). */
function runView(root: string, view: View, extra?: ConfigNeeds) {
  const wholeRaw = readSysfsFabricFromOutline(readSysfsOutline(root), view.fill | FILL_CONFIG_FULL);
  const touched = traceRaw(wholeRaw);
  const whole = view.render(buildFabric(wholeRaw));

  const counted = countingReader();
  const needs = extra ? bothNeeds(FABRIC_CONFIG_NEEDS, extra) : FABRIC_CONFIG_NEEDS;
  const raw = readSysfsFabricFromOutline(readSysfsOutline(root, { configNeeds: needs, readDir: counted.reader }), view.fill);
  if (view.show) fetchMoreConfig(root, raw.devices, SHOW_CONFIG_NEEDS, counted.reader);
  const onDemand = view.render(buildFabric(raw));

  // A view that fetches the header on demand is held to it byte by byte, header included.
  const from = view.wholeHeader ? 64 : 0;
  const stray: string[] = [];
  let headerBytes = 0;
  for (const [bdf, bytes] of counted.asked) {
    for (const b of bytes) {
      if (b < 64) headerBytes++;
      if (b >= from && !touched.get(bdf)?.has(b)) stray.push(`${bdf} 0x${b.toString(16)}`);
    }
  }
  const headers = wholeRaw.devices.filter((d) => d.config.length >= 64).length;
  const wholeBytes = wholeRaw.devices.reduce((n, d) => n + d.config.length, 0);
  const pastHeaders = wholeRaw.devices.some((d) => d.config.length > 64);
  return { whole, onDemand, stray, bytes: counted.bytes(), wholeBytes, pastHeaders, headerBytes, headers };
}

/**
 * A sysfs tree of every function the pciutils dumps hold whole (each dump in a PCI domain of its own, as
 * plain directories with a `config` file): real capability lists of every kind, as root reads them.
 */
function pciutilsTree(): string {
  const root = tempDirRemovedAtExit('p2p-views-dumps-');
  pciutilsDumps().forEach((name, domain) => {
    let devices;
    try {
      devices = parseLspciDump(fs.readFileSync(path.join(PCIUTILS_DUMPS, name), 'latin1'), name).devices;
    } catch {
      return;
    }
    for (const d of devices) {
      if (d.config.readBytes !== d.config.length || d.config.length < 256) continue;
      const dir = path.join(root, 'sys/bus/pci/devices', `${domain.toString(16).padStart(4, '0')}${d.bdf.slice(4)}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config'), d.config.bytes.subarray(0, d.config.length));
    }
  });
  return root;
}

const gen = tempDirRemovedAtExit('p2p-views-gen-');
generateFabric(gen, { functions: 120 });
const ROOTS: [string, string][] = [
  ['generated', gen],
  ...(haveRefdata() ? [['pciutils dumps', pciutilsTree()] as [string, string], ...HWLOC_TREES.map((n): [string, string] => [n, hwlocRoot(n)])] : []),
];

for (const view of VIEWS) {
  describe(`p2p ${view.name} with config on demand reads only registers its decoders read`, () => {
    for (const [name, root] of ROOTS) {
      it(name, (t) => {
        const r = runView(root, view);
        assert.deepEqual(r.stray, [], `every byte fetched${view.wholeHeader ? ' past the header' : ''} is one a decoder of the view reads`);
        assert.equal(r.onDemand, r.whole, 'the same output as from whole spaces');
        t.diagnostic(`${r.bytes} config bytes read on demand (${r.headerBytes} of headers), ${r.wholeBytes} whole`);
        // The hwloc trees were captured by non-root readers (64 bytes each): nothing to save there.
        if (r.pastHeaders) assert.ok(r.bytes < r.wholeBytes, 'fewer bytes than whole spaces');
        // lspci -tv reads 64 header bytes a function: a view that fetches the header on demand reads fewer.
        if (!view.wholeHeader && r.headers) assert.ok(r.headerBytes < 64 * r.headers, `${r.headerBytes} header bytes fetched, under 64 a function (${r.headers})`);
      });
    }
  });
}

describe('the per-view check catches a stray read', () => {
  it('topo given a header register it does not decode (the Command register) reads a byte topo never decodes', () => {
    const command: ConfigNeeds = (cfg) => {
      cfg.u16(0x04);
    };
    const r = runView(gen, VIEWS[0], command);
    assert.ok(r.stray.some((s) => / 0x4$/.test(s)), 'the header byte is reported');
    assert.equal(r.onDemand, r.whole, 'the output does not show it');
  });
  it('topo given a decoder it does not use (the full Express decode, not the summary) reads bytes topo never decodes', () => {
    const express: ConfigNeeds = (cfg) => {
      const c = findCapability(walkCapabilities(cfg), EXPRESS_CAP_ID);
      if (c) decodeExpress(cfg, c.offset);
    };
    const r = runView(gen, VIEWS[0], express);
    assert.ok(r.stray.length > 0, 'a stray read is reported');
    assert.equal(r.onDemand, r.whole, 'the output does not show it');
  });
});
