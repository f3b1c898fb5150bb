// Errors meant for the user: the entry point prints their message as one line and exits with their code.

const USER_ERROR = Symbol.for('p2p.UserError');

/** A problem the user caused or can fix (bad path, corrupt dump, unknown device): one line, no stack. */
export class UserError extends Error {
  readonly [USER_ERROR] = true;

  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }

  /**
   * The CLI bundle and the TUI's Ink bundle (dist/cli/) can each carry a copy of this class, and an error
   * thrown under Ink reaches the CLI's entry point: `instanceof UserError` recognises either copy's errors.
   * Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== UserError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [USER_ERROR]?: unknown })[USER_ERROR] === true;
  }
}
