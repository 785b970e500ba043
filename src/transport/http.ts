/**
 * The one HTTP transport every outgoing call goes through (Genesys REST now; sinks and PagerDuty
 * later): one classification of answers and one retry policy.
 *   2xx                       -> ok
 *   429, 503 with Retry-After -> wait what the server asked (capped), then retry
 *   408, 429, 5xx, network    -> capped, jittered exponential backoff, then retry
 *   other 4xx                 -> give up at once (the request itself is wrong)
 */
export type Verdict = "ok" | "retry-after" | "backoff" | "give-up";

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
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : null;
}

/** Capped exponential backoff with full jitter (AWS architecture blog's "full jitter"). */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for (Java SDK: 180 s, "daily limit"). */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 30_000, maxRetryAfterMs: 180_000, timeoutMs: 30_000 };

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Bytes for binary bodies (remote write's snappy protobuf). */
  body?: string | Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export class HttpError extends Error {
  constructor(
    readonly request: HttpRequest,
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
  }
}

export interface TransportStats {
  requests: number;
  retries: number;
  failures: number;
  byStatus: Record<string, number>;
}

export class HttpTransport {
  readonly stats: TransportStats = { requests: 0, retries: 0, failures: 0, byStatus: {} };

  constructor(
    readonly policy: RetryPolicy = defaultRetryPolicy,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Sends with retries. Resolves with the final response when it is ok, or when the answer is
   * one not to retry and `acceptStatus` includes it; otherwise throws an HttpError naming the
   * request, status and body.
   */
  async send(req: HttpRequest, acceptStatus: (status: number) => boolean = () => false): Promise<HttpResponse> {
    let lastError = "";
    for (let attempt = 0; attempt < this.policy.maxAttempts; attempt++) {
      if (attempt > 0) this.stats.retries++;
      this.stats.requests++;
      let res: HttpResponse;
      try {
        const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(this.policy.timeoutMs) });
        res = { status: r.status, headers: r.headers, text: await r.text() };
      } catch (e) {
        this.count("network");
        lastError = `${req.method} ${req.url}: ${(e as Error).message}`;
        await this.sleep(backoffMs(attempt, this.policy.baseDelayMs, this.policy.maxDelayMs));
        continue;
      }
      this.count(String(res.status));
      const verdict = classify(res.status, res.headers.get("retry-after"));
      if (verdict === "ok" || (verdict === "give-up" && acceptStatus(res.status))) return res;
      lastError = `${req.method} ${req.url} answered ${res.status}: ${res.text.slice(0, 300)}`;
      if (verdict === "give-up") break;
      if (verdict === "retry-after") {
        const wait = retryAfterMs(res.headers.get("retry-after"))!;
        if (wait > this.policy.maxRetryAfterMs) break;
        await this.sleep(wait + backoffMs(0, 100, 100));
      } else {
        await this.sleep(backoffMs(attempt, this.policy.baseDelayMs, this.policy.maxDelayMs));
      }
      if (attempt === this.policy.maxAttempts - 1) break;
      void res;
    }
    this.stats.failures++;
    const status = Number(/answered (\d{3})/.exec(lastError)?.[1] ?? 0);
    throw new HttpError(req, status, lastError, lastError || `${req.method} ${req.url} failed`);
  }

  private count(key: string): void {
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }
}
