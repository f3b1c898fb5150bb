// `p2p topo` as text: the fabric tree, switches drawn as one unit, one line per function.
import type { Device, Fabric } from '../model/types.js';
import { buildTree, layoutTree, type TreeNode, type TreeRow } from '../model/tree.js';
import { compactLink, isDowntrained, isLinkDown } from '../model/link-math.js';
import { formatBytes } from '../model/units.js';
import { makeStyle, type Style } from './style.js';
import { mechanismText, shortName } from '../model/aliases.js';
import type { MemMechanism } from '../model/mem-mechanisms.js';
import { KIND_LABEL } from '../model/classify.js';

export interface TopoTextOptions {
  color: boolean;
  /** Device-memory mechanisms by BDF (model/mem-mechanisms.ts mechanismsByPci): one line each under the function. */
  memory?: ReadonlyMap<string, readonly MemMechanism[]>;
  /** Mechanisms with no PCI function (vivid, rxe, HMM test driver): listed after the tree. */
  memoryElsewhere?: readonly MemMechanism[];
  /** Show every function, including host-bridge internals; by default all are shown too (kept for symmetry with filters). */
  verbose?: boolean;
}

export function linkText(d: Device, s: Style): string {
  const l = d.link;
  if (!l) return '';
  if (isLinkDown(l)) return s.dim(`link down (capable ${compactLink(l.maxSpeed, l.maxWidth)})`);
  const cur = compactLink(l.speed, l.width);
  const down = isDowntrained(l);
  if (down) return s.warn(`${cur} ↓ (capable ${compactLink(l.maxSpeed, l.maxWidth)})`);
  return cur;
}

function deviceLine(d: Device, s: Style): string {
  const parts: string[] = [];
  if (d.alias) parts.push(s.alias(d.alias));
  parts.push(s.bdf(d.bdf));
  const kind = KIND_LABEL[d.kind];
  if (kind && d.kind !== 'switch-upstream') parts.push(s.kind(kind));
  parts.push(shortName(d));
  const facts: string[] = [];
  const link = linkText(d, s);
  if (link) facts.push(link);
  if (d.driver) facts.push(d.driver);
  if (d.numaNode !== null && d.numaNode >= 0) facts.push(`numa ${d.numaNode}`);
  if (d.iommuGroup !== null) facts.push(`iommu ${d.iommuGroup}`);
  if (d.acs?.enabled && d.acs.enabled.some((b) => b === 'ReqRedir' || b === 'CmpltRedir')) facts.push(s.warn('ACS redirect'));
  if (d.p2pmem) facts.push(s.ok(d.p2pmem.size !== null ? `p2pmem ${formatBytes(d.p2pmem.size)}` : 'p2pmem'));
  if (d.names.length) facts.push(d.names.filter((n) => n !== d.alias).join(' '));
  const tail = facts.filter(Boolean).join(s.dim(' · '));
  return parts.join(' ') + (tail ? '  ' + s.dim('[') + tail + s.dim(']') : '');
}

export function renderTopoText(f: Fabric, opts: TopoTextOptions): string {
  const s = makeStyle(opts.color);
  const out: string[] = [];
  const nHost = new Set(f.devices.map((d) => d.hostBridge)).size;
  out.push(s.heading(`PCIe fabric from ${f.source.method} ${f.source.location}: ${f.devices.length} functions under ${nHost} host bridge${nHost === 1 ? '' : 's'}`));
  const noConfig = f.devices.filter((d) => d.configBytes <= 64).length;
  if (f.source.method === 'nccl-xml') {
    out.push(s.warn('note: an NCCL topology XML holds the tree, IDs, link speed/width and NUMA nodes only: config space, ACS, AER, drivers and IOMMU are unknown'));
  } else if (noConfig > 0) {
    out.push(s.warn(`note: ${noConfig} of ${f.devices.length} functions show only ${noConfig === f.devices.length ? '' : 'up to '}64 bytes of config space (needs root): link control, ACS and AER are unknown for them`));
  }

  const tree = buildTree(f);
  for (const row of layoutTree(tree)) {
    const n = tree.nodes.get(row.id)!;
    out.push(row.prefix + nodeText(f, n, s));
    if (n.kind === 'device' && n.bdf) out.push(...memoryLines(row, opts.memory?.get(n.bdf), s));
  }
  if (opts.memoryElsewhere?.length) {
    out.push(s.heading('device memory with no PCI function'));
    for (const m of opts.memoryElsewhere) out.push('   ' + s.dim('▸ ') + mechanismText(m));
  }
  for (const w of f.warnings) out.push(s.warn(`warning: ${w}`));
  return out.join('\n') + '\n';
}

/** A function's device-memory mechanisms, one line each, drawn inside its branch (below it, above its children). */
function memoryLines(row: TreeRow, mechanisms: readonly MemMechanism[] | undefined, s: Style): string[] {
  if (!mechanisms?.length) return [];
  const rails = row.prefix.slice(0, row.prefix.length - row.connector.length) + (row.connector === '├─ ' ? '│  ' : '   ');
  const lead = rails + (row.hasChildren ? '│  ' : '   ') + s.dim('▸ ');
  return mechanisms.map((m) => lead + mechanismText(m));
}

/** One tree line's text after its prefix: a host bridge's heading, a switch, an empty port, or a function. */
function nodeText(f: Fabric, n: TreeNode, s: Style): string {
  if (n.kind === 'host-bridge') {
    const numa = [...new Set(n.children.map((c) => f.byBdf.get(c)?.numaNode).filter((x): x is number => x !== null && x !== undefined && x >= 0))];
    return s.heading(n.label ?? '') + (numa.length ? s.dim(`  numa ${numa.join(',')}`) : '');
  }
  const d = f.byBdf.get(n.bdf!)!;
  if (n.kind === 'port') return portHead(d, s) + s.dim(' (empty)');
  // A downstream port drawn on its single child's line, as lspci -t draws them.
  const port = n.port ? f.byBdf.get(n.port) : undefined;
  const lead = port ? portHead(port, s) + s.dim(' → ') : '';
  return lead + (n.kind === 'switch' ? s.kind('switch ') : '') + deviceLine(d, s);
}

/** "port 19:04.0 16GT/s x16", dimmed: a switch's downstream port. */
function portHead(p: Device, s: Style): string {
  const link = linkText(p, s);
  return s.dim(`port ${p.bdf.slice(5)}${link ? ' ' + link : ''}`);
}
