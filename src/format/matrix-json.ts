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

/** A template's line cut at its BDFs (slot 0: the client's, 1: the provider's). */
interface LineParts { pieces: string[]; slots: number[] }

/** The same document as writeMatrixJson(head, pairs bound from `cells`), each template serialized once. */
export function writeMatrixCellsJson(head: MatrixHead, cells: Iterable<PairCell<MatrixPair>>, out: (text: string) => void): void {
  const parts = new WeakMap<CellTemplate<MatrixPair>, LineParts>();
  let buf = headText(head);
  let sep = '\n    ';
  for (const cell of cells) {
    const t = cell.template;
    let lp = parts.get(t);
    if (!lp) parts.set(t, (lp = splitOnBdfs(JSON.stringify(t.pair), t.client, t.provider)));
    const { pieces, slots } = lp;
    let line = sep + pieces[0];
    for (let i = 0; i < slots.length; i++) line += (slots[i] === 0 ? cell.client : cell.provider) + pieces[i + 1];
    buf += line;
    sep = ',\n    ';
    if (buf.length >= CHUNK_CHARS) {
      out(buf);
      buf = '';
    }
  }
  out(buf + tail(sep === '\n    '));
}
