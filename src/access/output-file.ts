// Writes a file a command produces (an SVG, an HTML report, a snapshot archive): whole or not at all
// (temp file, then rename), and a path that cannot be written is one line for the user, not a stack trace.
import * as fs from 'node:fs';
import { UserError } from '../errors.js';

function writeFailure(file: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message;
  return new UserError(`cannot write ${file}: ${why}`);
}

/** Writes `data` to `file` atomically; returns the bytes written. */
export function writeOutputFile(file: string, data: string | Uint8Array): number {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch { /* the directory itself is missing or not one: nothing was left */ }
    throw writeFailure(file, e);
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}
