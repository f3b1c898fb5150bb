// `p2p doctor --format prometheus`: the Prometheus text exposition format (0.0.4) for node_exporter's
// textfile collector. Metric names are documented in docs/prometheus.md; keep them stable.
import { candidatePairs, p2pCandidates } from '../model/doctor/index.js';
import { STATUSES, type DoctorInput, type DoctorReport, type PairVerdict } from '../model/doctor/types.js';
import { isDowntrained } from '../model/link-math.js';
import { shortLabel } from '../model/aliases.js';

export interface PrometheusOptions {
  /** Unix time in seconds for p2p_doctor_last_run_timestamp_seconds; omitted when undefined. */
  now?: number;
  /** The pair verdicts the doctor run already computed (DoctorContext.pairs); computed here otherwise. */
  pairs?: () => PairVerdict[];
}

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels: Labels; value: number }[];
}

/** Label values: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and newline escaped. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (!keys.length) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}

export function renderFamilies(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!f.samples.length) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return out.join('\n') + '\n';
}

const MAP_TYPES = ['BUS_ADDR', 'THRU_HOST_BRIDGE', 'NOT_SUPPORTED', 'unknown'] as const;

export function renderPrometheus(input: DoctorInput, report: DoctorReport, opts: PrometheusOptions = {}): string {
  const { fabric, env } = input;
  const fam = (n: string, help: string, type: Family['type'] = 'gauge'): Family => ({ name: n, help, type, samples: [] });

  const info = fam('p2p_doctor_info', 'Source p2p doctor read (value always 1).');
  info.samples.push({
    labels: { method: fabric.source.method, source: fabric.source.location, kernel: fabric.host.kernelRelease ?? '' },
    value: 1,
  });
  const status = fam('p2p_doctor_check_status', 'Status of each p2p doctor check: 1 for its current status, 0 for the others (status is ok, warn, fail or skip).');
  for (const f of report.findings) {
    for (const st of STATUSES) status.samples.push({ labels: { check: f.id, group: f.group, status: st }, value: f.status === st ? 1 : 0 });
  }
  const counts = fam('p2p_doctor_checks', 'Number of p2p doctor checks per status.');
  for (const st of STATUSES) counts.samples.push({ labels: { status: st }, value: report.summary[st] });
  const exit = fam('p2p_doctor_exit_code', 'p2p doctor exit code: 0 all ok, 1 warnings, 2 failures.');
  exit.samples.push({ labels: {}, value: report.exitCode });
  const ts = fam('p2p_doctor_last_run_timestamp_seconds', 'Unix time when p2p doctor wrote these metrics.');
  if (opts.now !== undefined) ts.samples.push({ labels: {}, value: opts.now });

  const speed = fam('p2p_pcie_link_speed_gts', 'Current PCIe link speed of a function in GT/s.');
  const maxSpeed = fam('p2p_pcie_link_max_speed_gts', 'Maximum PCIe link speed the function supports in GT/s.');
  const width = fam('p2p_pcie_link_width_lanes', 'Current PCIe link width of a function in lanes.');
  const maxWidth = fam('p2p_pcie_link_max_width_lanes', 'Maximum PCIe link width the function supports in lanes.');
  const down = fam('p2p_pcie_link_downgraded', '1 when the link runs below the speed or width the function supports, else 0.');
  for (const d of fabric.devices) {
    const l = d.link;
    if (!l) continue;
    const labels = { bdf: d.bdf, name: shortLabel(d), kind: d.kind };
    if (l.speed !== null) speed.samples.push({ labels, value: l.speed });
    if (l.maxSpeed !== null) maxSpeed.samples.push({ labels, value: l.maxSpeed });
    if (l.width !== null) width.samples.push({ labels, value: l.width });
    if (l.maxWidth !== null) maxWidth.samples.push({ labels, value: l.maxWidth });
    const dt = isDowntrained(l);
    if (dt !== null) down.samples.push({ labels, value: dt ? 1 : 0 });
  }

  const aer = fam('p2p_pcie_aer_errors_total', 'AER errors the kernel counted on a function since boot (sysfs aer_dev_*), by severity.', 'counter');
  if (env.aerCounters.known) {
    for (const bdf of [...env.aerCounters.value.keys()].sort()) {
      const c = env.aerCounters.value.get(bdf)!;
      const d = fabric.byBdf.get(bdf);
      for (const sev of ['correctable', 'nonfatal', 'fatal'] as const) {
        const v = c.totals[sev];
        if (v !== null) aer.samples.push({ labels: { bdf, name: d ? shortLabel(d) : bdf, severity: sev }, value: v });
      }
    }
  }

  const pairMap = fam('p2p_pair_p2pdma_map_type', 'Kernel P2PDMA verdict for a client/provider pair: 1 for the current map type, 0 for the others.');
  const pairDist = fam('p2p_pair_p2pdma_distance', 'pci_p2pdma_distance() of a pair: hops through bridges, -1 when NOT_SUPPORTED.');
  for (const p of opts.pairs ? opts.pairs() : candidatePairs(input, p2pCandidates(input))) {
    const c = fabric.byBdf.get(p.client)!;
    const v = fabric.byBdf.get(p.provider)!;
    const labels = { client: p.client, provider: p.provider, client_name: shortLabel(c), provider_name: shortLabel(v) };
    const mt = p.verdict.mapType ?? 'unknown';
    for (const m of MAP_TYPES) pairMap.samples.push({ labels: { ...labels, map_type: m }, value: m === mt ? 1 : 0 });
    if (p.verdict.distance !== null) pairDist.samples.push({ labels, value: p.verdict.distance });
  }

  return renderFamilies([info, status, counts, exit, ts, speed, maxSpeed, width, maxWidth, down, aer, pairMap, pairDist]);
}
