// Reads small sysfs/procfs attributes with open/read/close only: thousands of them per scan.
import * as fs from 'node:fs';

// Sysfs attributes are small; one shared buffer for every read (as large as the native reader's cap)
// beats readFileSync's extra fstat and allocation.
const attrBuf = Buffer.allocUnsafe(65536);

/** The raw text of a small attribute (latin1, untrimmed); null when it cannot be opened or read. */
export function readAttrText(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    let got = 0;
    while (got < attrBuf.length) {
      const asked = attrBuf.length - got;
      const n = fs.readSync(fd, attrBuf, got, asked, null);
      if (n <= 0) break;
      got += n;
      if (n < asked) break; // sysfs gives the whole attribute in one read; so does a regular file's tail
    }
    return attrBuf.toString('latin1', 0, got);
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Contents of a small sysfs/procfs attribute, trimmed; null when it cannot be read. */
export function readAttr(file: string): string | null {
  return readAttrText(file)?.trim() ?? null;
}
