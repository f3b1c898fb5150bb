// `p2p topo` as text: the fabric tree, switches drawn as one unit, one line per function.
import type { Device, Fabric } from '../model/types.js';
import { isDowntrained, isLinkDown } from '../model/link-math.js';
import { formatBytes } from '../model/units.js';
import { formatSpeed, makeStyle, type Style } from './style.js';
import { mechanismText } from '../model/aliases.js';
import type { MemMechanism } from '../model/mem-mechanisms.js';

export interface TopoTextOptions {
  color: boolean;
  /** Device-memory mechanisms by BDF (model/mem-mechanisms.ts mechanismsByPci): one line each under the function. */
  memory?: ReadonlyMap<string, readonly MemMechanism[]>;
  /** Mechanisms with no PCI function (vivid, rxe, HMM test driver): listed after the tree. */
  memoryElsewhere?: readonly MemMechanism[];
  /** Show every function, including host-bridge internals; by default all are shown too (kept for symmetry with filters). */
  verbose?: boolean;
}

/** A device kind's word in tree lines (topo and the TUI tree); '' for plain endpoints. */
export const KIND_LABEL: Record<string, string> = {
  gpu: 'GPU', nvme: 'NVMe', nic: 'NIC', accelerator: 'accel', storage: 'storage', capture: 'capture', 'root-port': 'root port',
  'switch-upstream': 'switch', 'switch-downstream': 'port', bridge: 'bridge', 'host-bridge': 'host bridge', endpoint: '',
};

export function shortName(d: Device): string {
  if (d.deviceName) return d.deviceName;
  if (d.vendorName && d.className) return `${d.vendorName} ${d.className}`;
  if (d.className) return d.className;
  if (d.vendorId && d.deviceId) return `[${d.vendorId}:${d.deviceId}]`;
  return 'unknown device';
}

export function linkText(d: Device, s: Style): string {
  const l = d.link;
  if (!l) return '';
  if (isLinkDown(l)) return s.dim(`link down (capable ${formatSpeed(l.maxSpeed)} x${l.maxWidth ?? '?'})`);
  const cur = `${formatSpeed(l.speed)} x${l.width ?? '?'}`;
  const down = isDowntrained(l);
  if (down) return s.warn(`${cur} ↓ (capable ${formatSpeed(l.maxSpeed)} x${l.maxWidth ?? '?'})`);
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

  const byHost = new Map<string, Device[]>();
  for (const r of f.roots) {
    const list = byHost.get(r.hostBridge) ?? [];
    list.push(r);
    byHost.set(r.hostBridge, list);
  }
  for (const [hb, roots] of byHost) {
    const numa = [...new Set(roots.map((r) => r.numaNode).filter((n): n is number => n !== null && n >= 0))];
    out.push(s.heading(hb) + (numa.length ? s.dim(`  numa ${numa.join(',')}`) : ''));
    roots.forEach((r, i) => renderNode(f, r, '', i === roots.length - 1, out, s, '', opts.memory));
  }
  if (opts.memoryElsewhere?.length) {
    out.push(s.heading('device memory with no PCI function'));
    for (const m of opts.memoryElsewhere) out.push('   ' + s.dim('▸ ') + mechanismText(m));
  }
  for (const w of f.warnings) out.push(s.warn(`warning: ${w}`));
  return out.join('\n') + '\n';
}

type MemoryMap = TopoTextOptions['memory'];

function renderNode(f: Fabric, d: Device, prefix: string, last: boolean, out: string[], s: Style, lead = '', mem?: MemoryMap): void {
  const branch = last ? '└─ ' : '├─ ';
  const childPrefix = prefix + (last ? '   ' : '│  ');
  if (d.kind === 'switch-upstream') {
    // A switch: its upstream port is the heading, its downstream ports become labelled branches.
    out.push(prefix + branch + lead + s.kind('switch ') + deviceLine(d, s));
    const ports = d.children.map((b) => f.byBdf.get(b)!);
    ports.forEach((p, i) => {
      const lastPort = i === ports.length - 1;
      const below = p.children.map((b) => f.byBdf.get(b)!);
      const portLink = linkText(p, s);
      const portHead = s.dim(`port ${p.bdf.slice(5)}${portLink ? ' ' + portLink : ''}`);
      if (p.kind === 'switch-downstream' && below.length === 1) {
        // A port and its single child share one line, as lspci -t draws them.
        renderNode(f, below[0], childPrefix, lastPort, out, s, portHead + s.dim(' → '), mem);
      } else if (p.kind === 'switch-downstream' && below.length === 0) {
        out.push(childPrefix + (lastPort ? '└─ ' : '├─ ') + portHead + s.dim(' (empty)'));
      } else {
        renderNode(f, p, childPrefix, lastPort, out, s, '', mem);
      }
    });
    return;
  }
  out.push(prefix + branch + lead + deviceLine(d, s));
  // The function's device-memory mechanisms, one line each, drawn inside its branch.
  for (const m of mem?.get(d.bdf) ?? []) out.push(childPrefix + (d.children.length ? '│  ' : '   ') + s.dim('▸ ') + mechanismText(m));
  d.children.forEach((c, i) => renderNode(f, f.byBdf.get(c)!, childPrefix, i === d.children.length - 1, out, s, '', mem));
}
