// Writes a file a command produces (an SVG, an HTML report): whole or not at all (temp file, then rename),
// and a path that cannot be written is one line for the user, not a stack trace.
import * as fs from 'node:fs';
import { UserError } from '../errors.js';

export function writeOutputFile(file: string, text: string): number {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch { /* the directory itself is missing or not one: nothing was left */ }
    throw new UserError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return Buffer.byteLength(text);
}
