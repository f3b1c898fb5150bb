// A strict parser of the Prometheus text exposition format (0.0.4), as node_exporter's textfile
// collector reads it. Stricter than Prometheus where the format leaves room: every family must have
// HELP and TYPE before its samples, samples of a family must be contiguous, no sample timestamps
// (the textfile collector rejects them), no duplicate series.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

export interface PromFamily {
  name: string;
  help: string;
  type: string;
  samples: PromSample[];
}

export class PromParseError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function unescapeHelp(s: string, line: number): string {
  return s.replace(/\\(.)?/g, (_m, c: string | undefined) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new PromParseError(line, `bad escape \\${c ?? ''} in HELP`);
  });
}

function parseValue(s: string, line: number): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new PromParseError(line, `bad sample value ${JSON.stringify(s)}`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at text[0] === '{'; returns labels and the rest of the line. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipSpace = () => { while (text[i] === ' ') i++; };
  skipSpace();
  if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
  for (;;) {
    skipSpace();
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) throw new PromParseError(line, `bad label name at ${JSON.stringify(text.slice(i, i + 20))}`);
    const name = m[0];
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new PromParseError(line, `reserved or bad label name ${name}`);
    if (name in labels) throw new PromParseError(line, `label ${name} given twice`);
    i += name.length;
    skipSpace();
    if (text[i] !== '=') throw new PromParseError(line, `expected = after label ${name}`);
    i++;
    skipSpace();
    if (text[i] !== '"') throw new PromParseError(line, `label value of ${name} must be quoted`);
    i++;
    let v = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new PromParseError(line, `unterminated label value of ${name}`);
      if (c === '\n') throw new PromParseError(line, 'raw newline in label value');
      if (c === '\\') {
        const n = text[i + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new PromParseError(line, `bad escape \\${n ?? ''} in label value of ${name}`);
        i += 2;
        continue;
      }
      if (c === '"') {
        i++;
        break;
      }
      v += c;
      i++;
    }
    labels[name] = v;
    skipSpace();
    if (text[i] === ',') {
      i++;
      skipSpace();
      if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    throw new PromParseError(line, `expected , or } after label ${name}`);
  }
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  return name + JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

export function parsePrometheusText(text: string): PromFamily[] {
  if (text.length && !text.endsWith('\n')) throw new PromParseError(text.split('\n').length, 'the last line must end with a newline');
  const families = new Map<string, PromFamily>();
  const order: PromFamily[] = [];
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: string | null = null;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const family = (name: string, n: number): PromFamily => {
    let f = families.get(name);
    if (!f) {
      if (closed.has(name)) throw new PromParseError(n, `${name} appears again after other families`);
      f = { name, help: '', type: '', samples: [] };
      families.set(name, f);
      order.push(f);
    }
    return f;
  };
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name)) throw new PromParseError(n, `bad metric name ${name}`);
      if (current !== name && current !== null) closed.add(current);
      const f = family(name, n);
      if (f.samples.length) throw new PromParseError(n, `${kind} for ${name} after its samples`);
      if (kind === 'HELP') {
        if (f.help) throw new PromParseError(n, `second HELP for ${name}`);
        f.help = unescapeHelp(rest ?? '', n);
        if (!f.help) throw new PromParseError(n, `empty HELP for ${name}`);
      } else {
        if (f.type) throw new PromParseError(n, `second TYPE for ${name}`);
        if (!rest || !TYPES.has(rest)) throw new PromParseError(n, `bad TYPE ${rest} for ${name}`);
        f.type = rest;
      }
      current = name;
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nm) throw new PromParseError(n, `bad sample line ${JSON.stringify(raw.slice(0, 40))}`);
    const name = nm[0];
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const p = parseLabels(rest, n);
      labels = p.labels;
      rest = p.rest;
    }
    if (!rest.startsWith(' ')) throw new PromParseError(n, 'expected a space before the value');
    const parts = rest.trim().split(/ +/);
    if (parts.length !== 1) throw new PromParseError(n, 'sample timestamps are not allowed in textfile-collector files');
    const value = parseValue(parts[0], n);
    const f = families.get(name);
    if (!f || !f.type || !f.help) throw new PromParseError(n, `sample of ${name} without HELP and TYPE before it`);
    if (current !== name) throw new PromParseError(n, `samples of ${name} are not contiguous`);
    if (f.type === 'counter' && (value < 0 || Number.isNaN(value))) throw new PromParseError(n, `counter ${name} is negative or NaN`);
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new PromParseError(n, `duplicate series ${key}`);
    series.add(key);
    f.samples.push({ name, labels, value, line: n });
  });
  for (const f of order) {
    if (!f.type || !f.help) throw new PromParseError(0, `${f.name} lacks HELP or TYPE`);
  }
  return order;
}

export function familyOf(fams: PromFamily[], name: string): PromFamily {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f;
}
