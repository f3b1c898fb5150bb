// Renders an Ink tree into a fake terminal of a given size (ink-testing-library's is fixed at 100
// columns): frames are collected, keys are written to a fake stdin, resize is an event.
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import type { ReactElement } from 'react';

export class FakeStdout extends EventEmitter {
  isTTY = true;
  frames: string[] = [];
  constructor(public columns: number, public rows: number) {
    super();
  }
  write = (s: string): boolean => {
    this.frames.push(s);
    return true;
  };
  lastFrame(): string {
    return this.frames[this.frames.length - 1] ?? '';
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export function renderAt(tree: ReactElement, columns: number, rows: number) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { stdout, stdin, instance, lastFrame: () => stdout.lastFrame() };
}

export const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));

/** Poll until `pred` holds (React may render on a later task, later still on a loaded machine). */
export async function waitFor(pred: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await tick(5);
  }
  return pred();
}

/**
 * Write keys one at a time; after each, wait until `changed` reports a new render (a frame or state
 * count that grew), or a short grace period for keys that change nothing.
 */
export async function press(stdin: { write(s: string): void }, ...keys: string[]): Promise<void>;
export async function press(target: { stdin: { write(s: string): void }; count(): number }, ...keys: string[]): Promise<void>;
export async function press(t: { write(s: string): void } | { stdin: { write(s: string): void }; count(): number }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    if ('count' in t) {
      const before = t.count();
      t.stdin.write(k);
      await waitFor(() => t.count() > before, 400);
    } else {
      t.write(k);
      await tick(40);
    }
  }
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', right: '\u001b[C', left: '\u001b[D', enter: '\r', esc: '\u001b', tab: '\t', ctrlC: '\u0003' };
