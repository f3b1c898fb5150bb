// The kernel log from /dev/kmsg, read without blocking or waiting for new messages: each read(2) gives
// one record ("6,1234,5678,-;text" and " KEY=value" continuation lines). For doctor and snapshots.
import * as fs from 'node:fs';

export type KmsgRead = { records: string[] } | { errorCode: string };

/**
 * The records in the log now: read until its end (EAGAIN), skipping ahead past records overwritten
 * while reading (EPIPE), at most `maxBytes` of them. `{ errorCode }` ("EPERM" under
 * kernel.dmesg_restrict without root or CAP_SYSLOG) when it cannot be opened or read.
 */
export function readKmsgRecords(maxBytes = 16 << 20, file = '/dev/kmsg'): KmsgRead {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    return { errorCode: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  const records: string[] = [];
  let total = 0;
  const buf = Buffer.alloc(16384);
  try {
    for (let i = 0; i < 1_000_000 && total < maxBytes; i++) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break; // the end of the log
        if (code === 'EPIPE') continue; // records overwritten while reading: skip ahead
        return { errorCode: code ?? (e as Error).message };
      }
      if (n <= 0) break;
      records.push(buf.subarray(0, n).toString('utf8'));
      total += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { records };
}

/** The records' text: headers ("6,1234,5678,-;") and continuation lines (" SUBSYSTEM=pci") stripped. */
export function parseKmsg(records: string[]): string {
  const out: string[] = [];
  for (const r of records) {
    for (const line of r.split('\n')) {
      if (!line || line.startsWith(' ')) continue;
      const semi = line.indexOf(';');
      out.push(semi >= 0 && /^\d+,\d+,\d+/.test(line) ? line.slice(semi + 1) : line);
    }
  }
  return out.join('\n');
}
