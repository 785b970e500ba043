/**
 * The one retry policy of the project: every retry loop (HTTP transport, sink and PagerDuty
 * runners, channel (re)creation, rollover, queue discovery, backfill) waits what this module says.
 *
 *   classify(status)  2xx ok | 429/503 with Retry-After: wait that | 408, 429, 5xx: back off | other: give up
 *   delay             capped exponential with full jitter ("Exponential Backoff And Jitter",
 *                     AWS architecture blog): random in [0, min(cap, base * 2^attempt)], never
 *                     below a floor, so a run of tiny draws cannot become a tight loop.
 *   Retry-After       honoured when the server sends one, up to `maxRetryAfterMs` (plus < 100 ms
 *                     of jitter so many clients do not return at once). Inside one request a longer
 *                     one is not waited for (Java SDK: 180 s; a "daily limit" is not worth it).
 *
 * Two ways in, one implementation (delayMs):
 *   new Backoff(options)   a loop's state: next() gives the next wait and counts the attempt,
 *                          reset() after a success (runners, channels, discovery);
 *   delayMs(attempt, ...)  for loops whose attempt count lives elsewhere (a backfill job's).
 * Which numbers each destination uses: ./policy.ts.
 */
export type Verdict = "ok" | "retry-after" | "backoff" | "give-up";

/** How long to wait between tries. */
export interface BackoffOptions {
  /** Upper bound of the first wait (attempt 0); doubles per attempt. */
  baseMs: number;
  /** No wait is drawn above this. */
  capMs: number;
  /** Never wait less than this (default 0). */
  minMs?: number;
  /** A server's Retry-After is honoured up to this (default capMs). */
  maxRetryAfterMs?: number;
}

/** One request's retries inside the transport: attempts, timeout and the waits between them. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Floor of the waits between attempts (default 0). */
  minDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the request fails with it (HttpError.retryAfterMs). */
  maxRetryAfterMs: number;
  /** Per attempt, the answer's body included. */
  timeoutMs: number;
}

/** The delay options of a request policy (the transport's waits between attempts). */
export function backoffOf(p: RetryPolicy): BackoffOptions {
  return { baseMs: p.baseDelayMs, capMs: p.maxDelayMs, minMs: p.minDelayMs ?? 0, maxRetryAfterMs: p.maxRetryAfterMs };
}

export function classify(status: number, retryAfterHeader: string | null): Verdict {
  if (status >= 200 && status < 300) return "ok";
  if ((status === 429 || status === 503) && retryAfterHeader !== null) return "retry-after";
  if (status === 408 || status === 429 || status >= 500) return "backoff";
  return "give-up";
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : null;
}

/** The jitter draw alone: random in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  // 2 ** 1100 is Infinity, and min() keeps that at the cap: no overflow for long outages.
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt)));
}

/**
 * The wait before try `attempt + 1`: the server's Retry-After when it sent one (capped at
 * maxRetryAfterMs, with < 100 ms of jitter), else the jittered exponential draw; never below minMs.
 */
export function delayMs(attempt: number, o: BackoffOptions, retryAfter: number | null = null, random: () => number = Math.random): number {
  let d: number;
  if (retryAfter !== null && Number.isFinite(retryAfter) && retryAfter >= 0) {
    const asked = Math.min(retryAfter, o.maxRetryAfterMs ?? o.capMs);
    d = asked + (asked > 0 ? backoffMs(0, 100, 100, random) : 0);
  } else {
    d = backoffMs(attempt, o.baseMs, o.capMs, random);
  }
  return Math.max(o.minMs ?? 0, d);
}

/**
 * The transport's wait before attempt `attempt + 1` under `policy`; null: do not retry (the
 * server's Retry-After is beyond what one request waits for).
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs"> & { minDelayMs?: number }, retryAfterHeader: string | null = null, random: () => number = Math.random): number | null {
  const asked = retryAfterMs(retryAfterHeader);
  if (asked !== null && asked > policy.maxRetryAfterMs) return null;
  return delayMs(attempt, backoffOf({ ...policy, maxAttempts: 0, timeoutMs: 0 }), asked, random);
}

/** A retry loop's state: `next()` gives the next delay and counts the attempt; `reset()` after a success. */
export class Backoff {
  attempts = 0;

  constructor(
    readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next wait (ms); `retryAfterMs`: what the server asked for, if it did. */
  next(retryAfterMs?: number | null): number {
    const d = delayMs(this.attempts, this.options, retryAfterMs ?? null, this.random);
    this.attempts++;
    return d;
  }

  reset(): void {
    this.attempts = 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
