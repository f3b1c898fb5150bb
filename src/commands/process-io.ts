// The CommandIO for a real run: process streams, colour per NO_COLOR/FORCE_COLOR and whether stdout is a terminal.
import { colorFromEnv, type CommandIO } from '../io.js';

export { colorFromEnv };
import { stdoutColumns, stdoutIsTTY, writeStderr, writeStdout, writeStdoutBytes } from './std-streams.js';

export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return colorFromEnv(env) ?? isTTY;
}

export function processIO(): CommandIO {
  const isTTY = stdoutIsTTY();
  return {
    out: writeStdout,
    outBytes: writeStdoutBytes,
    err: writeStderr,
    isTTY,
    color: colorWanted(isTTY),
    columns: stdoutColumns(),
  };
}
