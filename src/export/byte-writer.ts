/**
 * A growable byte buffer the encoders write bodies into. At 5,000 queues x 2 media a body is
 * ~400,000 lines (70 MB): built as strings, every line and its pieces stay alive on the heap
 * until the final join, and the collector's work grows with them (issue 12). Here the pieces
 * that repeat (names, label sets) are bytes made once and copied; only each value is a string.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, sizeHint));
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** A number as String(v) spells it (safe integers written digit by digit: no string made). */
  number(v: number): void {
    if (Number.isSafeInteger(v)) {
      this.ensure(17);
      let n = v;
      if (n < 0) {
        this.buf[this.pos++] = 45; // "-"
        n = -n;
      }
      if (n < 10) {
        this.buf[this.pos++] = 48 + n;
        return;
      }
      let digits = 1;
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
      let p = this.pos + digits;
      this.pos = p;
      while (n >= 10) {
        this.buf[--p] = 48 + (n % 10);
        n = Math.floor(n / 10);
      }
      this.buf[--p] = 48 + n;
      return;
    }
    const s = String(v);
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i); // ASCII only
  }

  /** The bytes written (a view: valid until the writer is written to again). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const encoded = new Map<string, Buffer>();
/** UTF-8 bytes of a string that repeats (metric names, fixed pieces), made once. */
export function utf8(s: string): Buffer {
  let b = encoded.get(s);
  if (b === undefined) {
    b = Buffer.from(s, "utf8");
    if (encoded.size < 10_000) encoded.set(s, b);
  }
  return b;
}
