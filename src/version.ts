// p2p's own version, from the package.json above this module (dist/src/ or the bundle in dist/cli/).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version in p2p's package.json, or "unknown" when it cannot be found. */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.resolve(here, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'p2p' && pkg.version) return (cached = pkg.version);
    } catch {
      /* next */
    }
  }
  return (cached = 'unknown');
}
