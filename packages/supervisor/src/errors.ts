/**
 * Coded errors of the supervisor (STYLE 10). Codes are stable and documented
 * in docs/errors.md; a code is never reused for another meaning.
 */
export type SupervisorErrorCode =
  | 'TSGI_NODE_UNSUPPORTED'
  | 'TSGI_BIND_FAILED'
  | 'TSGI_LISTEN_FAILED'
  | 'TSGI_PIDFILE_MISSING'
  | 'TSGI_PIDFILE_INVALID'
  | 'TSGI_NO_SUCH_PROCESS'
  | 'TSGI_PRIVILEGES'
  | 'TSGI_LOGTO'
  | 'TSGI_FIFO_FAILED';

export class SupervisorError extends Error {
  constructor(
    readonly code: SupervisorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SupervisorError';
  }
}
