// Semantic colours for text views; one place decides whether colour is on, so piped output stays plain.
import { Chalk, type ChalkInstance } from 'chalk';
import type { MapType } from '../model/p2p/types.js';

export interface Style {
  c: ChalkInstance;
  alias(s: string): string;
  bdf(s: string): string;
  dim(s: string): string;
  ok(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  heading(s: string): string;
  kind(s: string): string;
}

export function makeStyle(color: boolean): Style {
  const c = new Chalk({ level: color ? 2 : 0 });
  return {
    c,
    alias: (s) => c.bold.cyan(s),
    bdf: (s) => c.white(s),
    dim: (s) => c.gray(s),
    ok: (s) => c.green(s),
    warn: (s) => c.yellow(s),
    bad: (s) => c.red(s),
    heading: (s) => c.bold(s),
    kind: (s) => c.magenta(s),
  };
}

/** A P2PDMA verdict's colour: direct green, through the host bridge yellow, refused red, unknown magenta. */
export function paintVerdict(c: ChalkInstance, m: MapType | null, text: string): string {
  return m === 'BUS_ADDR' ? c.green(text) : m === 'THRU_HOST_BRIDGE' ? c.yellow(text) : m === 'NOT_SUPPORTED' ? c.red(text) : c.magenta(text);
}
