/**
 * Coded errors of the spooler (STYLE 10). They live here, not in ../errors.ts,
 * only because this folder was built apart from the master; the codes are
 * stable and meant to join SupervisorErrorCode and docs/errors.md.
 */
export type SpoolerErrorCode =
  /** `spool()` found neither a spooler directory nor an inline handler for the task */
  | 'TSGI_SPOOLER_NOT_CONFIGURED'
  /** a task name, args, `at` or priority that cannot be written as a task file */
  | 'TSGI_SPOOLER_BAD_TASK'
  /** the `spooler-import` module cannot be loaded or exports no handler */
  | 'TSGI_SPOOLER_IMPORT';

export class SpoolerError extends Error {
  constructor(
    readonly code: SpoolerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SpoolerError';
  }
}
