// The Doctor view's data: findings {id, title, status, evidence, fix, devices} from src/model/doctor,
// normalised (the view accepts a few shapes) and grouped by severity, worst first. Pure.

export interface FindingView {
  id: string;
  title: string;
  /** fail, warn, info, pass, skip... as the doctor reports it. */
  status: string;
  evidence: string[];
  fix: string | null;
  /** BDFs the finding concerns (first one is where Enter jumps). */
  devices: string[];
}

export interface DoctorView {
  available: boolean;
  /** Why findings are missing or partial. */
  note: string | null;
  findings: FindingView[];
}

/** Severity order, worst first; unknown statuses sort after these. */
export const SEVERITY_ORDER = ['fail', 'error', 'bad', 'warn', 'warning', 'unknown', 'info', 'note', 'pass', 'ok', 'skip', 'skipped'];

export function severityRank(status: string): number {
  const i = SEVERITY_ORDER.indexOf(status.toLowerCase());
  return i < 0 ? SEVERITY_ORDER.length : i;
}

export type Tone = 'bad' | 'warn' | 'ok' | 'dim' | 'plain';

export function severityTone(status: string): Tone {
  const s = status.toLowerCase();
  if (s === 'fail' || s === 'error' || s === 'bad') return 'bad';
  if (s === 'warn' || s === 'warning' || s === 'unknown') return 'warn';
  if (s === 'pass' || s === 'ok') return 'ok';
  if (s === 'skip' || s === 'skipped') return 'dim';
  return 'plain';
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of ['text', 'message', 'summary', 'description', 'parameter']) if (typeof o[k] === 'string') return o[k] as string;
    return JSON.stringify(v);
  }
  return String(v);
}

function list(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map(text).filter((x): x is string => x !== null);
  const t = text(v);
  return t === null ? [] : [t];
}

function bdfOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.bdf === 'string') return o.bdf;
  }
  return null;
}

/** Accepts the doctor's findings in whatever reasonable shape they come (strings or lists, fix as text or object). */
export function normalizeFindings(raw: readonly unknown[]): FindingView[] {
  return raw.map((r, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const fixes = list(o.fix ?? o.fixes);
    return {
      id: text(o.id) ?? `finding-${i}`,
      title: text(o.title) ?? text(o.summary) ?? text(o.id) ?? `finding ${i + 1}`,
      status: (text(o.status) ?? text(o.severity) ?? 'info').toLowerCase(),
      evidence: list(o.evidence),
      fix: fixes.length ? fixes.join('; ') : null,
      devices: (Array.isArray(o.devices) ? o.devices : o.device ? [o.device] : []).map(bdfOf).filter((x): x is string => x !== null),
    };
  });
}

export interface FindingGroup {
  status: string;
  items: FindingView[];
}

/** Groups by status, worst first; order within a group is the doctor's. */
export function groupFindings(findings: readonly FindingView[]): FindingGroup[] {
  const groups = new Map<string, FindingView[]>();
  for (const f of findings) {
    if (!groups.has(f.status)) groups.set(f.status, []);
    groups.get(f.status)!.push(f);
  }
  return [...groups.entries()].sort((a, b) => severityRank(a[0]) - severityRank(b[0])).map(([status, items]) => ({ status, items }));
}

/** Findings in display order (grouped), so the cursor index matches what is drawn. */
export function orderedFindings(findings: readonly FindingView[]): FindingView[] {
  return groupFindings(findings).flatMap((g) => g.items);
}
