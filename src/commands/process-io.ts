// The CommandIO for a real run: process streams, colour per NO_COLOR/FORCE_COLOR and whether stdout is a terminal.
import type { CommandIO } from './shared.js';

export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}

export function processIO(): CommandIO {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (t) => {
      process.stdout.write(t);
    },
    err: (t) => {
      process.stderr.write(t);
    },
    isTTY,
    color: colorWanted(isTTY),
    columns: process.stdout.columns || 80,
  };
}
