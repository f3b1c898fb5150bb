// Test-only: turns `lspci -tv` text (names, no IDs) into a Fabric, and parses `nvidia-smi topo -m`.
// Kinds come from the names (NVIDIA ... -> gpu, Mellanox ConnectX -> nic, NVMe -> nvme); the host
// bridge is the `[dddd:bb]` root bus; NUMA comes from a per-root-bus table.
import type { HostInfo } from '../../src/access/types.js';
import type { DeviceKind, Fabric } from '../../src/model/types.js';
import { makeFabric, type DevSpec } from './p2p-fabric.js';

interface BusAt { domain: string; bus: string; parent: string | null; hostBridge: string }

interface Parsed { bdf: string; parent: string | null; hostBridge: string; name: string | null; secondary: string | null }

/** The tree part of each line is column-aligned: a bus's functions start in the column right after the connector that opens it. */
export function parseLspciTree(text: string): Parsed[] {
  const out: Parsed[] = [];
  const busAt = new Map<number, BusAt>();
  const token = /\[([0-9a-f]{4,8}):([0-9a-f]{2})\]|([0-9a-f]{2})\.([0-7])(?:-\[([0-9a-f]{2})(?:-([0-9a-f]{2}))?\])?/g;
  for (const rawLine of text.split('\n')) {
    if (!/^[ |\\+-]*[-+\\]/.test(rawLine) || rawLine.startsWith('#') || rawLine.startsWith('$')) continue;
    const nameMatch = /([0-9a-f]{2}\.[0-7]) {2}(\S.*)$/.exec(rawLine);
    const treePart = nameMatch ? rawLine.slice(0, nameMatch.index + nameMatch[1].length) : rawLine;
    const name = nameMatch ? nameMatch[2].trim() : null;
    token.lastIndex = 0;
    let m: RegExpExecArray | null;
    const found: Parsed[] = [];
    while ((m = token.exec(treePart))) {
      const end = m.index + m[0].length;
      if (m[1] !== undefined) {
        // Root bus: its functions start after "-+-" or "---".
        busAt.set(end + 3, { domain: m[1], bus: m[2], parent: null, hostBridge: `pci${m[1]}:${m[2]}` });
        continue;
      }
      const at = busAt.get(m.index);
      if (!at) throw new Error(`lspci -tv: no bus open at column ${m.index}: ${rawLine}`);
      const bdf = `${at.domain}:${at.bus}:${m[3]}.${m[4]}`;
      const p: Parsed = { bdf, parent: at.parent, hostBridge: at.hostBridge, name: null, secondary: m[5] ?? null };
      found.push(p);
      if (m[5] !== undefined) busAt.set(end + 4, { domain: at.domain, bus: m[5], parent: bdf, hostBridge: at.hostBridge });
    }
    if (found.length && name) found[found.length - 1].name = name;
    out.push(...found);
  }
  return out;
}

const VENDORS: [RegExp, string][] = [
  [/^NVIDIA/, '10de'], [/^Mellanox/, '15b3'], [/^Advanced Micro Devices/, '1022'], [/^Samsung/, '144d'],
  [/^Intel/, '8086'], [/^HighPoint/, '1103'], [/^ASPEED/, '1a03'], [/^Kingston/, '2646'], [/^ASMedia/, '1b21'],
];

function kindFromName(name: string | null): DeviceKind {
  if (!name) return 'endpoint';
  if (/^NVIDIA/.test(name) && !/Audio/.test(name)) return 'gpu';
  if (/Mellanox.*ConnectX/.test(name)) return 'nic';
  if (/RAID/.test(name)) return 'storage';
  if (/NVMe/.test(name)) return 'nvme';
  if (/Ethernet/.test(name)) return 'nic';
  return 'endpoint';
}

export interface NumaRow { node: number; cpus: string }

/** "rootbus node cpus" lines (comments with #). */
export function parseNumaTable(text: string): Map<string, NumaRow> {
  const out = new Map<string, NumaRow>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [bus, node, cpus] = t.split(/\s+/);
    out.set(bus, { node: Number(node), cpus });
  }
  return out;
}

export function fabricFromLspciTree(text: string, numa: Map<string, NumaRow>, host: Partial<HostInfo>): Fabric {
  const parsed = parseLspciTree(text);
  // lspci -tv prints parents before children, so one pass top-down sees every parent's kind first.
  const kinds = new Map<string, DeviceKind>();
  const specs: DevSpec[] = [];
  for (const p of parsed) {
    const isBridge = p.secondary !== null;
    const parentKind = p.parent ? kinds.get(p.parent) ?? null : null;
    const children = parsed.filter((c) => c.parent === p.bdf);
    let kind: DeviceKind;
    if (isBridge) {
      if (p.parent === null) kind = 'root-port';
      else if (parentKind === 'switch-upstream') kind = 'switch-downstream';
      else if ((parentKind === 'root-port' || parentKind === 'switch-downstream') && children.length > 0 && children.every((c) => c.secondary !== null)) kind = 'switch-upstream';
      else kind = 'bridge';
    } else if (p.parent === null && /:00\.0$/.test(p.bdf)) {
      kind = 'host-bridge';
    } else {
      kind = kindFromName(p.name);
    }
    kinds.set(p.bdf, kind);
    const rootBus = p.hostBridge.slice(p.hostBridge.indexOf(':') + 1);
    const n = numa.get(rootBus);
    const vendor = p.name ? VENDORS.find(([re]) => re.test(p.name!))?.[1] ?? null : null;
    const dev = p.name ? /Device ([0-9a-f]{4})\b/.exec(p.name)?.[1] ?? null : null;
    specs.push({
      bdf: p.bdf, parent: p.parent, kind, hostBridge: p.hostBridge, deviceName: p.name,
      vendorId: vendor, deviceId: dev, numaNode: n ? n.node : null, localCpuList: n ? n.cpus : null,
      // Both machines' ACSCtl lines are all '-': every ACS-capable port has no redirect bit set.
      acs: isBridge ? [] : null,
      portType: kind === 'bridge' ? null : undefined,
    });
  }
  return makeFabric(specs, host);
}

// ---------------------------------------------------------------------------------------------

export { parseTopo, type TopoMatrix } from '../../src/model/p2p/nvsmi-topo.js';

