// `p2p matrix --json` written as a stream: one JSON document, its head indented, then one pair per line
// (compact: pretty-printing every pair cost more than computing it), handed to the sink in chunks,
// so no whole-document string exists.
import type { MatrixHead, MatrixPair } from '../model/p2p/matrix.js';

/** Bytes gathered before each write: large enough to keep write(2) calls few, small enough to stay flat. */
const CHUNK_CHARS = 1 << 16;

const indented = (value: unknown, by: string): string => JSON.stringify(value, null, 2).replace(/\n/g, `\n${by}`);

/** Writes head and pairs through `out`; an EPIPE from `out` ends it (the caller's sink decides). */
export function writeMatrixJson(head: MatrixHead, pairs: Iterable<MatrixPair>, out: (text: string) => void): void {
  let buf = '{\n';
  for (const [k, v] of Object.entries(head)) buf += `  ${JSON.stringify(k)}: ${indented(v, '  ')},\n`;
  buf += '  "pairs": [';
  let first = true;
  for (const p of pairs) {
    buf += `${first ? '' : ','}\n    ${JSON.stringify(p)}`;
    first = false;
    if (buf.length >= CHUNK_CHARS) {
      out(buf);
      buf = '';
    }
  }
  buf += first ? ']\n}\n' : '\n  ]\n}\n';
  out(buf);
}
