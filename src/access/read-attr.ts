// Reads small sysfs/procfs attributes with open/read/close only: thousands of them per scan.
import * as fs from 'node:fs';

// Sysfs attributes are small; one shared buffer and open/read/close beats readFileSync's extra fstat.
const attrBuf = Buffer.allocUnsafe(65536);

/** Contents of a small sysfs/procfs attribute, trimmed; null when it cannot be read. */
export function readAttr(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    let got = 0;
    while (got < attrBuf.length) {
      const n = fs.readSync(fd, attrBuf, got, attrBuf.length - got, null);
      if (n <= 0) break;
      got += n;
    }
    return attrBuf.toString('latin1', 0, got).trim();
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
