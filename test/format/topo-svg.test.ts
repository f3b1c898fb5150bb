// `p2p topo --svg`: the SVG is well-formed XML and holds every function (drawn, or named by a fold) and
// every link, with link state, ACS redirect, IOMMU groups and VF counts, on synthetic and real fabrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fabricToJson, type TopoJson } from '../../src/format/topo-json.js';
import { renderTopoSvg } from '../../src/format/topo-svg.js';
import { labFabric, IOMMU_ACS } from '../helpers/p2p-fabric.js';
import { haveRefdata, hwlocRoot } from '../helpers/refdata.js';
import { openSource } from '../../src/access/source.js';
import { FILL_NONE } from '../../src/model/raw.js';
import { generateFabric } from '../../bench/gen-fabric.js';

interface Seen { bdfs: Set<string>; folded: Set<string>; links: Map<string, string>; texts: string[] }

/** Parses the SVG as XML and collects what it draws: data-bdf, data-folded, data-link (with its class), text. */
export function parseSvg(svg: string): Seen {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, JSON.stringify(valid));
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true }).parse(svg) as unknown[];
  const seen: Seen = { bdfs: new Set(), folded: new Set(), links: new Map(), texts: [] };
  const walk = (nodes: unknown[]) => {
    for (const n of nodes as Record<string, unknown>[]) {
      const attrs = (n[':@'] ?? {}) as Record<string, string>;
      if (attrs['@data-bdf']) seen.bdfs.add(attrs['@data-bdf']);
      if (attrs['@data-folded']) for (const b of attrs['@data-folded'].split(' ')) seen.folded.add(b);
      if (attrs['@data-link']) seen.links.set(attrs['@data-link'], attrs['@class']);
      for (const [k, v] of Object.entries(n)) {
        if (k === '#text') seen.texts.push(String(v));
        else if (k !== ':@' && Array.isArray(v)) walk(v);
      }
    }
  };
  walk(doc);
  return seen;
}

/** Every function but a VF is drawn or folded; every drawn non-port function has its link from its parent. */
function assertComplete(topo: TopoJson, seen: Seen): void {
  for (const d of topo.devices) {
    if (d.physfn) {
      assert.ok(!seen.bdfs.has(d.bdf), `VF ${d.bdf} is folded into its PF`);
      continue;
    }
    assert.ok(seen.bdfs.has(d.bdf) || seen.folded.has(d.bdf), `${d.bdf} on the diagram`);
    if (d.kind === 'switch-downstream' || !seen.bdfs.has(d.bdf)) continue;
    assert.ok(seen.links.has(`${d.parent ?? d.hostBridge}>${d.bdf}`), `link above ${d.bdf}`);
  }
}

test('the lab fabric: every function and link, ACS redirect and IOMMU groups shown, a downtrained link marked', async () => {
  const f = labFabric({ rootPortAcs: IOMMU_ACS });
  f.byBdf.get('0000:05:00.0')!.link = { speed: 2.5, width: 1, maxSpeed: 8, maxWidth: 4 };
  const topo = fabricToJson(f);
  const svg = await renderTopoSvg(topo);
  const seen = parseSvg(svg);
  assertComplete(topo, seen);
  assert.match(seen.links.get('0000:00:02.0>0000:05:00.0') ?? '', /downtrained/);
  assert.match(seen.links.get('0000:02:00.0>0000:03:00.0') ?? '', /\bok\b/);
  assert.ok(seen.texts.some((t) => t.includes('2.5 GT/s x1') && t.includes('cap 8 GT/s x4')), 'downtrained link text');
  assert.ok(seen.texts.includes('ACS redirect'), 'ACS badge');
  assert.ok(seen.texts.includes('iommu 2'), 'IOMMU group badge');
  assert.ok(seen.texts.some((t) => t.includes('nvme0')), 'alias');
});

test('a 2,000-function fabric: VFs fold into their PF, the picture stays small', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-svg-'));
  try {
    generateFabric(dir, { functions: 2000 });
    const topo = fabricToJson(await openSource({ root: dir }).fabric(FILL_NONE));
    assert.equal(topo.devices.length, 2000);
    const svg = await renderTopoSvg(topo);
    const seen = parseSvg(svg);
    assertComplete(topo, seen);
    assert.ok(seen.texts.some((t) => /^\+\d+ VFs$/.test(t)), 'VF count badge');
    assert.ok(seen.bdfs.size < 200, `${seen.bdfs.size} boxes drawn`);
    assert.ok(svg.length < 400_000, `${svg.length} bytes`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

for (const name of ['32intel64-2p8co2t+8ve', 'nvidiagpunumanodes']) {
  test(`refdata ${name}: every function and link on the diagram`, { skip: haveRefdata() ? false : 'no reference data' }, async () => {
    const topo = fabricToJson(await openSource({ root: hwlocRoot(name) }).fabric(FILL_NONE));
    assertComplete(topo, parseSvg(await renderTopoSvg(topo)));
  });
}
