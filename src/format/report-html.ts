// `p2p report`: one self-contained HTML page (inline SVG, CSS, script and the report data as JSON), so a
// file handed to a colleague or a vendor opens in any browser with nothing fetched. The page's script
// only displays what the CLI computed (src/model/report.ts): it decides no verdict itself.
import type { ReportData } from '../model/report.js';

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#fff}
header{padding:10px 16px;background:#1d2330;color:#fff}header h1{font-size:18px;margin:0}header p{margin:2px 0 0;color:#c9d1e0;font-size:12px}
main{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:12px;padding:12px}
section{margin-bottom:16px}h2{font-size:15px;margin:6px 0;border-bottom:1px solid #d5dae3}
#diagram{overflow:auto;max-height:80vh;border:1px solid #d5dae3;border-radius:6px}
#diagram svg [data-bdf]{cursor:pointer}
#diagram.fit svg{width:100%;height:auto}
#fit{float:right;font:inherit;font-size:12px}
#diagram svg .hl>rect{stroke:#0b66d6!important;stroke-width:3!important}
#diagram svg .end>rect{stroke:#0b66d6!important;stroke-width:4!important;fill:#dcebff!important}
#diagram svg .link.hl path{stroke:#0b66d6!important}
#diagram svg .link.narrow path{stroke:#d6008f!important;stroke-dasharray:none!important}
#diagram svg .link.narrow text{fill:#d6008f!important;font-weight:bold}
#diagram svg .sel>rect{stroke:#ff9f1a!important;stroke-width:3!important}
aside{position:sticky;top:8px;align-self:start;max-height:96vh;overflow:auto}
.panel{border:1px solid #d5dae3;border-radius:6px;padding:8px 10px;margin-bottom:10px}
table.kv td{padding:1px 6px;vertical-align:top}table.kv td:first-child{color:#5a6478;white-space:nowrap}
select{max-width:100%;font:inherit}
.v{font-weight:bold;padding:2px 6px;border-radius:4px;display:inline-block}
.m-BUS_ADDR{background:#d3f1d8;color:#145c22}.m-THRU_HOST_BRIDGE{background:#fbeec4;color:#6e5200}.m-NOT_SUPPORTED{background:#f8d3cf;color:#8a1c12}.m-unknown{background:#eadff5;color:#5b2d86}
table.matrix{border-collapse:collapse;font-size:12px}table.matrix td,table.matrix th{border:1px solid #e1e5ec;padding:2px 4px;text-align:center}
table.matrix td{cursor:pointer;min-width:38px}table.matrix th{background:#f4f6fa;font-weight:normal;white-space:nowrap}
.finding{border-left:4px solid #ccc;padding:2px 8px;margin:4px 0}.finding.fail{border-color:#c0392b}.finding.warn{border-color:#e6a100}.finding.ok{border-color:#3c8d4a}.finding.skip{border-color:#aab2c0;color:#5a6478}
.finding ul{margin:2px 0;padding-left:18px}.muted{color:#5a6478}code,pre{font-family:ui-monospace,monospace;font-size:12px}
table.bench{border-collapse:collapse;font-size:12px}table.bench td,table.bench th{border:1px solid #e1e5ec;padding:2px 6px}
`;

const SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('p2p-data').textContent);
  var devs = new Map(data.topo.devices.map(function (d) { return [d.bdf, d]; }));
  var labels = new Map(data.matrix.devices.map(function (d) { return [d.bdf, d.label]; }));
  var svg = document.querySelector('#diagram svg');
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function name(bdf) { var d = devs.get(bdf); return (labels.get(bdf) || (d && d.alias) || bdf); }
  function mapClass(m) { return 'm-' + (m || 'unknown'); }
  function shapesFor(bdf) {
    var out = Array.prototype.slice.call(svg.querySelectorAll('[data-bdf="' + bdf + '"]'));
    svg.querySelectorAll('[data-folded]').forEach(function (g) { if (g.getAttribute('data-folded').split(' ').indexOf(bdf) >= 0) out.push(g); });
    return out;
  }
  function linkText(l) {
    if (!l) return 'none';
    if (!l.up) return 'down';
    return (l.speed === null ? '?' : l.speed) + ' GT/s x' + (l.width === null ? '?' : l.width) + (l.downtrained ? ' (downtrained; capable ' + l.maxSpeed + ' GT/s x' + l.maxWidth + ')' : '');
  }
  function showDetails(bdf) {
    var d = devs.get(bdf); if (!d) return;
    var t = el('table', { 'class': 'kv' });
    var rows = [['BDF', d.bdf], ['alias', d.alias], ['kind', d.kind], ['name', d.deviceName || d.className], ['vendor', d.vendorName],
      ['ids', (d.vendorId || '?') + ':' + (d.deviceId || '?')], ['driver', d.driver], ['kernel names', d.names.join(' ')],
      ['link', linkText(d.link)], ['MPS / MRRS', (d.mps || '?') + ' / ' + (d.mrrs || '?')], ['NUMA node', d.numaNode], ['IOMMU group', d.iommuGroup],
      ['ACS enabled', d.acs ? (d.acs.enabled ? d.acs.enabled.join(' ') || 'none' : 'unknown') : null], ['p2pmem', d.p2pmem ? JSON.stringify(d.p2pmem) : null],
      ['SR-IOV PF', d.physfn], ['parent', d.parent], ['children', d.children.length ? d.children.length + ' functions' : null],
      ['serial', data.serials ? data.serials[bdf] : null]];
    rows.forEach(function (r) { if (r[1] === null || r[1] === undefined || r[1] === '') return; var tr = el('tr'); tr.appendChild(el('td', {}, r[0])); tr.appendChild(el('td', {}, r[1])); t.appendChild(tr); });
    $('details').replaceChildren(t);
    svg.querySelectorAll('.sel').forEach(function (g) { g.classList.remove('sel'); });
    shapesFor(bdf).forEach(function (g) { g.classList.add('sel'); });
  }
  function clearPath() { svg.querySelectorAll('.hl,.end,.narrow').forEach(function (g) { g.classList.remove('hl', 'end', 'narrow'); }); }
  function showPair() {
    clearPath();
    var a = $('pick-a').value, b = $('pick-b').value, out = $('pair');
    if (!a || !b || a === b) { out.replaceChildren(el('p', { 'class': 'muted' }, 'Pick two different devices (or click them on the diagram, or a matrix cell).')); return; }
    var pair = data.matrix.pairs.find(function (p) { return p.client === a && p.provider === b; });
    var path = data.paths[a + '|' + b];
    var v = pair.p2pdma;
    var nodes = [el('p', {}, 'DMA from ' + name(a) + ' into ' + name(b) + ' memory:')];
    var verdict = el('span', { id: 'verdict', 'class': 'v ' + mapClass(v.mapType), 'data-map-type': v.mapType || '' }, v.verdict);
    nodes.push(verdict);
    nodes.push(el('p', {}, 'legend ' + (pair.legend || '?') + ': ' + pair.legendWhy));
    if (path) {
      nodes.push(el('p', {}, path.turn));
      if (path.narrowest) nodes.push(el('p', { id: 'narrowest' }, 'narrowest link ' + path.narrowest.link.replace('>', ' → ') + ': ' + path.narrowest.text));
      if (path.ceiling) nodes.push(el('p', { 'class': 'muted' }, 'ceiling ' + path.ceiling));
    }
    function list(title, items, id) { if (!items.length) return; nodes.push(el('h3', {}, title)); var ul = el('ul', { id: id }); items.forEach(function (i) { ul.appendChild(el('li', {}, i)); }); nodes.push(ul); }
    list('Reasons', v.reasons, 'reasons');
    list('Fixes', v.fixes.map(function (f) { return f.text + (f.tradeoff ? ' (cost: ' + f.tradeoff + ')' : ''); }), 'fixes');
    list('Notes', v.notes, 'notes');
    out.replaceChildren.apply(out, nodes);
    if (!path) return;
    path.hops.forEach(function (h) { shapesFor(h).forEach(function (g) { g.classList.add('hl'); }); });
    [a, b].forEach(function (h) { shapesFor(h).forEach(function (g) { g.classList.add('end'); }); });
    path.links.forEach(function (k) { var g = svg.querySelector('[data-link="' + k + '"]'); if (g) g.classList.add('hl'); });
    if (path.narrowest) { var n = svg.querySelector('[data-link="' + path.narrowest.link + '"]'); if (n) n.classList.add('narrow'); }
    var first = shapesFor(a)[0]; if (first && first.scrollIntoView) first.scrollIntoView({ block: 'nearest', inline: 'center' });
  }
  function pick(a, b) { $('pick-a').value = a; $('pick-b').value = b; showPair(); }
  function fillPickers() {
    ['pick-a', 'pick-b'].forEach(function (id) {
      var s = $(id); s.appendChild(el('option', { value: '' }, '—'));
      data.matrix.devices.forEach(function (d) { s.appendChild(el('option', { value: d.bdf }, d.label + '  ' + d.bdf + '  ' + d.kind)); });
      s.addEventListener('change', showPair);
    });
  }
  var nextPick = 'pick-a';
  svg.addEventListener('click', function (ev) {
    var g = ev.target.closest('[data-bdf],[data-folded]'); if (!g) return;
    var bdf = g.getAttribute('data-bdf') || g.getAttribute('data-folded').split(' ')[0];
    showDetails(bdf);
    if (!labels.has(bdf)) return;
    $(nextPick).value = bdf; nextPick = nextPick === 'pick-a' ? 'pick-b' : 'pick-a'; showPair();
  });
  function buildMatrix() {
    var t = el('table', { 'class': 'matrix', id: 'matrix' }), head = el('tr');
    head.appendChild(el('th', {}, 'client \\ provider'));
    data.matrix.devices.forEach(function (d) { head.appendChild(el('th', { title: d.bdf }, d.label)); });
    t.appendChild(head);
    var byKey = new Map(data.matrix.pairs.map(function (p) { return [p.client + '|' + p.provider, p]; }));
    data.matrix.devices.forEach(function (c) {
      var tr = el('tr'); tr.appendChild(el('th', { title: c.bdf }, c.label));
      data.matrix.devices.forEach(function (p) {
        var pr = byKey.get(c.bdf + '|' + p.bdf);
        var td = el('td', { 'class': c.bdf === p.bdf ? '' : mapClass(pr.p2pdma.mapType), title: c.label + ' → ' + p.label + ': ' + pr.p2pdma.verdict }, c.bdf === p.bdf ? 'X' : pr.legend);
        if (c.bdf !== p.bdf) td.addEventListener('click', function () { pick(c.bdf, p.bdf); });
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    $('matrix-box').replaceChildren(t);
  }
  function buildDoctor() {
    var box = $('doctor-box'), s = data.doctor.summary;
    box.appendChild(el('p', {}, Object.keys(s).map(function (k) { return k + ' ' + s[k]; }).join(' · ')));
    data.doctor.findings.forEach(function (f) {
      var d = el('div', { 'class': 'finding ' + f.status });
      d.appendChild(el('b', {}, f.status.toUpperCase() + ' ' + f.title)); d.appendChild(el('span', { 'class': 'muted' }, '  ' + f.id));
      var ul = el('ul'); f.evidence.forEach(function (e) { ul.appendChild(el('li', {}, e)); }); d.appendChild(ul);
      if (f.fix && f.fix.length) d.appendChild(el('pre', {}, 'fix: ' + f.fix.join('\n')));
      if (f.devices.length) { var p = el('p', { 'class': 'muted' }, 'devices: '); f.devices.forEach(function (b) { var a = el('a', { href: '#' }, b + ' '); a.addEventListener('click', function (e) { e.preventDefault(); showDetails(b); }); p.appendChild(a); }); d.appendChild(p); }
      box.appendChild(d);
    });
  }
  function buildBench() {
    var box = $('bench-box');
    if (!data.bench.length) { box.appendChild(el('p', { 'class': 'muted' }, 'No bench results (p2p report --bench RESULT.json adds them).')); return; }
    var cols = ['path', 'dest', 'engine', 'blockSize', 'queueDepth', 'gbPerSec', 'iops', 'ceilingShare', 'error'];
    data.bench.forEach(function (b) {
      box.appendChild(el('p', {}, b.source.spec + ' → ' + b.destination.label + ' (' + b.mode + ')' + (b.ok ? '' : ' FAILED') + (b.directSkipped ? ': direct skipped, ' + b.directSkipped : '')));
      var t = el('table', { 'class': 'bench' }), h = el('tr'); cols.forEach(function (c) { h.appendChild(el('th', {}, c)); }); t.appendChild(h);
      b.runs.forEach(function (r) { var tr = el('tr'); cols.forEach(function (c) { var x = r[c]; tr.appendChild(el('td', {}, typeof x === 'number' && !Number.isInteger(x) ? x.toFixed(2) : x)); }); t.appendChild(tr); });
      box.appendChild(t);
    });
  }
  $('fit').addEventListener('click', function () { $('diagram').classList.toggle('fit'); });
  fillPickers(); buildMatrix(); buildDoctor(); buildBench(); showPair();
  document.body.setAttribute('data-ready', '1');
})();
`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** JSON inside <script>: no "</script>" or "<!--" can end it early. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function renderReportHtml<T extends { source: { method: string; location: string }; devices: unknown[] }, D, B>(data: ReportData<T, D, B>, svg: string, generatedAt: string): string {
  const src = `${data.topo.source.method} ${data.topo.source.location}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>p2p report: ${esc(src)}</title><style>${CSS}</style></head>
<body>
<header><h1>p2p report</h1><p>${esc(src)} · ${data.topo.devices.length} PCI functions · written ${esc(generatedAt)}${data.serials ? ' · serial numbers included' : ' · serial numbers redacted'}</p></header>
<main><div>
<section><h2>Fabric <button id="fit" type="button">fit / actual size</button></h2><div id="diagram">${svg}</div></section>
<section><h2>Pairs (kernel P2PDMA verdict; cell text is the nvidia-smi legend)</h2>${data.matrixNote ? `<p class="muted">${esc(data.matrixNote)}</p>` : ''}<div id="matrix-box"></div></section>
<section><h2>Doctor</h2><div id="doctor-box"></div></section>
<section><h2>Bench</h2><div id="bench-box"></div></section>
</div><aside>
<div class="panel"><h2>Pair</h2><label>client <select id="pick-a"></select></label><br><label>provider <select id="pick-b"></select></label><div id="pair"></div></div>
<div class="panel"><h2>Device</h2><div id="details"><p class="muted">Click a device on the diagram.</p></div></div>
</aside></main>
<script type="application/json" id="p2p-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
