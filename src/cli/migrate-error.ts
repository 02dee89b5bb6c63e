/**
 * An end of `transplant migrate` that is no bug: a refused or failed preflight, a timeout, an
 * interrupt, a garden that refused or could not be reached. It carries its outcome (hence the exit
 * code, migrate-outcome.ts `EXIT_CODES`), a one-line message, and what to do next where there is
 * something.
 */
import type { Outcome } from './migrate-outcome.js';

export class MigrateError extends Error {
  readonly outcome: Outcome;
  readonly hint: string | undefined;

  constructor(outcome: Outcome, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MigrateError';
    this.outcome = outcome;
    this.hint = options.hint;
  }
}
