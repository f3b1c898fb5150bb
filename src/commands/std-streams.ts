// Standard output and error for the text and JSON commands. One that is not a terminal (a pipe, a file,
// /dev/null) is written with write(2) on its fd: Node's stream for it would first load its stream
// machinery (net for a pipe), ~4 ms of a run's start-up each. A terminal still goes through Node's stream.
import * as fs from 'node:fs';

/** Linux's major device number of /dev/null, /dev/zero and the other memory devices: never terminals. */
const MEM_DEVICES_MAJOR = 1;

const ttyByFd = new Map<1 | 2, boolean>();
const streamOf = (fd: 1 | 2): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/**
 * Whether fd 1 or 2 is a terminal. A pipe, socket or regular file cannot be, nor can a memory device
 * (/dev/null); only another character device needs Node's answer (isatty, through its stream).
 */
function isTTY(fd: 1 | 2): boolean {
  let tty = ttyByFd.get(fd);
  if (tty === undefined) {
    let st: fs.Stats | null = null;
    try {
      st = fs.fstatSync(fd);
    } catch {
      /* closed or odd: ask Node */
    }
    const major = st ? Math.floor(st.rdev / 256) & 0xfff : -1;
    tty = st && (!st.isCharacterDevice() || major === MEM_DEVICES_MAJOR) ? false : Boolean(streamOf(fd).isTTY);
    ttyByFd.set(fd, tty);
  }
  return tty;
}

export const stdoutIsTTY = (): boolean => isTTY(1);

/** The terminal's width; 80 when stdout is not a terminal (as process.stdout.columns would leave it). */
export function stdoutColumns(): number {
  return stdoutIsTTY() ? process.stdout.columns || 80 : 80;
}

/** All of `bytes` on `fd`: write(2) may take part of it, or say EAGAIN on a non-blocking pipe. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    try {
      at += fs.writeSync(fd, bytes, at, bytes.length - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; // EPIPE: main.ts ends quietly
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // the reader is behind: wait a little
    }
  }
}

function write(fd: 1 | 2, text: string): void {
  if (isTTY(fd)) streamOf(fd).write(text);
  else writeAll(fd, Buffer.from(text, 'utf8'));
}

export const writeStdout = (text: string): void => write(1, text);

/** UTF-8 bytes on stdout, done with when it returns (a terminal's stream gets its own copy). */
export function writeStdoutBytes(bytes: Uint8Array): void {
  if (isTTY(1)) process.stdout.write(Buffer.from(bytes));
  else writeAll(1, bytes);
}
export const writeStderr = (text: string): void => write(2, text);
