// The fabric tree's one layout (model/tree.ts), which topo's text and the TUI's tree both draw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTree, layoutTree } from '../../src/model/tree.js';
import { labFabric } from '../helpers/p2p-fabric.js';

test('layoutTree: headings at depth 0, rails and connectors from the ancestors, folding and filtering', () => {
  const tree = buildTree(labFabric());
  const rows = layoutTree(tree);
  assert.equal(rows.length, tree.nodes.size);
  for (const r of rows) {
    const n = tree.nodes.get(r.id)!;
    assert.equal(r.depth === 0, n.kind === 'host-bridge', r.id);
    assert.equal(r.prefix.endsWith(r.connector), true);
    assert.equal(r.prefix.length, r.depth === 0 ? 0 : 3 * r.depth);
    const siblings = n.parent ? tree.nodes.get(n.parent)!.children : tree.roots;
    if (r.depth > 0) assert.equal(r.connector, siblings.at(-1) === r.id ? '└─ ' : '├─ ');
    assert.equal(r.hasChildren, n.children.length > 0);
  }
  // A row below a last child has blank rails where its ancestor was last, "│  " where it was not.
  const deep = rows.find((r) => r.depth >= 3)!;
  assert.ok(deep, 'the lab fabric is at least three levels deep');
  assert.match(deep.prefix, /^(│ {2}| {3})+[├└]─ $/);

  const top = rows.find((r) => r.depth === 1 && r.hasChildren)!;
  const folded = layoutTree(tree, { collapsed: { [top.id]: true } });
  assert.equal(folded.find((r) => r.id === top.id)!.collapsed, true);
  assert.ok(folded.length < rows.length);
  assert.ok(!folded.some((r) => tree.nodes.get(r.id)!.parent === top.id));

  const keep = new Set([tree.roots[0], top.id]);
  const kept = layoutTree(tree, { keep });
  assert.deepEqual(kept.map((r) => r.id), [tree.roots[0], top.id]);
  assert.equal(kept[1].connector, '└─ ');
  assert.equal(kept[1].hasChildren, false);
});
