/**
 * A growable byte buffer the encoders write bodies into. At 5,000 queues x 2 media a body is
 * ~400,000 lines (70 MB): built as strings, every line and its pieces stay alive on the heap
 * until the final join, and the collector's work grows with them. Here the pieces
 * that repeat (names, label sets) are bytes made once and copied; only each value is a string.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint = 64 * 1024, pool?: BufferPool) {
    const size = Math.max(1024, sizeHint);
    this.buf = pool ? pool.take(size) : Buffer.allocUnsafe(size);
  }

  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes: the put* methods that follow do not check. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  put(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  putByte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A finite number as String(v) spells it; needs 25 bytes reserved (safe integers digit by digit: no string made). */
  putNumber(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (Number.isSafeInteger(v)) {
      let n = v;
      if (n < 0) {
        buf[pos++] = 45; // "-"
        n = -n;
      }
      let digits = 1;
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
      let p = pos + digits;
      this.pos = p;
      while (n >= 10) {
        buf[--p] = 48 + (n % 10);
        n = Math.floor(n / 10);
      }
      buf[p - 1] = 48 + n;
      return;
    }
    const s = String(v);
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i); // ASCII only
    this.pos = pos;
  }

  /** Unsigned varint of a non-negative safe integer (needs 10 bytes reserved). */
  putVarint(n: number): void {
    while (n >= 128) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  /** A little-endian double (needs 8 bytes reserved). */
  putDouble(v: number): void {
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.put(b);
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** A number as String(v) spells it. */
  number(v: number): void {
    if (Number.isFinite(v)) {
      this.reserve(25);
      this.putNumber(v);
    } else this.text(String(v));
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

/**
 * The size the next body will likely need: the last one's per-sample size times this one's
 * sample count, with a margin. Growing a 70 MB buffer copies it and touches fresh pages.
 */
export class SizeHint {
  private perSample: number;
  private samples = 0;
  constructor(initialPerSample: number) {
    this.perSample = initialPerSample;
  }

  next(samples: number): number {
    this.samples = samples;
    return Math.ceil(samples * this.perSample * 1.1) + 64 * 1024;
  }

  /** Records the body just made (returns it). */
  last<T extends Uint8Array>(body: T): T {
    if (this.samples > 0) this.perSample = Math.max(16, body.length / this.samples);
    return body;
  }
}

/**
 * Buffers a sink's bodies are written into, taken back once the runner is done with a body.
 * A new 70 MB buffer per body is external memory, and V8 answers every ~64 MB of it with a
 * collection of the whole heap (hundreds of ms with the engine's state of 5,000 queues).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 2) {}

  /** The smallest kept buffer that fits, else a new one. */
  take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) if (this.free[i].length >= size && (best < 0 || this.free[i].length < this.free[best].length)) best = i;
    if (best >= 0) return this.free.splice(best, 1)[0];
    return Buffer.allocUnsafe(size);
  }

  /** Gives back the buffer a body was written into (a view of it is enough). */
  give(body: Uint8Array): void {
    const ab = body.buffer;
    // Only whole buffers of their own: never a slice of Node's shared small-buffer pool (8 KB).
    if (body.byteOffset !== 0 || ab.byteLength < 64 * 1024 || !(ab instanceof ArrayBuffer)) return;
    if (this.free.some((b) => b.buffer === ab)) return;
    this.free.push(Buffer.from(ab, 0, ab.byteLength));
    // Keep the largest: bodies of every sink then fit in them (sizes differ by sink).
    if (this.free.length > this.keep) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i].length < this.free[smallest].length) smallest = i;
      this.free.splice(smallest, 1);
    }
  }
}

/**
 * The one pool of every big body (/metrics, each sink, remote write's uncompressed bytes): a
 * buffer is lent to one body at a time, and at most two are kept between uses, so the memory it
 * holds does not grow with the number of sinks.
 */
export const bodies = new BufferPool(2);
