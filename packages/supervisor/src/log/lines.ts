/** The longest line kept waiting for its end; a longer one is written in pieces of this size. */
export const MAX_PENDING_LINE = 64 * 1024;

const NEWLINE = 0x0a;
const NL = Buffer.from('\n');

/**
 * Cuts what one child writes to one pipe into whole lines, so that the master never
 * writes half a line of one worker next to another worker's: a chunk's complete lines
 * go out at once, its unfinished last line waits for the next chunk (or for the end of
 * the stream, or for MAX_PENDING_LINE bytes). With `prefix`, each line gets it (the
 * date, the worker id); the prefix is asked once per chunk. A chunk may be a buffer the
 * reader reuses: what waits is copied, and `emit` must be done with its bytes when it returns.
 */
export class LineAssembler {
  private pending: Buffer | undefined;

  constructor(
    private readonly emit: (lines: Buffer) => void,
    private readonly prefix?: () => string,
  ) {}

  /** One chunk of the stream. */
  push(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(NEWLINE);
    if (nl === -1) {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
      if (this.pending.length >= MAX_PENDING_LINE) this.end();
      return;
    }
    const whole = this.pending ? Buffer.concat([this.pending, chunk.subarray(0, nl + 1)]) : chunk.subarray(0, nl + 1);
    this.pending = nl + 1 < chunk.length ? Buffer.from(chunk.subarray(nl + 1)) : undefined;
    this.emit(this.prefix ? prefixed(whole, this.prefix()) : whole);
  }

  /** The stream ended (or a line grew too long): what is left goes out as a line of its own. */
  end(): void {
    if (!this.pending) return;
    const rest = Buffer.concat([this.pending, NL]);
    this.pending = undefined;
    this.emit(this.prefix ? prefixed(rest, this.prefix()) : rest);
  }
}

/** `lines` (whole lines) with `prefix` at the head of each. */
function prefixed(lines: Buffer, prefix: string): Buffer {
  if (prefix === '') return lines;
  const head = Buffer.from(prefix);
  const parts: Buffer[] = [];
  for (let start = 0; start < lines.length; ) {
    const nl = lines.indexOf(NEWLINE, start);
    const end = nl === -1 ? lines.length : nl + 1;
    parts.push(head, lines.subarray(start, end));
    start = end;
  }
  return Buffer.concat(parts);
}
