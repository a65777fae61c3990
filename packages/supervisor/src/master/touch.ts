import { statSync } from 'node:fs';

/**
 * The touch files (uWSGI's `uwsgi_check_touches()`): a file triggers when its mtime grows,
 * when it appears after being missing, and when it is deleted. Each file is watched for
 * what it asks (`T`: the control of `touch-reload`, `touch-chain-reload`, ...); a file
 * named by two options triggers both.
 */
export class TouchWatcher<T = string> {
  private readonly watched: { file: string; asks: T; mtime: number | undefined }[];

  constructor(files: ReadonlyArray<readonly [file: string, asks: T]>) {
    this.watched = files.map(([file, asks]) => ({ file, asks, mtime: mtime(file) }));
  }

  /** Files missing at start, for uWSGI's "unable to stat()" notice. */
  missing(): string[] {
    return [...new Set(this.watched.filter((w) => w.mtime === undefined).map((w) => w.file))];
  }

  /** The files touched since the previous call, with what each asks. */
  check(): { file: string; asks: T }[] {
    const touched: { file: string; asks: T }[] = [];
    for (const w of this.watched) {
      const now = mtime(w.file);
      if (now !== w.mtime && (w.mtime === undefined || now === undefined || now > w.mtime)) touched.push({ file: w.file, asks: w.asks });
      w.mtime = now;
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
