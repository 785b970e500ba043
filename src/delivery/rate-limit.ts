/**
 * Client-side rate limiter for one API token ("300 requests per minute per token",
 * genesys-api.md "Rate limits / 429"), so a first start pages analytics as fast as the limit
 * allows without ever earning a 429.
 *
 * Shape: a bucket of `limit` tokens. A request takes one before it is sent, and the token comes
 * back `windowMs` after the response arrived. Why not a classic refill-at-rate bucket: the server
 * counts requests in a window ("N per minute"); a bucket refilling at N/window with any burst
 * capacity on top can put more than N requests in some window, and the server sees a request at
 * some moment between our send and our receipt. Returning the token a full window after the
 * receipt makes every window at the server hold at most `limit` of our requests, whatever the
 * latency (cost: one round trip per window of throughput, under 1 % at 60 s).
 *
 * A 429 with Retry-After (or without: a short backoff) pauses every request of the token until
 * then; priority requests (channel and subscription calls) go ahead of queued backfill pages.
 */
export interface RateLimitOptions {
  /** Requests allowed per window (300 on Genesys Cloud). */
  limit: number;
  windowMs: number;
  /** Clock (tests); real ms. */
  now?: () => number;
}

export interface RateLimitStats {
  /** Requests let through. */
  granted: number;
  /** Requests that had to wait for a token, and the total wait (ms). */
  delayed: number;
  waitedMs: number;
  /** 429 answers reported back (each pauses the token). */
  throttled: number;
  /** Requests in flight or within a window of their response now. */
  inWindow: number;
  /** Requests waiting for a token now. */
  queued: number;
}

/** What a request does once its answer is in: hands its token back (always call it). */
export type Release = () => void;

interface Waiter {
  resolve: (release: Release) => void;
  since: number;
}

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** Receipt times of answered requests still inside the window, oldest first. */
  private readonly recent: number[] = [];
  private head = 0;
  private inFlight = 0;
  private pausedUntil = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly s = { granted: 0, delayed: 0, waitedMs: 0, throttled: 0 };

  constructor(o: RateLimitOptions) {
    if (!(o.limit >= 1) || !(o.windowMs > 0)) throw new Error(`rate limit must be >= 1 request per window > 0 ms (got ${o.limit} per ${o.windowMs} ms)`);
    this.limit = Math.floor(o.limit);
    this.windowMs = o.windowMs;
    this.now = o.now ?? Date.now;
  }

  /** Requests per minute at most (for projections and logs). */
  get perMinute(): number {
    return (this.limit * 60_000) / this.windowMs;
  }

  get stats(): RateLimitStats {
    this.expire(this.now());
    return { ...this.s, inWindow: this.inFlight + this.recent.length - this.head, queued: this.waiters.length };
  }

  /** Waits for a token; `priority` requests go ahead of those already waiting. */
  acquire(priority = false): Promise<Release> {
    const now = this.now();
    if (this.waiters.length === 0 && this.available(now)) return Promise.resolve(this.grant(now, now));
    return new Promise<Release>((resolve) => {
      const w = { resolve, since: now };
      if (priority) this.waiters.unshift(w);
      else this.waiters.push(w);
      this.schedule();
    });
  }

  /** The server said 429: nothing goes out for `ms` (its Retry-After, or a backoff). */
  throttled(ms: number): void {
    this.s.throttled++;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.max(0, ms));
    this.schedule();
  }

  /** Stops the wake-up timer (waiters are left pending: only for shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private available(now: number): boolean {
    this.expire(now);
    return now >= this.pausedUntil && this.inFlight + this.recent.length - this.head < this.limit;
  }

  private expire(now: number): void {
    while (this.head < this.recent.length && this.recent[this.head] <= now - this.windowMs) this.head++;
    // Compact now and then so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.recent.splice(0, this.head);
      this.head = 0;
    }
  }

  private grant(now: number, since: number): Release {
    this.s.granted++;
    if (now > since) {
      this.s.delayed++;
      this.s.waitedMs += now - since;
    }
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      this.recent.push(this.now());
      this.schedule();
    };
  }

  /** Hands tokens to waiters that can go now, and sets a timer for when the next one can. */
  private schedule(): void {
    const now = this.now();
    while (this.waiters.length > 0 && this.available(now)) {
      const w = this.waiters.shift()!;
      w.resolve(this.grant(now, w.since));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.waiters.length === 0) return;
    // Full with nothing answered yet: a release will call schedule() again.
    const oldest = this.head < this.recent.length ? this.recent[this.head] + this.windowMs : Infinity;
    const at = Math.max(this.pausedUntil, this.inFlight + this.recent.length - this.head < this.limit ? now : oldest);
    if (!Number.isFinite(at)) return;
    this.timer = setTimeout(() => this.schedule(), Math.max(1, at - now));
  }
}
