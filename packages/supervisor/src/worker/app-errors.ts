import type { WorkerLimits } from '../protocol.js';
import { answerError, type RequestScope } from './serve.js';

/** Where an uncaught app error came from, as the worker's handlers see it. */
export type AppErrorKind = 'uncaught exception' | 'unhandled rejection';

/** What the AppErrors policy acts through (the worker entry, or a test). */
export interface AppErrorHooks {
  /** worker id, for the log line */
  id: number;
  policy: WorkerLimits['onAppError'];
  /** the request the error came from, when the error ran in one (its response, until that closed) */
  current: () => RequestScope | undefined;
  log: (line: string) => void;
  /** counts it in the worker's `exceptions` */
  count: () => void;
  /** asks the master for a successor, then to be retired (on-app-error = retire) */
  retire: (detail: string) => void;
  /** ends the worker now (on-app-error = exit) */
  exit: () => void;
}

/**
 * The worker's policy for errors the app did not catch and did not return:
 * a throw in a timer or an event handler, a promise nobody awaits (Express 4
 * async routes). Node's default ends the process, and with it every request
 * in flight on the worker; here only the request the error came from fails
 * (500 when nothing was sent yet), the error is logged and counted, and the
 * worker — whose state the error may have left inconsistent — is replaced
 * gracefully: its successor starts first and it drains (on-app-error = retire).
 */
export class AppErrors {
  private retiring = false;

  constructor(private readonly hooks: AppErrorHooks) {}

  /** Handles one uncaught error; never throws. */
  handle(kind: AppErrorKind, err: unknown): void {
    const h = this.hooks;
    h.count();
    const scope = h.current();
    const res = scope?.res;
    const where = scope ? `in ${scope.method} ${scope.url}` : 'outside any request';
    // A throw from here would end the process after all (Node exits on an error in its
    // uncaughtException handler): a full log pipe or a half-torn response is not worth that.
    attempt(() => h.log(`tsgi worker ${h.id} (pid: ${process.pid}): ${kind} ${where}: ${describe(err)}`));
    if (res) attempt(() => answerError(res));
    if (h.policy === 'exit') {
      h.log(`tsgi worker ${h.id} (pid: ${process.pid}): on-app-error = exit: exiting`);
      h.exit();
    } else if (h.policy === 'retire' && !this.retiring) {
      this.retiring = true;
      h.log(`tsgi worker ${h.id} (pid: ${process.pid}): on-app-error = retire: asking for a successor, then draining`);
      h.retire(`${kind} ${where}`);
    }
  }
}

function attempt(f: () => void): void {
  try {
    f();
  } catch {
    // see handle()
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return `non-error value ${typeof err === 'string' ? JSON.stringify(err) : String(err)}`;
  } catch {
    return 'non-error value';
  }
}
