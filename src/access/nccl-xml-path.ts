// Whether --root names an NCCL topology XML: kept apart from the reader so load.ts does not pull in the XML parser.
import * as fs from 'node:fs';

/** A file called *.xml (snapshots are tar archives, sysfs trees directories). */
export function isNcclXmlPath(p: string): boolean {
  if (!/\.xml$/i.test(p)) return false;
  try {
    return fs.statSync(p).isFile();
  } catch {
    return true; // the reader reports the missing file
  }
}
