// `p2p matrix --json` written as a stream: the same document JSON.stringify(report, null, 2) would give,
// produced pair by pair and handed to the output sink in chunks, so no whole-document string exists.
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
    buf += `${first ? '' : ','}\n    ${indented(p, '    ')}`;
    first = false;
    if (buf.length >= CHUNK_CHARS) {
      out(buf);
      buf = '';
    }
  }
  buf += first ? ']\n}\n' : '\n  ]\n}\n';
  out(buf);
}
