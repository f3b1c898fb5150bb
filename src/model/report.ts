// What `p2p report` embeds in its HTML page, computed by the CLI's own model: the topo result, the pairs
// matrix, one compact path per ordered pair of endpoints (hops, narrowest link, ceiling), the doctor's
// findings, and bench results when given. Pure: the command gathers the inputs.
import type { Device, Fabric } from './types.js';
import { buildMatrix, foldVfs, selectEndpoints, type MatrixReport } from './p2p/matrix.js';
import { buildPath } from './p2p/path.js';
import { formatLink } from './link-math.js';
import { serialOf } from './diff.js';

export const REPORT_SCHEMA_VERSION = 1;
/** Beyond this many endpoints the matrix keeps GPUs, accelerators and NVMe only (n² pairs). */
export const REPORT_MAX_ENDPOINTS = 96;

export interface ReportPath {
  /** Every function the path crosses, client first. */
  hops: string[];
  /** Links as "upper>lower", the diagram's data-link keys. */
  links: string[];
  narrowest: { link: string; text: string } | null;
  ceiling: string | null;
  turn: string;
}

export interface ReportData<Topo, Doctor, Bench> {
  schemaVersion: number;
  topo: Topo;
  matrix: MatrixReport;
  /** Keyed "client|provider". */
  paths: Record<string, ReportPath>;
  /** Why the matrix holds fewer endpoints than the fabric, when it does. */
  matrixNote: string | null;
  doctor: Doctor;
  bench: Bench[];
  /** Device serial numbers by BDF: only with --no-redact. */
  serials: Record<string, string> | null;
}

/** The endpoints the report pairs: VFs fold into their PF as in `p2p matrix` (they share its path). */
export function reportEndpoints(fabric: Fabric): { devices: Device[]; vfsOf: ReadonlyMap<string, readonly Device[]>; note: string | null } {
  const { shown: all, vfsOf } = foldVfs(selectEndpoints(fabric));
  if (all.length <= REPORT_MAX_ENDPOINTS) return { devices: all, vfsOf, note: null };
  const main = all.filter((d) => d.kind === 'gpu' || d.kind === 'accelerator' || d.kind === 'nvme').slice(0, REPORT_MAX_ENDPOINTS);
  return { devices: main, vfsOf, note: `${all.length} endpoints: the matrix keeps ${main.length} GPUs, accelerators and NVMe (p2p matrix --class shows the rest)` };
}

function compactPath(fabric: Fabric, a: Device, b: Device): ReportPath {
  const p = buildPath(fabric, a, b);
  const key = (l: { upper: string; lower: string }) => `${l.upper}>${l.lower}`;
  return {
    hops: p.hops.map((h) => h.bdf).filter((x): x is string => x !== null),
    links: p.links.map(key),
    narrowest: p.narrowest ? { link: key(p.narrowest), text: formatLink(p.narrowest.link.speed, p.narrowest.link.width) } : null,
    ceiling: p.ceiling?.formula ?? null,
    turn: p.turn.description,
  };
}

export function buildReportData<Topo, Doctor, Bench>(
  fabric: Fabric, topo: Topo, doctor: Doctor, bench: Bench[], opts: { redact: boolean },
): ReportData<Topo, Doctor, Bench> {
  const { devices, vfsOf, note } = reportEndpoints(fabric);
  const paths: Record<string, ReportPath> = {};
  for (const a of devices) for (const b of devices) if (a !== b) paths[`${a.bdf}|${b.bdf}`] = compactPath(fabric, a, b);
  let serials: Record<string, string> | null = null;
  if (!opts.redact) {
    serials = {};
    for (const d of fabric.devices) {
      const s = serialOf(d);
      if (s) serials[d.bdf] = s;
    }
  }
  return { schemaVersion: REPORT_SCHEMA_VERSION, topo, matrix: buildMatrix(fabric, devices, {}, vfsOf), paths, matrixNote: note, doctor, bench, serials };
}
