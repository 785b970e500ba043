/**
 * The one HTTP transport every outgoing call goes through (Genesys REST now; sinks and PagerDuty
 * later): one classification of answers and one retry policy (./retry.ts).
 *   2xx                       -> ok
 *   429, 503 with Retry-After -> wait what the server asked (capped), then retry
 *   408, 429, 5xx, network    -> capped, jittered exponential backoff, then retry
 *   other 4xx                 -> give up at once (the request itself is wrong)
 * A failure is an HttpError carrying the status and a kind as fields, and never the request's
 * headers or body: those hold credentials (Basic on the token call, Bearer everywhere else).
 */
import { excerpt, redact } from "../util/redact.js";
import { classify, defaultRetryPolicy, retryDelayMs, backoffMs, retryAfterMs, type RetryPolicy } from "./retry.js";
import type { RateLimiter } from "./rate-limit.js";


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

/**
 * What went wrong, for callers and the monitor's health report:
 *  - auth: 401 / 403, or the token endpoint refused the client (invalid_client): permanent
 *    until someone fixes credentials or permissions;
 *  - request: any other 4xx: this request will never succeed as it is (permanent);
 *  - server: 408 / 429 / 5xx still failing after the retries (transient);
 *  - network: no answer at all (transient);
 *  - protocol: an answer we cannot read (e.g. not JSON where JSON is due).
 */
export type HttpErrorKind = "auth" | "request" | "server" | "network" | "protocol";

export function kindOf(status: number): HttpErrorKind {
  if (status === 0) return "network";
  if (status === 401 || status === 403) return "auth";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "request";
  return "server";
}

export class HttpError extends Error {
  override readonly name = "HttpError";
  /** Method and URL without query string or user info (neither belongs in a log). */
  readonly method: string;
  readonly url: string;
  /** The last HTTP status seen; 0 when the server never answered. */
  readonly status: number;
  readonly kind: HttpErrorKind;
  /** A redacted excerpt of the answer's body (at most ~200 characters). */
  readonly body: string;

  constructor(init: { method: string; url: string; status: number; body?: string; kind?: HttpErrorKind; message: string }) {
    super(redact(init.message));
    this.method = init.method;
    this.url = safeUrl(init.url);
    this.status = init.status;
    this.kind = init.kind ?? kindOf(init.status);
    this.body = init.body === undefined ? "" : excerpt(init.body);
  }

  /** A retry cannot fix it: credentials, permissions or the request itself are wrong. */
  get permanent(): boolean {
    return this.kind === "auth" || this.kind === "request";
  }
}

/** The URL without query string and credentials; a path is returned as is. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.split("?")[0];
  }
}

export interface TransportStats {
  requests: number;
  retries: number;
  failures: number;
  byStatus: Record<string, number>;
}

/** Which rate limiter a request goes through (none: sent at once); `priority` jumps the queue. */
export type Gate = (req: HttpRequest) => { limiter: RateLimiter; priority?: boolean } | undefined;

export class HttpTransport {
  readonly stats: TransportStats = { requests: 0, retries: 0, failures: 0, byStatus: {} };
  /** Set by the owner: per-token rate limits (./rate-limit.ts); every attempt, retries included, takes a token. */
  gate: Gate | undefined;

  constructor(
    readonly policy: RetryPolicy = defaultRetryPolicy,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Sends with retries. Resolves with the final response when it is ok, or when the answer is
   * one not to retry and `acceptStatus` includes it; otherwise throws an HttpError with the
   * last status, its kind and a redacted excerpt of the body.
   */
  async send(req: HttpRequest, acceptStatus: (status: number) => boolean = () => false): Promise<HttpResponse> {
    const where = `${req.method} ${safeUrl(req.url)}`;
    let last: { status: number; body: string; message: string } = { status: 0, body: "", message: `${where} failed` };
    for (let attempt = 0; attempt < this.policy.maxAttempts; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const gate = this.gate?.(req);
      const release = gate ? await gate.limiter.acquire(gate.priority) : undefined;
      this.stats.requests++;
      let res: HttpResponse;
      try {
        const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(this.policy.timeoutMs) });
        res = { status: r.status, headers: r.headers, text: await r.text() };
      } catch (e) {
        release?.();
        this.count("network");
        last = { status: 0, body: "", message: `${where}: ${(e as Error).message}` };
        if (attempt < this.policy.maxAttempts - 1) await this.sleep(backoffMs(attempt, this.policy.baseDelayMs, this.policy.maxDelayMs));
        continue;
      }
      release?.();
      // A 429 pauses every request of the token, not only this one's retry.
      if (gate && res.status === 429) gate.limiter.throttled(retryAfterMs(res.headers.get("retry-after")) ?? backoffMs(attempt, this.policy.baseDelayMs, this.policy.maxDelayMs));
      this.count(String(res.status));
      const verdict = classify(res.status, res.headers.get("retry-after"));
      if (verdict === "ok" || (verdict === "give-up" && acceptStatus(res.status))) return res;
      last = { status: res.status, body: res.text, message: `${where} answered ${res.status}: ${excerpt(res.text)}` };
      if (verdict === "give-up" || attempt === this.policy.maxAttempts - 1) break;
      const wait = retryDelayMs(attempt, this.policy, verdict === "retry-after" ? res.headers.get("retry-after") : null);
      if (wait === null) break; // Retry-After beyond what we wait for
      await this.sleep(wait);
    }
    this.stats.failures++;
    throw new HttpError({ method: req.method, url: req.url, status: last.status, body: last.body, message: last.message });
  }

  private count(key: string): void {
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }
}
