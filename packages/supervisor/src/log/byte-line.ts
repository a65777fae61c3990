/**
 * Writes a log line straight into a buffer, piece by piece: constant pieces as bytes,
 * text as latin1, numbers digit by digit. No string of the line is made, so nothing is
 * concatenated and then flattened to be copied (bench/request-log.mjs: about a fifth of
 * what uWSGI's default line costs a worker). The caller makes sure the line fits.
 */
export class ByteLine {
  /** where the next byte goes */
  at = 0;

  constructor(readonly buffer: Buffer) {}

  bytes(piece: Uint8Array): void {
    const n = piece.length;
    if (n > 16) {
      this.buffer.set(piece, this.at);
    } else {
      // a short piece is copied faster by hand than by TypedArray.set
      const buf = this.buffer;
      const at = this.at;
      for (let i = 0; i < n; i++) buf[at + i] = piece[i]!;
    }
    this.at += n;
  }

  byte(b: number): void {
    this.buffer[this.at++] = b;
  }

  /** Text as latin1 (a character above 255 keeps its low byte, as Buffer's latin1 does). */
  text(s: string): void {
    const n = s.length;
    if (n > 16) {
      this.at += this.buffer.write(s, this.at, 'latin1');
      return;
    }
    const buf = this.buffer;
    const at = this.at;
    for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
    this.at = at + n;
  }

  /** A non-negative integer in decimal. */
  number(x: number): void {
    if (!(x >= 0 && x < 2147483648 && x === Math.floor(x))) return this.text(String(x));
    const buf = this.buffer;
    let digits = 1;
    for (let t = x; t >= 10; t = (t / 10) | 0) digits++;
    let p = this.at + digits;
    this.at = p;
    do {
      buf[--p] = 48 + (x % 10);
      x = (x / 10) | 0;
    } while (x > 0);
  }
}
