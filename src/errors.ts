// Errors meant for the user: the entry point prints their message as one line and exits with their code.

/** A problem the user caused or can fix (bad path, corrupt dump, unknown device): one line, no stack. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}
