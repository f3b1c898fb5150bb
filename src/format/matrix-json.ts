// `p2p matrix --json` written as a stream: one JSON document, its head indented, then one pair per line
// (compact: pretty-printing every pair cost more than computing it), handed to the sink in chunks,
// so no whole-document string exists. Pairs re-labelled from one class pair's answer reuse its text:
// it is serialized once, cut where it names its two BDFs, and each pair's line is the pieces re-joined.
import { splitOnBdfs, type CellTemplate, type PairCell } from '../model/p2p/classes.js';
import type { MatrixHead, MatrixPair } from '../model/p2p/matrix.js';

/** Bytes gathered before each write: large enough to keep write(2) calls few, small enough to stay flat. */
const CHUNK_CHARS = 1 << 16;

const indented = (value: unknown, by: string): string => JSON.stringify(value, null, 2).replace(/\n/g, `\n${by}`);

function headText(head: MatrixHead): string {
  let buf = '{\n';
  for (const [k, v] of Object.entries(head)) buf += `  ${JSON.stringify(k)}: ${indented(v, '  ')},\n`;
  return buf + '  "pairs": [';
}

const tail = (empty: boolean): string => (empty ? ']\n}\n' : '\n  ]\n}\n');

/** Writes head and pairs through `out`; an EPIPE from `out` ends it (the caller's sink decides). */
export function writeMatrixJson(head: MatrixHead, pairs: Iterable<MatrixPair>, out: (text: string) => void): void {
  let buf = headText(head);
  let first = true;
  for (const p of pairs) {
    buf += `${first ? '' : ','}\n    ${JSON.stringify(p)}`;
    first = false;
    if (buf.length >= CHUNK_CHARS) {
      out(buf);
      buf = '';
    }
  }
  out(buf + tail(first));
}

/** Bytes gathered before each write of the cells writer. */
const CHUNK_BYTES = 1 << 18;

/** A template's line as UTF-8 pieces around its BDFs (slot 0: the client's, 1: the provider's). */
interface LineParts { pieces: Buffer[]; slots: number[]; fixed: number }

function lineParts(t: CellTemplate<MatrixPair>, json = JSON.stringify(t.pair)): LineParts {
  const { pieces, slots } = splitOnBdfs(json, t.client, t.provider);
  const bytes = pieces.map((p) => Buffer.from(p, 'utf8'));
  return { pieces: bytes, slots, fixed: bytes.reduce((n, b) => n + b.length, 0) };
}

/** One template's line for the current client: separator, pieces and the client's BDF, the template's provider BDF where `provAt` says. */
interface RowLine { line: Buffer; provAt: number[]; provLength: number }

function rowLine(lp: LineParts, sep: Buffer, client: Buffer, provider: Buffer): RowLine {
  const parts: Buffer[] = [sep, lp.pieces[0]];
  const provAt: number[] = [];
  let at = sep.length + lp.pieces[0].length;
  lp.slots.forEach((slot, i) => {
    if (slot === 1) provAt.push(at);
    const b = slot === 0 ? client : provider;
    parts.push(b, lp.pieces[i + 1]);
    at += b.length + lp.pieces[i + 1].length;
  });
  return { line: Buffer.concat(parts), provAt, provLength: provider.length };
}

/**
 * The same document as writeMatrixJson(head, the cells bound), assembled as bytes: a template's own
 * pair is written as its text; when another pair reuses it, that text is cut at its BDFs and encoded
 * once, completed with the client's BDF once per client row, and each such pair is that line copied
 * into one reused chunk with the provider's BDF written over the template's, so the pairs cost no
 * string building and no garbage. `out` must be done with the bytes when it returns.
 */
export function writeMatrixCellsJson(head: MatrixHead, cells: Iterable<PairCell<MatrixPair>>, out: (bytes: Uint8Array) => void): void {
  const parts = new WeakMap<CellTemplate<MatrixPair>, LineParts>();
  const texts = new WeakMap<CellTemplate<MatrixPair>, string>();
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let at = 0;
  const flush = () => {
    if (at) out(chunk.subarray(0, at));
    at = 0;
  };
  const room = (n: number) => {
    if (at + n <= chunk.length) return;
    flush();
    if (n > chunk.length) chunk = Buffer.allocUnsafe(n);
  };
  const text = (s: string) => {
    room(Buffer.byteLength(s, 'utf8'));
    at += chunk.write(s, at, 'utf8');
  };
  text(headText(head));
  // Each BDF encoded once: a run names the same few hundred functions millions of times.
  const bdfBytes = new Map<string, Buffer>();
  const bdf = (s: string) => {
    let b = bdfBytes.get(s);
    if (!b) bdfBytes.set(s, (b = Buffer.from(s, 'utf8')));
    return b;
  };
  const sep = Buffer.from(',\n    ');
  let rowOf = '';
  let row = new Map<CellTemplate<MatrixPair>, RowLine>();
  let first = true;
  for (const cell of cells) {
    const t = cell.template;
    if (cell.client !== rowOf) {
      rowOf = cell.client;
      row = new Map();
    }
    const skip = first ? 1 : 0; // the first pair has no comma before it
    first = false;
    if (cell.client === t.client && cell.provider === t.provider && !parts.has(t)) {
      // A template's own pair comes first, and most are never used again: its text as it is.
      const json = JSON.stringify(t.pair);
      texts.set(t, json);
      text(skip ? `\n    ${json}` : `,\n    ${json}`);
      continue;
    }
    let rl = row.get(t);
    if (!rl) {
      let lp = parts.get(t);
      if (!lp) parts.set(t, (lp = lineParts(t, texts.get(t))));
      row.set(t, (rl = rowLine(lp, sep, bdf(cell.client), bdf(t.provider))));
    }
    const p = bdf(cell.provider);
    const line = rl.line;
    if (p.length === rl.provLength) {
      room(line.length);
      chunk.set(skip ? line.subarray(skip) : line, at);
      const base = at - skip;
      for (const o of rl.provAt) for (let k = 0; k < p.length; k++) chunk[base + o + k] = p[k];
      at += line.length - skip;
    } else {
      // A provider BDF of another length (another domain width) than the template's: build the line anew.
      const own = rowLine(parts.get(t)!, sep, bdf(cell.client), p).line;
      room(own.length);
      at += own.copy(chunk, at, skip);
    }
  }
  text(tail(first));
  flush();
}
