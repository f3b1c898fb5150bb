// The `nvidia-smi topo -m` matrix as data: labels (GPU0.., NIC0..), the legend in each cell, CPU and
// NUMA affinity, the NIC names. Pure text parsing, shared by the tests and `p2p gpus --nvidia-smi-topo`.

export interface TopoMatrix {
  labels: string[];
  cells: Map<string, string>; // "GPU0|NIC1" -> "NODE"
  cpuAffinity: Map<string, string>;
  numaAffinity: Map<string, number>;
  nicNames: Map<string, string>; // NIC0 -> mlx5_0
}

export function parseTopo(text: string): TopoMatrix {
  const lines = text.split('\n');
  const headerIdx = lines.findIndex((l) => /^\s+GPU0\s/.test(l));
  if (headerIdx < 0) throw new SyntaxError('no GPU0 column header: not nvidia-smi topo -m output');
  const header = lines[headerIdx].trim().split(/\s{2,}|\t+/).flatMap((h) => h.split(/\s+(?=GPU|NIC)/));
  const labels = header.filter((h) => /^(GPU|NIC)\d+$/.test(h));
  const cells = new Map<string, string>();
  const cpuAffinity = new Map<string, string>();
  const numaAffinity = new Map<string, number>();
  for (const line of lines.slice(headerIdx + 1)) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0] || !/^(GPU|NIC)\d+$/.test(parts[0])) {
      if (cells.size) break;
      continue;
    }
    const row = parts[0];
    labels.forEach((col, i) => cells.set(`${row}|${col}`, parts[1 + i]));
    const rest = parts.slice(1 + labels.length);
    if (rest.length >= 2) {
      cpuAffinity.set(row, rest[0]);
      numaAffinity.set(row, Number(rest[1]));
    }
  }
  const nicNames = new Map<string, string>();
  for (const l of lines) {
    const m = /^\s+(NIC\d+):\s+(\S+)/.exec(l);
    if (m) nicNames.set(m[1], m[2]);
  }
  return { labels, cells, cpuAffinity, numaAffinity, nicNames };
}
