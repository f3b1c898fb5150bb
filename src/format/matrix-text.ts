// Text view of `p2p matrix`: the nvidia-smi style legend matrix with CPU/NUMA affinity, then the
// kernel's P2PDMA verdict for the same pairs, colour-coded, then why and how to fix.
import type { ChalkInstance } from 'chalk';
import { makeStyle, paintVerdict } from './style.js';
import type { MatrixPair, MatrixReport } from '../model/p2p/matrix.js';
import type { Legend, MapType } from '../model/p2p/types.js';

export interface MatrixTextOptions {
  color: boolean;
  /** Terminal width; a matrix wider than it is summarised (default: never). */
  columns?: number;
  /** Whether the output is a terminal: elsewhere only a matrix wider than NON_TTY_WIDTH is summarised. */
  isTTY?: boolean;
}

/** Widest matrix written to a pipe or file before it is summarised instead (about 40 columns of cells). */
export const NON_TTY_WIDTH = 400;

export const LEGEND_TEXT: Record<Legend, string> = {
  X: 'Self',
  SYS: 'Connection traversing PCIe as well as the interconnect between NUMA nodes (e.g. UPI, Infinity Fabric)',
  NODE: 'Connection traversing PCIe as well as the interconnect between PCIe host bridges within a NUMA node',
  PHB: 'Connection traversing PCIe as well as a PCIe host bridge (typically the CPU)',
  PXB: 'Connection traversing multiple PCIe bridges (without traversing the PCIe host bridge)',
  PIX: 'Connection traversing at most a single PCIe bridge (one switch counts as one)',
};

export const MAP_SHORT: Record<MapType, string> = {
  BUS_ADDR: 'BUS',
  THRU_HOST_BRIDGE: 'HB',
  NOT_SUPPORTED: 'NO',
};

function paintLegend(c: ChalkInstance, l: Legend | null, text: string): string {
  switch (l) {
    case 'X': return c.dim(text);
    case 'PIX': case 'PXB': return c.green(text);
    case 'PHB': case 'NODE': return c.yellow(text);
    case 'SYS': return c.red(text);
    default: return c.magenta(text);
  }
}

const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - s.length));

/** Short cell text of a verdict: BUS / HB / NO, or ? when unknown (BUS|HB when both are possible). */
export function verdictCell(p: MatrixPair): string {
  if (p.p2pdma.mapType) return MAP_SHORT[p.p2pdma.mapType];
  return `?${p.p2pdma.possible.map((m) => MAP_SHORT[m]).join('|')}`;
}

const PAIR_CODES = new Set(['common-bridge', 'no-common-bridge', 'same-function']);

export function renderMatrixText(r: MatrixReport, opts: MatrixTextOptions): string {
  const c = makeStyle(opts.color).c;
  const out: string[] = [];
  if (r.devices.length === 0) {
    return 'No DMA-capable endpoints found (try --all, or --class gpu,nvme,nic,accelerator,storage,endpoint).\n';
  }
  const labels = r.devices.map((d) => d.label);
  const byPair = new Map(r.pairs.map((p) => [`${p.client}|${p.provider}`, p]));
  const cellW = Math.max(6, ...labels.map((l) => l.length + 2), 9);
  const rowW = Math.max(...labels.map((l) => l.length)) + 2;
  const width = rowW + labels.length * cellW + 21;
  const limit = opts.isTTY ? opts.columns ?? Infinity : opts.columns === undefined ? Infinity : Math.max(opts.columns, NON_TTY_WIDTH);
  if (width > limit) {
    out.push(...summary(c, r, width, limit));
  } else {
    out.push(...matrices(c, r, byPair, labels, cellW, rowW));
  }
  out.push(...whyNotDirect(c, r, byPair));
  return out.join('\n') + '\n';
}

/** `+120 VFs` after a PF whose VFs are folded into it. */
const vfNote = (d: MatrixReport['devices'][number]): string => (d.vfs ? ` +${d.vfs.count} VFs` : '');

/** A matrix too wide for the terminal: counts by kind pair instead of cells, and the way to see them. */
function summary(c: ChalkInstance, r: MatrixReport, width: number, limit: number): string[] {
  const out: string[] = [];
  const kindOf = new Map(r.devices.map((d) => [d.bdf, d.kind]));
  const counts = new Map<string, Map<string, number>>();
  for (const p of r.pairs) {
    if (p.client === p.provider) continue;
    const key = `${kindOf.get(p.client)} -> ${kindOf.get(p.provider)}`;
    let m = counts.get(key);
    if (!m) counts.set(key, (m = new Map()));
    const cell = `${p.legend ?? '?'} ${verdictCell(p)}`;
    m.set(cell, (m.get(cell) ?? 0) + 1);
  }
  const vfs = r.devices.reduce((n, d) => n + (d.vfs?.count ?? 0), 0);
  out.push(c.bold(`Summary of ${r.devices.length} endpoints${vfs ? ` (${vfs} VFs folded into their PF)` : ''}: the matrix is ${width} columns wide, more than ${limit}`));
  out.push(c.dim(`  see every cell with --json, or narrow with --only gpu,nvme,nic`));
  for (const [key, m] of counts) {
    const cells = [...m].sort((a, b) => b[1] - a[1]).map(([cell, n]) => `${n} ${cell}`).join(', ');
    out.push(`  ${pad(key, 24)}${cells}`);
  }
  out.push('');
  for (const d of r.devices) if (d.vfs) out.push(`  ${d.label}${vfNote(d)}: ${d.vfs.bdfs[0]} .. ${d.vfs.bdfs[d.vfs.bdfs.length - 1]}`);
  out.push(`  Allow-list: ${r.allowList.kernel}`);
  return out;
}

function matrices(c: ChalkInstance, r: MatrixReport, byPair: Map<string, MatrixPair>, labels: string[], cellW: number, rowW: number): string[] {
  const out: string[] = [];
  // Legend matrix.
  out.push(c.bold('Connections (nvidia-smi topo legend)'));
  out.push(' '.repeat(rowW) + labels.map((l) => pad(l, cellW)).join('') + pad('CPU Affinity', 15) + pad('NUMA', 6) + 'Device');
  for (const a of r.devices) {
    const cells = r.devices.map((b) => {
      const p = byPair.get(`${a.bdf}|${b.bdf}`)!;
      const t = p.legend ?? '?';
      return paintLegend(c, p.legend, pad(t, cellW));
    });
    out.push(c.bold(pad(a.label, rowW)) + cells.join('') + pad(a.cpuAffinity ?? '-', 15) + pad(a.numaNode === null ? '-' : String(a.numaNode), 6) +
      `${a.bdf}${a.name ? ` ${a.name}` : ''}${vfNote(a)}`);
  }
  out.push('');
  out.push('Legend:');
  for (const l of ['X', 'SYS', 'NODE', 'PHB', 'PXB', 'PIX'] as Legend[]) out.push(`  ${pad(l, 5)}= ${LEGEND_TEXT[l]}`);
  if (r.pairs.some((p) => p.legend === null)) out.push(`  ${pad('?', 5)}= different host bridges, NUMA placement unknown`);
  out.push('');

  // Kernel verdict matrix.
  out.push(c.bold('Kernel P2PDMA verdict (row = client doing the DMA, column = provider whose memory is used)'));
  out.push(' '.repeat(rowW) + labels.map((l) => pad(l, cellW)).join(''));
  for (const a of r.devices) {
    const cells = r.devices.map((b) => {
      const p = byPair.get(`${a.bdf}|${b.bdf}`)!;
      return paintVerdict(c, p.p2pdma.mapType, pad(verdictCell(p), cellW));
    });
    out.push(c.bold(pad(a.label, rowW)) + cells.join(''));
  }
  out.push('');
  out.push('Legend:');
  out.push(`  ${paintVerdict(c, 'BUS_ADDR', 'BUS')} = BUS_ADDR: direct, with PCI bus addresses (never leaves the common bridge)`);
  out.push(`  ${paintVerdict(c, 'THRU_HOST_BRIDGE', 'HB')}  = THRU_HOST_BRIDGE: allowed, routed through the root complex and mapped with the DMA API (the IOMMU, when one is on)`);
  out.push(`  ${paintVerdict(c, 'NOT_SUPPORTED', 'NO')}  = NOT_SUPPORTED: the kernel refuses (EREMOTEIO)`);
  if (r.pairs.some((p) => p.p2pdma.mapType === null)) out.push(`  ${paintVerdict(c, null, '?')}   = unknown (the answers still possible follow the ?); usually: needs root`);
  out.push(`  Kernel: ${r.kernel.release ? `${r.kernel.release} (rules of upstream ${r.kernel.rules})` : 'release unknown (each pair gives the answer by release range)'}; allow-list: ${r.allowList.kernel}`);
  out.push(`  CPU: ${r.host.cpuVendor ?? 'unknown'}${r.host.cpuFamily !== null ? ` family 0x${r.host.cpuFamily.toString(16)}` : ''}; IOMMU: ${r.host.iommuEnabled === null ? 'unknown' : r.host.iommuEnabled ? 'on' : 'off'}`);
  if (r.vfsFolded && r.devices.some((d) => d.vfs)) out.push('  VFs fold into their PF (+N VFs): the same verdicts against every other device; --vfs shows one row each');
  return out;
}

/** Why, grouped by cause so a 20-device matrix stays readable. */
function whyNotDirect(c: ChalkInstance, r: MatrixReport, byPair: Map<string, MatrixPair>): string[] {
  const out: string[] = [];

  const groups = new Map<string, { verdict: string; mapType: MapType | null; causes: string[]; fixes: Map<string, string>; pairs: string[] }>();
  const labelOf = new Map(r.devices.map((d) => [d.bdf, d.label]));
  for (const p of r.pairs) {
    if (p.p2pdma.mapType === 'BUS_ADDR') continue;
    if (p.client > p.provider && byPair.get(`${p.provider}|${p.client}`)?.p2pdma.verdict === p.p2pdma.verdict) continue;
    const causes = [...new Set(p.p2pdma.causes.filter((x) => !PAIR_CODES.has(x.code)).map((x) =>
      x.code === 'acs-unknown' && /bytes of/.test(x.message)
        ? 'ACS state unknown on the path: config space was readable only to byte 64 (not root), and the ACS capability lies beyond byte 256'
        : x.message))];
    const key = `${p.p2pdma.verdict}\n${causes.join('\n')}`;
    let g = groups.get(key);
    if (!g) {
      g = { verdict: p.p2pdma.verdict, mapType: p.p2pdma.mapType, causes, fixes: new Map(), pairs: [] };
      groups.set(key, g);
    }
    for (const f of p.p2pdma.fixes) g.fixes.set(f.text, f.tradeoff);
    const sym = p.client === p.provider ? '' : ' <-> ';
    g.pairs.push(p.client === p.provider ? `${labelOf.get(p.client)} (own memory)` : `${labelOf.get(p.client)}${sym}${labelOf.get(p.provider)}`);
  }
  if (groups.size) {
    out.push('');
    out.push(c.bold('Why not direct, and what would change it'));
    for (const g of groups.values()) {
      const shown = g.pairs.slice(0, 8).join(', ') + (g.pairs.length > 8 ? `, ... (${g.pairs.length} pairs)` : '');
      out.push(`${paintVerdict(c, g.mapType, g.verdict)}: ${shown}`);
      for (const cause of g.causes) out.push(`  - ${cause}`);
      for (const [fix, cost] of g.fixes) {
        out.push(`  fix: ${fix}`);
        out.push(c.dim(`       cost: ${cost}`));
      }
    }
  }
  return out;
}
