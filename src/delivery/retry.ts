/**
 * The one retry policy of the project: every retry loop (HTTP transport, channel (re)creation,
 * rollover, and later the service's own loops) waits what this module says.
 *
 *   classify(status)  2xx ok | 429/503 with Retry-After: wait that | 408, 429, 5xx: back off | other: give up
 *   backoff           capped exponential with full jitter ("Exponential Backoff And Jitter",
 *                     AWS architecture blog): random in [0, min(cap, base * 2^attempt)], with an
 *                     optional floor so a run of tiny draws cannot become a tight loop.
 *   Retry-After       honoured when the server sends it; longer than `maxRetryAfterMs`: give up
 *                     (Java SDK: 180 s, a "daily limit" is not worth waiting for).
 */
export type Verdict = "ok" | "retry-after" | "backoff" | "give-up";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 180_000, timeoutMs: 30_000 };

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

/** Capped exponential backoff with full jitter: random in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  // 2 ** 1100 is Infinity, and min() keeps that at the cap: no overflow for long outages.
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt)));
}

/**
 * How long to wait before attempt `attempt + 1` under `policy`: the server's Retry-After when
 * it sent one (plus a little jitter so many clients do not return at once), else the backoff.
 * null: do not retry (Retry-After beyond the policy's limit).
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "maxRetryAfterMs">, retryAfterHeader: string | null = null, random: () => number = Math.random): number | null {
  const asked = retryAfterMs(retryAfterHeader);
  if (asked !== null) return asked > policy.maxRetryAfterMs ? null : asked + (asked > 0 ? backoffMs(0, 100, 100, random) : 0);
  return backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs, random);
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Never wait less than this (keeps an unlucky run of jitter draws from spinning). */
  minMs?: number;
}

/** A retry loop's state: `next()` gives the next delay and counts the attempt; `reset()` after a success. */
export class Backoff {
  attempts = 0;

  constructor(
    readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  next(retryAfterMs?: number | null): number {
    const d = retryAfterMs != null && retryAfterMs >= 0 ? retryAfterMs : backoffMs(this.attempts, this.options.baseMs, this.options.capMs, this.random);
    this.attempts++;
    return Math.max(this.options.minMs ?? 0, d);
  }

  reset(): void {
    this.attempts = 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
