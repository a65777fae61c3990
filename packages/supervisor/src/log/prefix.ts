import { parseLogDate, parseLogPrefix, type LogChunk } from '@tsgi/config';
import { ctime } from './ctime.js';
import { everySecond, strftime } from './strftime.js';

/** What heads the lines that are not request lines. */
export interface PrefixSettings {
  /** `logdate`: `true`, a strftime format, or off */
  logdate: string | undefined;
  /** `log-prefix`: a template with strftime conversions and %(wid), %(pid) */
  logPrefix: string | undefined;
}

/**
 * The head of every line the master writes that is not a request line (its own, and
 * the app's stdout and stderr): `logdate`'s date and " - " as uWSGI writes it, then the
 * `log-prefix` of the process that wrote the line and a space. Request lines carry
 * their time in their own format, and a JSON line must stay one JSON object.
 */
export class LinePrefixes {
  /** whether lines carry a date of their own (the master's verbose lines then need no other) */
  readonly dated: boolean;
  private readonly date: ((d: Date) => string) | undefined;
  private readonly template: readonly LogChunk[] | undefined;

  constructor(s: PrefixSettings) {
    const date = parseLogDate(s.logdate);
    this.date = date.kind === 'ctime' ? ctime : date.kind === 'strftime' ? strftime(date.format) : undefined;
    this.dated = this.date !== undefined;
    const parsed = s.logPrefix === undefined ? undefined : parseLogPrefix(s.logPrefix);
    // the config was checked at load: a template that does not parse here cannot happen
    this.template = parsed?.ok ? parsed.value : undefined;
  }

  /** Whether lines get any head at all (none: the app's output is copied as it is). */
  get any(): boolean {
    return this.date !== undefined || this.template !== undefined;
  }

  /**
   * The head for the lines of one process (`wid` 0 for the master and the spoolers), at
   * the time it is asked: recomputed once a second.
   */
  forProcess(wid: number, pid: number, now: () => number = Date.now): () => string {
    if (!this.any) return () => '';
    const date = this.date;
    // the ids are digits, so strftime reads the filled-in template as the user wrote it
    const tag = this.template && strftime(this.template.map((c) => ('text' in c ? c.text : String(c.name === 'wid' ? wid : pid))).join(''));
    const render = everySecond((d) => `${date ? `${date(d)} - ` : ''}${tag ? `${tag(d)} ` : ''}`);
    return () => render(now());
  }
}
