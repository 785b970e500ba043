/**
 * How late EventBridge delivers: for each message, its arrival (monitor clock) minus the time
 * EventBridge took the event (the envelope's `time`). Genesys queues events while AWS is
 * unreachable and retries for up to four days, and a backlog in the queue ages its messages: the
 * longest lag seen lately is how far back events may still arrive, so the watermark is held
 * back by it. Pure: the caller gives the times. Two buckets of `windowMs` (the current and the
 * previous one) keep it O(1) per message; a lag is remembered between one and two windows.
 */
export class DeliveryLag {
  private current: number | null = null;
  private previous: number | null = null;
  private bucketStart: number | null = null;

  constructor(private readonly windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError(`delivery lag window must be > 0 ms, got ${windowMs}`);
  }

  /** A message that EventBridge took at `eventTime` arrived at `now` (both monitor clock, ms). */
  see(eventTime: number, now: number): void {
    this.roll(now);
    const lag = Math.max(0, now - eventTime);
    if (this.current === null || lag > this.current) this.current = lag;
  }

  /** The longest lag in the last one to two windows (ms), or null when none was seen. */
  max(now: number): number | null {
    this.roll(now);
    if (this.current === null) return this.previous;
    return this.previous === null ? this.current : Math.max(this.current, this.previous);
  }

  private roll(now: number): void {
    if (this.bucketStart === null) {
      this.bucketStart = now;
      return;
    }
    const elapsed = now - this.bucketStart;
    if (elapsed < this.windowMs) return;
    this.previous = elapsed < 2 * this.windowMs ? this.current : null;
    this.current = null;
    this.bucketStart = elapsed < 2 * this.windowMs ? this.bucketStart + this.windowMs : now;
  }
}
