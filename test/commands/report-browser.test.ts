// `p2p report` opened in a real headless Chromium (Debian's, driven by puppeteer-core): the page loads
// with no request leaving the file, every GPU/NVMe/NIC is on the diagram, picking a pair shows the
// verdict `p2p path A B --json` gives, the path is highlighted, and a screenshot is not blank.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { writeReport, type ReportOptions } from '../../src/commands/report.js';
import { runPath } from '../../src/commands/path.js';
import type { TopoJson } from '../../src/format/topo-json.js';
import type { ReportData } from '../../src/model/report.js';
import { haveRefdata, hwlocRoot, PCIUTILS_DUMPS } from '../helpers/refdata.js';
import { decodePng, distinctColours } from '../helpers/png.js';
import { generateFabric } from '../../bench/gen-fabric.js';

const CHROMIUM = process.env.P2P_CHROMIUM ?? '/usr/bin/chromium';
const noBrowser = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install -y chromium`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'p2p-report-'));
let browser: Browser | null = null;
after(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function launch(): Promise<Browser> {
  if (!browser) {
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
  }
  return browser;
}

function embedded(html: string): ReportData<TopoJson, unknown, unknown> {
  const m = /<script type="application\/json" id="p2p-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the report embeds its data');
  return JSON.parse(m[1]);
}

async function cliVerdict(opts: ReportOptions, a: string, b: string): Promise<string> {
  let out = '';
  await runPath({ root: opts.root, dump: opts.dump, a, b, json: true }, { out: (t) => (out += t), err: () => {}, isTTY: false, color: false, columns: 80 });
  return JSON.parse(out).verdict.verdict;
}

/** Lets the page load only `url` itself: every other request is aborted and listed. */
async function isolate(page: Page, url: string): Promise<string[]> {
  const outside: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url() === url) void r.continue();
    else {
      outside.push(r.url());
      void r.abort();
    }
  });
  return outside;
}

/** Writes the report, opens it, and checks the page against what the CLI says; returns the page, still open. */
async function checkReport(name: string, source: ReportOptions, shot = false): Promise<Page> {
  const output = path.join(tmp, `${name}.html`);
  await writeReport({ ...source, output });
  const html = fs.readFileSync(output, 'utf8');
  const data = embedded(html);
  const page = await (await launch()).newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const url = pathToFileURL(output).href;
  const outside = await isolate(page, url);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  assert.deepEqual(outside, [], 'no request leaves the file');
  assert.deepEqual(errors, [], 'the script runs without errors');

  const wanted = data.topo.devices.filter((d) => ['gpu', 'nvme', 'nic'].includes(d.kind) && !d.physfn).map((d) => d.bdf);
  const missing = await page.evaluate((bdfs: string[]) => {
    const svg = document.querySelector('#diagram svg')!;
    const folded = new Set([...svg.querySelectorAll('[data-folded]')].flatMap((g) => g.getAttribute('data-folded')!.split(' ')));
    return bdfs.filter((b) => !svg.querySelector(`[data-bdf="${b}"]`) && !folded.has(b));
  }, wanted);
  assert.deepEqual(missing, [], 'every GPU/NVMe/NIC on the diagram');

  const eps = data.matrix.devices.map((d) => d.bdf);
  const pairs = eps.length >= 2 ? [[eps[0], eps[eps.length - 1]], [eps[eps.length - 1], eps[0]], [eps[0], eps[1]]] : [];
  for (const [a, b] of pairs) {
    await page.select('#pick-a', a);
    await page.select('#pick-b', b);
    const shown = await page.$eval('#verdict', (e) => e.textContent);
    assert.equal(shown, await cliVerdict(source, a, b), `${a} -> ${b}`);
    const lit = await page.$$eval('#diagram svg .end', (l) => l.length);
    assert.ok(lit >= 2, `both ends highlighted (${lit})`);
  }
  if (pairs.length) {
    const links = await page.$$eval('#diagram svg .link.hl', (l) => l.length);
    const want = data.paths[`${pairs[2][0]}|${pairs[2][1]}`].links.length;
    assert.equal(links > 0, want > 0, `path links highlighted (${links} of ${want})`);
  }
  await page.click('#diagram svg [data-bdf]');
  assert.ok(((await page.$eval('#details', (e) => e.textContent)) ?? '').includes('BDF'), 'clicking a device shows its details');

  const png = await page.screenshot({ type: 'png' });
  // P2P_REPORT_SHOTS=DIR keeps the screenshots, to look at them.
  if (shot && process.env.P2P_REPORT_SHOTS) fs.writeFileSync(path.join(process.env.P2P_REPORT_SHOTS, `p2p-report-${name}.png`), png);
  const colours = distinctColours(decodePng(png));
  assert.ok(colours > 50, `screenshot has ${colours} colours`);
  return page;
}

test('report from a captured tree (refdata 32intel64-2p8co2t+8ve) in Chromium', { skip: noBrowser || (haveRefdata() ? false : 'no reference data') }, async () => {
  await (await checkReport('hwloc', { root: hwlocRoot('32intel64-2p8co2t+8ve') }, true)).close();
});

test('report from an lspci dump (pciutils PCI-X-bridges-and-domains) in Chromium', { skip: noBrowser || (haveRefdata() ? false : 'no reference data') }, async () => {
  // A bench result as `p2p bench --json` writes it (the fields the page shows), given with --bench.
  const bench = path.join(tmp, 'bench.json');
  fs.writeFileSync(bench, JSON.stringify({
    schema: 'p2p.bench/1', source: { spec: 'nvme0', path: '/dev/nvme0n1', kind: 'nvme', size: 1 << 30 }, destination: { spec: 'gpu0', label: 'GPU 0000:03:00.0' },
    mode: 'read', write: false, directSkipped: null, savings: null, sweep: null, ok: true,
    runs: [{ path: 'direct', dest: 'gpu0', engine: 'io_uring', blockSize: 1048576, queueDepth: 32, gbPerSec: 6.25, iops: 5960, ceilingShare: 0.79, error: null }],
  }));
  const page = await checkReport('dump', { dump: path.join(PCIUTILS_DUMPS, 'PCI-X-bridges-and-domains'), bench });
  const text = await page.$eval('#bench-box', (e) => e.textContent ?? '');
  assert.ok(text.includes('nvme0 → GPU 0000:03:00.0') && text.includes('io_uring') && text.includes('6.25'), text);
  await page.close();
});

test('report from a lab-like generated fabric (GPUs, NVMe, NICs with VFs behind switches) in Chromium', { skip: noBrowser }, async () => {
  const root = path.join(tmp, 'gen');
  generateFabric(root, { functions: 400 });
  await (await checkReport('gen', { root }, true)).close();
});

test('the no-request check sees a page that reaches out (so the checks above can fail)', { skip: noBrowser }, async () => {
  const file = path.join(tmp, 'leaky.html');
  fs.writeFileSync(file, '<!DOCTYPE html><img src="http://192.0.2.1/x.png"><link rel="stylesheet" href="https://example.invalid/a.css">');
  const page = await (await launch()).newPage();
  const url = pathToFileURL(file).href;
  const outside = await isolate(page, url);
  await page.goto(url, { waitUntil: 'load' });
  assert.deepEqual(outside.sort(), ['http://192.0.2.1/x.png', 'https://example.invalid/a.css']);
  await page.close();
});
