/**
 * Coded errors of the supervisor. Each code is stable, listed in docs/errors.md
 * and never reused for another meaning (docs/conventions.md, "Coded errors");
 * errors.test.ts fails when this list and the doc disagree in either direction.
 */
export const SUPERVISOR_ERROR_CODES = [
  'TSGI_NODE_UNSUPPORTED',
  'TSGI_BIND_FAILED',
  'TSGI_SOCKET_IN_USE',
  'TSGI_LISTEN_FAILED',
  'TSGI_PIDFILE_MISSING',
  'TSGI_PIDFILE_INVALID',
  'TSGI_NO_SUCH_PROCESS',
  'TSGI_NOT_A_MASTER',
  'TSGI_PIDFILE_LIVE',
  'TSGI_PIDFILE_WRITE',
  'TSGI_PRIVILEGES',
  'TSGI_PRIVILEGES_UNVERIFIED',
  'TSGI_LOGTO',
  'TSGI_FIFO_FAILED',
] as const;

export type SupervisorErrorCode = (typeof SUPERVISOR_ERROR_CODES)[number];

export class SupervisorError extends Error {
  constructor(
    readonly code: SupervisorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SupervisorError';
  }
}
