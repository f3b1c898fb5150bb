// A CommandIO that collects what a command writes, for tests of run* functions.
import type { CommandIO } from '../../src/commands/shared.js';

export function collectIO(color = false): CommandIO & { text: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => { out += t; },
    err: (t) => { err += t; },
    isTTY: false, color, columns: 120,
    text: () => out,
    errText: () => err,
  };
}
