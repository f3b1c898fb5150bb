// What commands and views write to, and what the environment says about colour: shared by commands/ and ui/.

/** Where a command writes. Tests pass a collecting IO; main passes the process's streams. */
export interface CommandIO {
  out(text: string): void;
  /** Bytes already UTF-8, written before it returns (the caller may reuse them); absent: out() takes the text. */
  outBytes?(bytes: Uint8Array): void;
  err(text: string): void;
  /** stdout is a terminal (colour, progress bars, TUI allowed). */
  isTTY: boolean;
  /** Colour allowed (a TTY without NO_COLOR, or FORCE_COLOR). */
  color: boolean;
  /** Terminal width in columns (80 when unknown). */
  columns: number;
}

/** What the environment says about colour: false (NO_COLOR, FORCE_COLOR=0/false, TERM=dumb), true (FORCE_COLOR), or null (ask the terminal). Shared with the TUI theme. */
export function colorFromEnv(env: NodeJS.ProcessEnv): boolean | null {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return null;
}

