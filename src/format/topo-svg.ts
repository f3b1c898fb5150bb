// `p2p topo --svg`: the diagram graph (topo-diagram.ts) laid out by elkjs and drawn as one SVG. elkjs
// (the JS port of Eclipse ELK: layered layout with ports and compound nodes) is loaded only here, when
// a picture is asked for, so `p2p --help` and `p2p topo --json` never pay for it.
import { createRequire } from 'node:module';
import { buildDiagram, FONT_PX, LINE_PX, type Diagram, type EdgeInfo, type ElkEdge, type ElkNode, type Pt } from './topo-diagram.js';
import type { TopoJson } from './topo-json.js';

interface Elk { layout(g: ElkNode): Promise<ElkNode> }

/** elkjs's bundled build runs its layout in this thread (no worker). */
function loadElk(): Elk {
  const req = createRequire(import.meta.url);
  const ELK = req('elkjs/lib/elk.bundled.js') as new () => Elk;
  return new ELK();
}

export const SVG_CSS = `
.p2p-topo text{font-family:ui-monospace,DejaVu Sans Mono,monospace;font-size:${FONT_PX}px;fill:#1d2330}
.p2p-topo .region>rect{fill:#f4f6fa;stroke:#9aa5b8;stroke-width:1}
.p2p-topo .region.numa>rect{fill:#eef1f6;stroke-dasharray:5 3}
.p2p-topo .region>text{font-weight:bold;fill:#4a5468}
.p2p-topo .node>rect{fill:#fff;stroke:#6b778c;stroke-width:1.2;rx:4}
.p2p-topo .node.k-gpu>rect{fill:#e7f6e9;stroke:#3c8d4a}
.p2p-topo .node.k-nvme>rect{fill:#e8f0fc;stroke:#3a6fc4}
.p2p-topo .node.k-nic>rect{fill:#fdf1e3;stroke:#c27a22}
.p2p-topo .node.k-accelerator>rect{fill:#f3e9fb;stroke:#8a4fc1}
.p2p-topo .node.k-capture>rect{fill:#fdeef4;stroke:#b8477a}
.p2p-topo .node.switch>rect{fill:#e9ecf2;stroke:#39445a;stroke-width:1.6}
.p2p-topo .node.fold>rect{fill:#fafafa;stroke-dasharray:4 2}
.p2p-topo .node.complex>rect{fill:#dde3ec}
.p2p-topo .node .head{font-weight:bold}
.p2p-topo .badge rect{stroke:none;rx:3}
.p2p-topo .badge text{font-size:${FONT_PX - 1}px}
.p2p-topo .badge.iommu rect{fill:#e4e7ee}
.p2p-topo .badge.acs rect{fill:#f8d3cf}.p2p-topo .badge.acs text{fill:#a0271c}
.p2p-topo .badge.vf rect{fill:#fcefd2}
.p2p-topo .badge.p2pmem rect{fill:#d8f0dc}
.p2p-topo .port rect{fill:#39445a}
.p2p-topo .port.acs rect{fill:#c0392b}
.p2p-topo .port text{font-size:${FONT_PX - 1}px}
.p2p-topo .port.acs text{fill:#a0271c;font-weight:bold}
.p2p-topo .link path{fill:none;stroke:#5a6478}
.p2p-topo .link.downtrained path{stroke:#e67e22;stroke-dasharray:7 3}
.p2p-topo .link.down path{stroke:#c0392b;stroke-dasharray:2 3}
.p2p-topo .link.internal path{stroke:#aab2c0;stroke-dasharray:1 3}
.p2p-topo .link.unknown path{stroke:#aab2c0;stroke-dasharray:4 4}
.p2p-topo .link text{fill:#3d4556;font-size:${FONT_PX - 1}px}
.p2p-topo .link.downtrained text{fill:#b35c0c}.p2p-topo .link.down text{fill:#a0271c}
`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Stroke width from lane count: x1 1px ... x16 5.8px, so wider links read thicker. */
export function strokeFor(width: number | null): number {
  return width && width > 0 ? +(1 + 1.2 * Math.log2(width)).toFixed(1) : 1;
}

function drawNode(n: ElkNode, d: Diagram, ox: number, oy: number, out: string[]): void {
  const info = d.nodes.get(n.id);
  const x = ox + (n.x ?? 0);
  const y = oy + (n.y ?? 0);
  if (!info) return;
  if (info.kind === 'region') {
    out.push(`<g class="region ${info.cls.join(' ')}" data-region="${esc(n.id.slice(2))}"><rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="6"/><text x="${x + 8}" y="${y + LINE_PX + 1}">${esc(info.lines[0])}</text></g>`);
    for (const e of n.edges ?? []) drawEdge(e, d, x, y, out);
    for (const c of n.children ?? []) drawNode(c, d, x, y, out);
    return;
  }
  const attrs = info.bdf ? ` data-bdf="${esc(info.bdf)}"` : info.folded ? ` data-folded="${esc(info.folded.join(' '))}"` : '';
  out.push(`<g class="node ${info.kind} ${info.cls.join(' ')}"${attrs}>`);
  if (info.title) out.push(`<title>${esc(info.title)}</title>`);
  out.push(`<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}"/>`);
  info.lines.forEach((l, i) => out.push(`<text x="${x + 6}" y="${y + 6 + (i + 1) * LINE_PX - 3}"${i === 0 ? ' class="head"' : ''}>${esc(l)}</text>`));
  let bx = x + 6;
  const by = y + 6 + info.lines.length * LINE_PX + 1;
  for (const b of info.badges) {
    const w = Math.ceil(b.text.length * 6.1) + 6;
    out.push(`<g class="badge ${b.cls}"><rect x="${bx}" y="${by}" width="${w}" height="${LINE_PX - 1}"/><text x="${bx + 3}" y="${by + LINE_PX - 4}">${esc(b.text)}</text></g>`);
    bx += w + 4;
  }
  for (const p of n.ports ?? []) {
    const pi = d.ports.get(p.id)!;
    const px = x + (p.x ?? 0);
    const py = y + (p.y ?? 0);
    const lab = p.labels?.[0];
    out.push(`<g class="port${pi.acsRedirect ? ' acs' : ''}" data-bdf="${esc(pi.bdf)}"><title>${esc(`port ${pi.bdf}${pi.iommuGroup !== null ? ` iommu ${pi.iommuGroup}` : ''}${pi.acsRedirect ? ' ACS redirect on' : ''}`)}</title><rect x="${px}" y="${py}" width="${p.width}" height="${p.height}"/>` +
      (lab ? `<text x="${px + (lab.x ?? 0) + 2}" y="${py + (lab.y ?? 0) + LINE_PX - 3}">${esc(lab.text)}</text>` : '') + '</g>');
  }
  out.push('</g>');
}

function pathD(e: ElkEdge, ox: number, oy: number): string {
  const pts: Pt[] = [];
  for (const s of e.sections ?? []) pts.push(s.startPoint, ...(s.bendPoints ?? []), s.endPoint);
  return pts.map((p, i) => `${i ? 'L' : 'M'}${(ox + p.x).toFixed(1)} ${(oy + p.y).toFixed(1)}`).join(' ');
}

function drawEdge(e: ElkEdge, d: Diagram, ox: number, oy: number, out: string[]): void {
  const info: EdgeInfo = d.edges.get(e.id)!;
  const lab = e.labels?.[0];
  out.push(`<g class="link ${info.state}" data-link="${esc(info.upper)}>${esc(info.lower)}"><title>${esc(`${info.upper} → ${info.lower}${info.text ? ': ' + info.text : ''}`)}</title>` +
    `<path d="${pathD(e, ox, oy)}" stroke-width="${strokeFor(info.width)}"/>` +
    (lab && lab.x !== undefined ? `<text x="${(ox + lab.x + 2).toFixed(1)}" y="${(oy + (lab.y ?? 0) + LINE_PX - 3).toFixed(1)}">${esc(lab.text)}</text>` : '') + '</g>');
}

/** The laid-out diagram as SVG markup (no XML declaration, so it can be inlined in HTML too). */
export function renderLaidOut(laid: ElkNode, d: Diagram, title: string): string {
  const w = Math.ceil(laid.width ?? 100);
  const h = Math.ceil(laid.height ?? 100) + 24;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="p2p-topo" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  out.push(`<style>${SVG_CSS}</style>`);
  out.push(`<text x="10" y="16" class="title" font-weight="bold">${esc(title)}</text>`);
  for (const c of laid.children ?? []) drawNode(c, d, 0, 24, out);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export async function renderTopoSvg(topo: TopoJson): Promise<string> {
  const d = buildDiagram(topo);
  const laid = await loadElk().layout(d.graph);
  const n = topo.devices.length;
  return renderLaidOut(laid, d, `PCIe fabric from ${topo.source.method} ${topo.source.location}: ${n} function${n === 1 ? '' : 's'}`);
}
