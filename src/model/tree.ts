// The fabric drawn as a tree, one home for `p2p topo`'s text and the TUI's tree pane: switches as one
// unit (an upstream port heads its downstream ports; a port with a single child shares its line, as
// lspci -t draws it), host bridges as headings, and the rows with their rails and connectors. Pure: the
// text view colours each row, the TUI adds folding, filtering and selection.
import type { Device, Fabric } from './types.js';

export type NodeKind = 'host-bridge' | 'switch' | 'device' | 'port';

/** One line of the fabric tree. */
export interface TreeNode {
  id: string;
  kind: NodeKind;
  /** The device this line selects (a port-and-child line selects the child); null for host-bridge headings. */
  bdf: string | null;
  /** A switch downstream port drawn on the same line as its single child ("port 19:04.0 → ..."). */
  port: string | null;
  /** For host-bridge headings: "pci0000:00". */
  label: string | null;
  parent: string | null;
  children: string[];
}

/** The tree as buildTree makes it. */
export interface FabricTree {
  nodes: Map<string, TreeNode>;
  roots: string[];
  /** The node whose line selects a device (a port drawn with its child maps to the child's). */
  nodeOfDevice: Map<string, string>;
}

/** One drawn line of the tree. */
export interface TreeRow {
  id: string;
  /** 0 for the top lines (host-bridge headings), 1 for what hangs from them, ... */
  depth: number;
  /** This line's connector: "├─ ", or "└─ " for a last child; "" at depth 0. */
  connector: string;
  /** What goes before the line's text: the ancestors' rails ("│  " or "   ") and the connector. */
  prefix: string;
  hasChildren: boolean;
  collapsed: boolean;
}

export interface LayoutOptions {
  /** Only these nodes are drawn (a filter's matches and their ancestors); all when absent. */
  keep?: ReadonlySet<string>;
  /** Nodes whose children are not drawn; none when absent. */
  collapsed?: Readonly<Record<string, true>>;
}

/** The rows of the tree, top to bottom, each with its drawing prefix. */
export function layoutTree(tree: Pick<FabricTree, 'nodes' | 'roots'>, opts: LayoutOptions = {}): TreeRow[] {
  const { keep, collapsed } = opts;
  const rows: TreeRow[] = [];
  const visit = (id: string, rails: string, last: boolean, depth: number) => {
    if (keep && !keep.has(id)) return;
    const n = tree.nodes.get(id)!;
    const kids = keep ? n.children.filter((c) => keep.has(c)) : n.children;
    const isCollapsed = collapsed?.[id] === true && kids.length > 0;
    const connector = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    rows.push({ id, depth, connector, prefix: rails + connector, hasChildren: kids.length > 0, collapsed: isCollapsed });
    if (isCollapsed) return;
    const childRails = depth === 0 ? '' : rails + (last ? '   ' : '│  ');
    kids.forEach((c, i) => visit(c, childRails, i === kids.length - 1, depth + 1));
  };
  tree.roots.forEach((r) => visit(r, '', true, 0));
  return rows;
}

/** The tree's nodes: host-bridge headings, then each root's subtree; functions no root reaches go under "(unattached)". */
export function buildTree(fabric: Fabric): FabricTree {
  const nodes = new Map<string, TreeNode>();
  const nodeOfDevice = new Map<string, string>();
  const roots: string[] = [];
  const add = (n: TreeNode) => {
    nodes.set(n.id, n);
    if (n.parent) nodes.get(n.parent)!.children.push(n.id);
    else roots.push(n.id);
    return n;
  };
  const dev = (bdf: string) => fabric.byBdf.get(bdf);

  const addDevice = (d: Device, parent: string | null, port: string | null): void => {
    if (nodeOfDevice.has(d.bdf)) return; // a malformed fabric with a cycle or a shared child
    if (d.kind === 'switch-upstream') {
      const sw = add({ id: d.bdf, kind: 'switch', bdf: d.bdf, port, label: null, parent, children: [] });
      nodeOfDevice.set(d.bdf, sw.id);
      for (const pb of d.children) {
        const p = dev(pb);
        if (!p) continue;
        const below = p.children.map(dev).filter((x): x is Device => !!x);
        if (p.kind === 'switch-downstream' && below.length === 1 && !nodeOfDevice.has(below[0].bdf)) {
          nodeOfDevice.set(p.bdf, `${below[0].bdf}`);
          addDevice(below[0], sw.id, p.bdf);
        } else if (p.kind === 'switch-downstream' && below.length === 0) {
          const n = add({ id: p.bdf, kind: 'port', bdf: p.bdf, port: null, label: null, parent: sw.id, children: [] });
          nodeOfDevice.set(p.bdf, n.id);
        } else {
          addDevice(p, sw.id, null);
        }
      }
      return;
    }
    const n = add({ id: d.bdf, kind: 'device', bdf: d.bdf, port, label: null, parent, children: [] });
    nodeOfDevice.set(d.bdf, n.id);
    for (const c of d.children) {
      const cd = dev(c);
      if (cd) addDevice(cd, n.id, null);
    }
  };

  const hostOrder: string[] = [];
  const byHost = new Map<string, Device[]>();
  for (const r of fabric.roots) {
    if (!byHost.has(r.hostBridge)) {
      byHost.set(r.hostBridge, []);
      hostOrder.push(r.hostBridge);
    }
    byHost.get(r.hostBridge)!.push(r);
  }
  for (const hb of hostOrder) {
    const id = `hb:${hb}`;
    add({ id, kind: 'host-bridge', bdf: null, port: null, label: hb, parent: null, children: [] });
    for (const r of byHost.get(hb)!.slice().sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0))) addDevice(r, id, null);
  }
  // Anything not reachable from a root (broken parent links) still gets a line.
  const orphans = fabric.devices.filter((d) => !nodeOfDevice.has(d.bdf));
  if (orphans.length) {
    const id = 'hb:(unattached)';
    add({ id, kind: 'host-bridge', bdf: null, port: null, label: '(unattached)', parent: null, children: [] });
    for (const d of orphans) addDevice(d, id, null);
  }
  return { nodes, roots, nodeOfDevice };
}
