// Parse `lspci -t` / `lspci -tv` output into parent links: BDF -> upstream bridge BDF (null on a root bus).
//
// lspci draws each root bus as "-[dddd:bb]-" and each function as "dd.f"; a bridge continues with
// "-[sec-sub]-" and its first child on the same line. Later children start on their own lines, with
// their branch mark ("+" or "\") in the same column as the first child's. So a column -> parent map
// is enough: a function that opens a line belongs to whoever owns the column of its branch mark.
// With -v a leaf is followed by its name, which is never parsed.

export interface TreeNode {
  bdf: string;
  parent: string | null;
  /** Secondary bus for bridges (from "-[sec-sub]"), else null. */
  secondaryBus: number | null;
}

interface Owner {
  domain: string;
  bus: string;
  bdf: string | null; // null: a root bus
}

const ROOT_RE = /\[([0-9a-f]{4}):([0-9a-f]{2})\]/y;
const DEV_RE = /([0-9a-f]{2})\.([0-7])(?:-\[([0-9a-f]{2})(?:-[0-9a-f]{2})?\])?/y;

export function parseLspciTree(text: string): TreeNode[] {
  const nodes: TreeNode[] = [];
  /** Column of a branch mark -> the bus whose children hang there. */
  const columns = new Map<number, Owner>();
  for (const line of text.split('\n')) {
    let pos = 0;
    let owner: Owner | null = null; // the bridge or root bus just before, on this line
    for (;;) {
      // Tree drawing before the next token; at the start of a line also indentation and "|".
      const skip = owner === null ? /[ |+\\-]*/y : /[+\\-]*/y;
      skip.lastIndex = pos;
      skip.exec(line);
      pos = skip.lastIndex;
      if (pos >= line.length) break;

      ROOT_RE.lastIndex = pos;
      const root = ROOT_RE.exec(line);
      if (root) {
        owner = { domain: root[1]!, bus: root[2]!, bdf: null };
        pos = ROOT_RE.lastIndex;
        continue;
      }
      DEV_RE.lastIndex = pos;
      const dev = DEV_RE.exec(line);
      if (!dev) break; // a name (lspci -tv) or anything else: the rest of the line is not tree
      const branchCol = pos - 2;
      let parent: Owner | undefined;
      if (owner) {
        parent = owner;
        columns.set(branchCol, owner);
      } else {
        parent = columns.get(branchCol);
      }
      if (!parent) throw new Error(`lspci tree: cannot tell the parent of "${dev[0]}" at column ${pos} in: ${line}`);
      const bdf: string = `${parent.domain}:${parent.bus}:${dev[1]}.${dev[2]}`;
      const sec = dev[3];
      nodes.push({ bdf, parent: parent.bdf, secondaryBus: sec ? Number.parseInt(sec, 16) : null });
      pos = DEV_RE.lastIndex;
      if (!sec) break; // a leaf: what follows is its name
      owner = { domain: parent.domain, bus: sec, bdf };
    }
  }
  return nodes;
}

/** BDF -> parent BDF (null for functions on a root bus). */
export function parentMap(nodes: TreeNode[]): Map<string, string | null> {
  return new Map(nodes.map((n) => [n.bdf, n.parent]));
}
