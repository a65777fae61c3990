/**
 * Coded errors of the spooler API, thrown to the app by `spool()` or logged by
 * a spooler process. They live here rather than in ../errors.ts only because
 * this folder was built apart from the master; they follow the same rules
 * (stable, never reused), are listed in docs/errors.md, and ../errors.test.ts
 * checks this list against that doc in both directions.
 */
export const SPOOLER_ERROR_CODES = [
  /** `spool()` found neither a spooler directory nor an inline handler for the task */
  'TSGI_SPOOLER_NOT_CONFIGURED',
  /** a task name, args, `at` or priority that cannot be written as a task file */
  'TSGI_SPOOLER_BAD_TASK',
  /** the `spooler-import` module cannot be loaded or exports no handler */
  'TSGI_SPOOLER_IMPORT',
] as const;

export type SpoolerErrorCode = (typeof SPOOLER_ERROR_CODES)[number];

export class SpoolerError extends Error {
  constructor(
    readonly code: SpoolerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SpoolerError';
  }
}
