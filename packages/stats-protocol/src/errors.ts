/**
 * Errors from reading a stats server. Each has a stable `code` so callers (tsgitop's
 * "server went away" screen, e2e tests) branch on the code, not on the wording.
 */

export type StatsErrorCode =
  /** The address string cannot be understood. */
  | 'ERR_STATS_ADDRESS'
  /** Nothing listens there (ECONNREFUSED, or a unix socket path that does not exist). */
  | 'ERR_STATS_UNREACHABLE'
  /** The server did not finish its answer within the timeout. */
  | 'ERR_STATS_TIMEOUT'
  /** The connection closed without any data. */
  | 'ERR_STATS_EMPTY'
  /** The answer exceeded `maxBytes`. */
  | 'ERR_STATS_TOO_LARGE'
  /** An HTTP stats server answered with a status other than 200, or not with HTTP. */
  | 'ERR_STATS_HTTP'
  /** The answer is not a stats document. */
  | 'ERR_STATS_DECODE'
  /** Any other socket error (permission denied, reset, DNS...). */
  | 'ERR_STATS_IO';

/** A failure to read stats; `address` is the address as the user wrote it. */
export class StatsError extends Error {
  override readonly name = 'StatsError';

  constructor(
    readonly code: StatsErrorCode,
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
