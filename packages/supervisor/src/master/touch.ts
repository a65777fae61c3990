import { statSync } from 'node:fs';

/**
 * `touch-reload` (uWSGI's `uwsgi_check_touches()`): a file triggers when its mtime grows,
 * when it appears after being missing, and when it is deleted.
 */
export class TouchWatcher {
  private readonly seen = new Map<string, number | undefined>();

  constructor(files: readonly string[]) {
    for (const f of files) this.seen.set(f, mtime(f));
  }

  /** Files missing at start, for uWSGI's "unable to stat()" notice. */
  missing(): string[] {
    return [...this.seen].filter(([, m]) => m === undefined).map(([f]) => f);
  }

  /** The files touched since the previous call. */
  check(): string[] {
    const touched: string[] = [];
    for (const [file, before] of this.seen) {
      const now = mtime(file);
      if (now !== before && (before === undefined || now === undefined || now > before)) touched.push(file);
      this.seen.set(file, now);
    }
    return touched;
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
