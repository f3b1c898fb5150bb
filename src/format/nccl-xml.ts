// Writes a fabric as an NCCL topology XML (the NCCL_TOPO_FILE format): NCCL's own tree (one <cpu> per
// NUMA node, the PCI switches it keeps, GPUs and NICs), so a container or VM that cannot see the real
// tree can be given it. Reading the file back (--root FILE.xml) gives the same `p2p nccl` answers.
import type { Fabric } from '../model/types.js';
import { buildNcclSystem, type NcclNode, type NcclSystem } from '../model/nccl/system.js';

const ARCH_NAME: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64' };

function esc(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrs(pairs: [string, string | number | null | undefined][]): string {
  return pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => ` ${k}="${esc(String(v))}"`).join('');
}

function pciAttrs(n: NcclNode): string {
  const d = n.devices[0];
  const link = d.link;
  return attrs([
    ['busid', n.id],
    // Only the base class when the source had no class code but knew the kind (NCCL reads the short form too).
    ['class', d.classCode ? `0x${d.classCode}` : n.kind === 'gpu' ? '0x03' : n.kind === 'nic' ? '0x02' : null],
    ['vendor', d.vendorId ? `0x${d.vendorId}` : null],
    ['device', d.deviceId ? `0x${d.deviceId}` : null],
    ['subsystem_vendor', d.subsystemVendorId ? `0x${d.subsystemVendorId}` : null],
    ['subsystem_device', d.subsystemDeviceId ? `0x${d.subsystemDeviceId}` : null],
    ['link_speed', d.raw.currentLinkSpeed ?? (link?.speed ? `${link.speed.toFixed(1)} GT/s PCIe` : null)],
    ['link_width', d.raw.currentLinkWidth ?? link?.width ?? null],
  ]);
}

function leafBody(n: NcclNode, pad: string): string[] {
  const d = n.devices[0];
  if (n.kind === 'gpu') {
    const g = d.raw.nccl?.gpu;
    if (!g) return [];
    const links = g.nvlinks.map((l) => `${pad}  <nvlink${attrs([['target', l.target], ['count', l.count], ['tclass', l.tclass ? `0x${l.tclass}` : null]])}/>`);
    const open = `${pad}<gpu${attrs([['dev', g.dev], ['sm', g.sm], ['gdr', g.gdr === null ? null : g.gdr ? 1 : 0]])}`;
    return links.length ? [`${open}>`, ...links, `${pad}</gpu>`] : [`${open}/>`];
  }
  if (n.kind === 'nic') {
    const fromXml = n.devices.flatMap((x) => x.raw.nccl?.nets ?? []);
    const nets = fromXml.length
      ? fromXml.map((x) => attrs([['name', x.name], ['dev', x.dev], ['speed', x.speed], ['gdr', x.gdr === null ? null : x.gdr ? 1 : 0]]))
      : n.devices.flatMap((x) => x.raw.classNames?.infiniband ?? []).map((name) => attrs([['name', name]]));
    if (!nets.length) return [];
    return [`${pad}<nic>`, ...nets.map((a) => `${pad}  <net${a}/>`), `${pad}</nic>`];
  }
  return [];
}

function writeNode(sys: NcclSystem, n: NcclNode, children: Map<string, NcclNode[]>, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const kids = children.get(n.id) ?? [];
  const body = [...leafBody(n, pad + '  '), ...kids.flatMap((k) => writeNode(sys, k, children, depth + 1))];
  return body.length ? [`${pad}<pci${pciAttrs(n)}>`, ...body, `${pad}</pci>`] : [`${pad}<pci${pciAttrs(n)}/>`];
}

export function writeNcclXml(fabric: Fabric): string {
  const sys = buildNcclSystem(fabric);
  const children = new Map<string, NcclNode[]>();
  for (const n of sys.nodes.values()) {
    if (!n.parent) continue;
    if (!children.has(n.parent)) children.set(n.parent, []);
    children.get(n.parent)!.push(n);
  }
  const host = fabric.host;
  const cpus = [...sys.nodes.values()].filter((n) => n.kind === 'cpu').sort((a, b) => Number(a.numa ?? 1e9) - Number(b.numa ?? 1e9));
  const lines = [
    `<!-- written by p2p nccl --topo-xml from ${esc(fabric.source.method)} ${esc(fabric.source.location)}; a <cpu> without numaid had no NUMA node in the source -->`,
    '<system version="1">',
  ];
  for (const cpu of cpus) {
    lines.push(`  <cpu${attrs([['numaid', cpu.numa], ['arch', host.arch ? ARCH_NAME[host.arch] ?? host.arch : null], ['vendor', host.cpuVendor], ['familyid', host.cpuFamily]])}>`);
    for (const k of children.get(cpu.id) ?? []) lines.push(...writeNode(sys, k, children, 2));
    lines.push('  </cpu>');
  }
  lines.push('</system>');
  return lines.join('\n') + '\n';
}
