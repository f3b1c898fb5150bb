// The CommandIO for a real run: process streams, colour per NO_COLOR/FORCE_COLOR and whether stdout is a terminal.
import type { CommandIO } from './shared.js';
import { stdoutColumns, stdoutIsTTY, writeStderr, writeStdout } from './std-streams.js';

/** What the environment says about colour: false (NO_COLOR, FORCE_COLOR=0/false, TERM=dumb), true (FORCE_COLOR), or null (ask the terminal). Shared with the TUI theme. */
export function colorFromEnv(env: NodeJS.ProcessEnv): boolean | null {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return null;
}

export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return colorFromEnv(env) ?? isTTY;
}

export function processIO(): CommandIO {
  const isTTY = stdoutIsTTY();
  return {
    out: writeStdout,
    err: writeStderr,
    isTTY,
    color: colorWanted(isTTY),
    columns: stdoutColumns(),
  };
}
