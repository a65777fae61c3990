/**
 * The poller: asks one stats server for its document, and only after the answer (or the
 * failure) arms the timer for the next ask, as PM2's dashboard does. A slow or hung
 * server therefore never has two requests piling up on it, and every ask is bounded by
 * `timeoutMs`. Each outcome is handed to `onResult`; the poller never throws at callers.
 */
import { decodeStats, fetchStatsText, StatsError, type ReadOptions, type StatsDocument } from '@tsgi/stats-protocol';

/** What one ask produced. `down` covers every way of not getting an answer at all. */
export type PollOutcome =
  | { kind: 'document'; doc: StatsDocument; warnings: string[] }
  | { kind: 'malformed'; error: string }
  | { kind: 'down'; error: string; code: string };

export interface PollResult {
  address: string;
  /** Wall clock when the answer arrived, epoch ms: shown on screen. */
  at: number;
  /** Monotonic ms when the answer arrived: rates are computed from it, immune to clock jumps. */
  clock: number;
  outcome: PollOutcome;
}

export type FetchText = (address: string, options: ReadOptions) => Promise<string>;

export interface PollerOptions {
  /** Wait between an answer and the next ask. */
  intervalMs: number;
  /** Bound on one ask. Default 3000 ms. */
  timeoutMs?: number;
  /** Injected by tests; `fetchStatsText` of `@tsgi/stats-protocol` otherwise. */
  fetchText?: FetchText;
  now?: () => number;
  clock?: () => number;
  /** Called if `onResult` itself throws: a bug, which main turns into a clean exit. */
  onFatal?: (error: unknown) => void;
}

const DEFAULT_TIMEOUT_MS = 3000;

export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private running = false;
  private intervalMs: number;

  constructor(
    readonly address: string,
    private readonly options: PollerOptions,
    private readonly onResult: (result: PollResult) => void,
  ) {
    this.intervalMs = options.intervalMs;
  }

  /** Starts polling with an immediate first ask. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollNow();
  }

  /** Stops polling; an ask already in flight completes but is not reported. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Changes the wait (`f` fast mode); a wait already running is re-armed with the new value. */
  setInterval(intervalMs: number): void {
    this.intervalMs = intervalMs;
    if (this.running && this.timer !== undefined) this.arm();
  }

  /** Asks now unless an ask is already in flight (then its answer arrives soon anyway). */
  pollNow(): void {
    if (!this.running || this.inFlight) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = true;
    this.askOnce()
      .then((outcome) => {
        this.inFlight = false;
        if (!this.running) return;
        const now = this.options.now ?? Date.now;
        const clock = this.options.clock ?? (() => performance.now());
        this.onResult({ address: this.address, at: now(), clock: clock(), outcome });
        this.arm();
      })
      .catch(this.options.onFatal ?? rethrowLater);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => this.pollNow(), this.intervalMs);
  }

  /** One bounded ask, every failure turned into an outcome. */
  private async askOnce(): Promise<PollOutcome> {
    const fetchText = this.options.fetchText ?? fetchStatsText;
    let text: string;
    try {
      text = await fetchText(this.address, { timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof StatsError) return { kind: 'down', error: error.message, code: error.code };
      return { kind: 'down', error: error instanceof Error ? error.message : String(error), code: 'ERR_UNKNOWN' };
    }
    const decoded = decodeStats(text);
    if (!decoded.ok) return { kind: 'malformed', error: decoded.error };
    return { kind: 'document', doc: decoded.doc, warnings: decoded.warnings };
  }
}

/** Lets a bug in a result handler reach the process's uncaughtException handler. */
function rethrowLater(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}
