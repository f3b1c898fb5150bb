// The fabric as a layout graph for elkjs, built from the typed topo result (`fabricToJson`): NUMA nodes
// and host bridges as nested regions, switches as one box with a port per downstream port, endpoints as
// labelled boxes, one edge per link. Folds what would shrink the picture to dust: VFs into their PF,
// runs of identical endpoints under one parent into "+N more". Pure: no layout, no I/O.
import type { TopoDeviceJson, TopoJson } from './topo-json.js';
import { formatLink } from '../model/link-math.js';
import { KIND_LABEL } from '../model/classify.js';
import { shortName } from '../model/aliases.js';

/** Monospace metrics the SVG uses: boxes are sized from text before layout. */
export const FONT_PX = 11;
export const CHAR_PX = 6.7;
export const LINE_PX = 14;
const PAD = 6;
/** Identical siblings beyond this many fold into one "+N more" box. */
export const FOLD_KEEP = 3;
const FOLD_OVER = 4;
const NAME_CHARS = 34;

export interface ElkLabel { text: string; width: number; height: number; x?: number; y?: number }
export interface ElkPort { id: string; width: number; height: number; x?: number; y?: number; labels?: ElkLabel[]; layoutOptions?: Record<string, string> }
export interface ElkEdge { id: string; sources: string[]; targets: string[]; labels?: ElkLabel[]; sections?: { startPoint: Pt; endPoint: Pt; bendPoints?: Pt[] }[]; container?: string }
export interface ElkNode {
  id: string; width?: number; height?: number; x?: number; y?: number;
  children?: ElkNode[]; ports?: ElkPort[]; edges?: ElkEdge[]; labels?: ElkLabel[]; layoutOptions?: Record<string, string>;
}
export interface Pt { x: number; y: number }

export type LinkState = 'ok' | 'downtrained' | 'down' | 'internal' | 'unknown';

/** What the SVG draws for each layout element, keyed by the element's id. */
export interface NodeInfo {
  kind: 'region' | 'device' | 'switch' | 'fold' | 'complex';
  bdf: string | null;
  lines: string[];
  /** Extra classes: the device kind, acs, etc. */
  cls: string[];
  badges: { text: string; cls: string }[];
  /** BDFs a fold box stands for (its tooltip). */
  folded?: string[];
  title?: string;
}
export interface PortInfo { bdf: string; label: string; acsRedirect: boolean; iommuGroup: string | null }
export interface EdgeInfo { lower: string; upper: string; state: LinkState; width: number | null; text: string }

export interface Diagram {
  graph: ElkNode;
  nodes: Map<string, NodeInfo>;
  ports: Map<string, PortInfo>;
  edges: Map<string, EdgeInfo>;
}

const textWidth = (lines: string[]) => Math.ceil(Math.max(8, ...lines.map((l) => l.length)) * CHAR_PX) + 2 * PAD;
const label = (text: string): ElkLabel => ({ text, width: Math.ceil(text.length * CHAR_PX) + 4, height: LINE_PX });

export function acsRedirect(d: TopoDeviceJson): boolean {
  return !!d.acs?.enabled?.some((b) => b === 'ReqRedir' || b === 'CmpltRedir');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/** The link between a device and the port above it, as the SVG draws it (either end's registers). */
export function linkInfo(child: TopoDeviceJson, parent: TopoDeviceJson | null): EdgeInfo {
  const base = { lower: child.bdf, upper: parent?.bdf ?? child.hostBridge };
  if (child.kind === 'root-port' || parent === null) return { ...base, state: 'internal', width: null, text: '' };
  const known = (l: TopoDeviceJson['link']) => l && (l.width !== null || l.maxWidth !== null) ? l : null;
  const l = known(child.link) ?? known(parent.link);
  if (!l) return { ...base, state: 'unknown', width: null, text: 'link ?' };
  if (!l.up) return { ...base, state: 'down', width: null, text: `down (cap ${formatLink(l.maxSpeed, l.maxWidth)})` };
  const cur = formatLink(l.speed ?? l.maxSpeed, l.width ?? l.maxWidth);
  if (l.downtrained) return { ...base, state: 'downtrained', width: l.width, text: `${cur} ↓ cap ${formatLink(l.maxSpeed, l.maxWidth)}` };
  return { ...base, state: 'ok', width: l.width ?? l.maxWidth, text: cur };
}

class Builder {
  readonly nodes = new Map<string, NodeInfo>();
  readonly ports = new Map<string, PortInfo>();
  readonly edges = new Map<string, EdgeInfo>();
  readonly byBdf: Map<string, TopoDeviceJson>;
  readonly vfs = new Map<string, number>();

  constructor(readonly topo: TopoJson) {
    this.byBdf = new Map(topo.devices.map((d) => [d.bdf, d]));
    for (const d of topo.devices) if (d.physfn) this.vfs.set(d.physfn, (this.vfs.get(d.physfn) ?? 0) + 1);
  }

  /** Children drawn under a device: VFs dropped (their PF carries a count). */
  kids(d: TopoDeviceJson): TopoDeviceJson[] {
    return d.children.map((b) => this.byBdf.get(b)!).filter((c) => c && !c.physfn);
  }

  deviceNode(d: TopoDeviceJson): ElkNode {
    const kind = KIND_LABEL[d.kind] || d.kind;
    const head = [d.alias, kind].filter(Boolean).join(' · ');
    const lines = [head, d.bdf, truncate(shortName(d), NAME_CHARS)];
    const facts = [d.driver, d.names.filter((n) => n !== d.alias).join(' ')].filter(Boolean).join(' ');
    if (facts) lines.push(truncate(facts, NAME_CHARS));
    const badges: NodeInfo['badges'] = [];
    if (d.iommuGroup !== null) badges.push({ text: `iommu ${d.iommuGroup}`, cls: 'iommu' });
    if (acsRedirect(d)) badges.push({ text: 'ACS redirect', cls: 'acs' });
    const vfs = this.vfs.get(d.bdf);
    if (vfs) badges.push({ text: `+${vfs} VF${vfs === 1 ? '' : 's'}`, cls: 'vf' });
    if (d.p2pmem) badges.push({ text: 'p2pmem', cls: 'p2pmem' });
    const id = `d:${d.bdf}`;
    const isSwitch = d.kind === 'switch-upstream';
    this.nodes.set(id, { kind: isSwitch ? 'switch' : 'device', bdf: d.bdf, lines: isSwitch ? [`switch ${d.bdf}`, truncate(shortName(d), NAME_CHARS)] : lines, cls: [`k-${d.kind}`], badges, title: `${d.bdf} ${shortName(d)}` });
    const info = this.nodes.get(id)!;
    const badgeLine = badges.map((b) => b.text).join('  ');
    const width = Math.max(textWidth(info.lines), textWidth([badgeLine]));
    const height = (info.lines.length + (badges.length ? 1 : 0)) * LINE_PX + 2 * PAD;
    const node: ElkNode = { id, width, height, layoutOptions: {} };
    if (isSwitch) this.switchPorts(d, node);
    return node;
  }

  /** A switch's downstream ports become ELK ports on the box's lower side. */
  switchPorts(sw: TopoDeviceJson, node: ElkNode): void {
    node.ports = this.kids(sw).map((p) => {
      const id = `p:${p.bdf}`;
      const redirect = acsRedirect(p);
      const text = p.bdf.slice(5) + (redirect ? ' ACS' : '');
      this.ports.set(id, { bdf: p.bdf, label: text, acsRedirect: redirect, iommuGroup: p.iommuGroup });
      return { id, width: 10, height: 10, labels: [label(text)], layoutOptions: { 'elk.port.side': 'SOUTH' } };
    });
    const gap = Math.max(0, ...node.ports.map((p) => p.labels![0].width)) + 6;
    node.width = Math.max(node.width ?? 0, node.ports.length * (gap + 10) + 20);
    node.layoutOptions = { 'elk.portConstraints': 'FIXED_SIDE', 'elk.portLabels.placement': 'OUTSIDE', 'elk.spacing.portPort': String(gap) };
  }

  /** Everything under one device (or port) into `region`, with an edge from `from` (a node or port id). */
  subtree(d: TopoDeviceJson, parent: TopoDeviceJson | null, from: string, region: ElkNode): void {
    const node = this.deviceNode(d);
    region.children!.push(node);
    this.edge(d, parent, from, node.id, region);
    if (d.kind === 'switch-upstream') {
      for (const port of this.kids(d)) this.placeChildren(this.kids(port), port, `p:${port.bdf}`, region);
    } else {
      this.placeChildren(this.kids(d), d, node.id, region);
    }
  }

  edge(child: TopoDeviceJson, parent: TopoDeviceJson | null, from: string, to: string, region: ElkNode): void {
    const info = linkInfo(child, parent);
    const id = `e:${child.bdf}`;
    this.edges.set(id, info);
    region.edges!.push({ id, sources: [from], targets: [to], labels: info.text ? [label(info.text)] : [] });
  }

  /** Children of one parent: identical leaf endpoints beyond FOLD_OVER, and many minor functions, fold. */
  placeChildren(kids: TopoDeviceJson[], parent: TopoDeviceJson | null, from: string, region: ElkNode): void {
    const groups = new Map<string, TopoDeviceJson[]>();
    for (const k of kids) {
      const leaf = this.kids(k).length === 0 && k.kind !== 'switch-upstream';
      const key = leaf ? `${k.kind}|${k.vendorId}|${k.deviceId}` : `tree|${k.bdf}`;
      groups.set(key, [...(groups.get(key) ?? []), k]);
    }
    const minor = [...groups.values()].filter((g) => g.length <= FOLD_OVER && g.every((k) => isMinor(k) && this.kids(k).length === 0)).flat();
    const foldMinor = minor.length > FOLD_OVER + 2;
    for (const g of groups.values()) {
      if (foldMinor && g.every((k) => minor.includes(k))) continue;
      const shown = g.length > FOLD_OVER ? g.slice(0, FOLD_KEEP) : g;
      for (const k of shown) this.subtree(k, parent, from, region);
      if (g.length > shown.length) this.fold(g.slice(shown.length), `+${g.length - shown.length} more ${KIND_LABEL[g[0].kind] || 'function'}s`, truncate(shortName(g[0]), NAME_CHARS), parent, from, region);
    }
    if (foldMinor) this.fold(minor, `+${minor.length} other functions`, minor.slice(0, 3).map((m) => m.bdf.slice(5)).join(' ') + ' …', parent, from, region);
  }

  fold(hidden: TopoDeviceJson[], head: string, sub: string, parent: TopoDeviceJson | null, from: string, region: ElkNode): void {
    const id = `f:${hidden[0].bdf}`;
    const lines = [head, sub];
    this.nodes.set(id, { kind: 'fold', bdf: null, lines, cls: [`k-${hidden[0].kind}`], badges: [], folded: hidden.map((h) => h.bdf), title: hidden.map((h) => h.bdf).join(' ') });
    region.children!.push({ id, width: textWidth(lines), height: lines.length * LINE_PX + 2 * PAD });
    this.edge(hidden[0], parent, from, id, region);
  }
}

/** Functions that matter little to P2P: integrated chipset functions, host-bridge functions, plain endpoints. */
function isMinor(d: TopoDeviceJson): boolean {
  return d.kind === 'endpoint' || d.kind === 'host-bridge' || d.kind === 'storage' || d.kind === 'bridge';
}

function regionNode(id: string, title: string, info: Omit<NodeInfo, 'lines' | 'kind' | 'bdf' | 'badges'>, nodes: Map<string, NodeInfo>, direction: string): ElkNode {
  nodes.set(id, { kind: 'region', bdf: null, lines: [title], badges: [], ...info });
  return {
    id, children: [], edges: [], labels: [label(title)],
    layoutOptions: {
      'elk.algorithm': 'layered', 'elk.direction': direction, 'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT',
      'elk.padding': `[top=${LINE_PX + 2 * PAD},left=${PAD * 2},bottom=${PAD * 2},right=${PAD * 2}]`,
      'elk.layered.spacing.nodeNodeBetweenLayers': '46', 'elk.spacing.nodeNode': '18', 'elk.spacing.edgeLabel': '3',
      'elk.edgeLabels.placement': 'CENTER', 'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
  };
}

/** Host bridges grouped by the NUMA node their functions report (one "numa ?" group when unknown). */
function hostBridgesByNuma(topo: TopoJson): Map<string, Map<string, TopoDeviceJson[]>> {
  const out = new Map<string, Map<string, TopoDeviceJson[]>>();
  const roots = topo.devices.filter((d) => d.parent === null && !d.physfn);
  const numaOf = new Map<string, number>();
  for (const d of topo.devices) if (d.numaNode !== null && d.numaNode >= 0 && !numaOf.has(d.hostBridge)) numaOf.set(d.hostBridge, d.numaNode);
  for (const r of roots) {
    const n = numaOf.get(r.hostBridge);
    const key = n === undefined ? '?' : String(n);
    const hbs = out.get(key) ?? new Map<string, TopoDeviceJson[]>();
    hbs.set(r.hostBridge, [...(hbs.get(r.hostBridge) ?? []), r]);
    out.set(key, hbs);
  }
  return out;
}

export function buildDiagram(topo: TopoJson): Diagram {
  const b = new Builder(topo);
  const graph: ElkNode = {
    id: 'root', children: [],
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '24', 'elk.padding': '[top=10,left=10,bottom=10,right=10]' },
  };
  for (const [numa, hbs] of [...hostBridgesByNuma(topo)].sort()) {
    const numaRegion = regionNode(`n:${numa}`, numa === '?' ? 'NUMA node unknown' : `NUMA node ${numa}`, { cls: ['numa'] }, b.nodes, 'DOWN');
    graph.children!.push(numaRegion);
    for (const [hb, roots] of hbs) {
      const region = regionNode(`h:${hb}`, `host bridge ${hb}`, { cls: ['hostbridge'] }, b.nodes, 'DOWN');
      numaRegion.children!.push(region);
      const rc = `c:${hb}`;
      b.nodes.set(rc, { kind: 'complex', bdf: null, lines: ['root complex'], cls: ['complex'], badges: [] });
      region.children!.push({ id: rc, width: textWidth(['root complex']), height: LINE_PX + 2 * PAD });
      b.placeChildren(roots, null, rc, region);
    }
  }
  return { graph, nodes: b.nodes, ports: b.ports, edges: b.edges };
}
