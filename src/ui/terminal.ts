// The alternate screen, entered and left by hand (Ink 6 has no option for it), with the terminal
// restored on every way out: normal quit, Ctrl-C, SIGTERM/SIGHUP, an exception, process exit.

export const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H\u001b[2J';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';
export const SHOW_CURSOR = '\u001b[?25h';
export const HIDE_CURSOR = '\u001b[?25l';
/** Reset attributes, turn off mouse reporting and bracketed paste in case anything turned them on. */
export const RESET_MODES = '\u001b[0m\u001b[?1000l\u001b[?1002l\u001b[?1006l\u001b[?2004l';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  /** When present, used for the last-chance restore on process exit (must be synchronous). */
  fd?: number;
}

export interface InStream {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** The bits of `process` the guard uses (tests pass a fake). */
export interface ProcessLike {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

export interface ScreenGuard {
  /** Leave the alternate screen and restore cursor and modes; idempotent. */
  restore(): void;
  /** The signal that asked us to stop, if one did. */
  readonly signal: NodeJS.Signals | null;
}

export interface GuardOptions {
  stdout: OutStream;
  stdin?: InStream;
  proc?: ProcessLike;
  /** Synchronous write for the exit handler (default: stdout.write). */
  writeSync?: (s: string) => void;
  /** Called once when SIGTERM/SIGHUP/SIGINT arrive: unmount the app so the normal exit path runs. */
  onSignal?: (sig: NodeJS.Signals) => void;
  /** Called before a restore forced by a signal or by process exit (a crash): unmount the app first so
   *  its last frame lands on the alternate screen, not on the user's shell. Must be synchronous. */
  beforeForcedRestore?: () => void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

/** Enter the alternate screen and arm the restore on every exit path. */
export function enterAltScreen(opts: GuardOptions): ScreenGuard {
  const { stdout, stdin } = opts;
  const proc = opts.proc ?? (process as unknown as ProcessLike);
  const writeSync = opts.writeSync ?? ((s: string) => void stdout.write(s));
  const wasRaw = stdin?.isRaw === true;
  let restored = false;
  let signal: NodeJS.Signals | null = null;

  const sequence = RESET_MODES + SHOW_CURSOR + LEAVE_ALT_SCREEN;
  const undoRaw = () => {
    try {
      if (stdin?.isTTY && stdin.setRawMode && stdin.isRaw !== wasRaw) stdin.setRawMode(wasRaw);
    } catch {
      /* stdin may be gone already */
    }
  };

  const onExit = () => {
    if (restored) return;
    try {
      opts.beforeForcedRestore?.();
    } catch {
      /* restoring the terminal matters more */
    }
    restored = true;
    try {
      writeSync(sequence);
    } catch {
      /* nothing left to write to */
    }
    undoRaw();
    detach();
  };
  const onSignal = (...args: unknown[]) => {
    const sig = (typeof args[0] === 'string' ? args[0] : 'SIGTERM') as NodeJS.Signals;
    if (signal) return;
    signal = sig;
    try {
      opts.beforeForcedRestore?.();
    } catch {
      /* restoring the terminal matters more */
    }
    guard.restore();
    opts.onSignal?.(sig);
  };
  const detach = () => {
    proc.off('exit', onExit);
    for (const s of SIGNALS) proc.off(s, onSignal);
  };

  proc.on('exit', onExit);
  for (const s of SIGNALS) proc.on(s, onSignal);
  stdout.write(ENTER_ALT_SCREEN);

  const guard: ScreenGuard = {
    restore() {
      if (restored) return;
      restored = true;
      try {
        stdout.write(sequence);
      } catch {
        /* stdout closed */
      }
      undoRaw();
      detach();
    },
    get signal() {
      return signal;
    },
  };
  return guard;
}

/** Exit status for a run stopped by a signal (128 + its number), as shells report it. */
export function signalExitCode(sig: NodeJS.Signals | null): number {
  if (!sig) return 0;
  const n = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[sig as 'SIGHUP' | 'SIGINT' | 'SIGTERM'] ?? 15;
  return 128 + n;
}
