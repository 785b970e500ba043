/**
 * The one HTTP transport every outgoing call goes through (Genesys REST, the metric sinks,
 * PagerDuty): one classification of answers, one retry policy (./retry.ts) and one bound on what
 * is read of an answer (./policy.ts).
 *   2xx                       -> ok
 *   429, 503 with Retry-After -> wait what the server asked (capped), then retry
 *   408, 429, 5xx, network    -> capped, jittered exponential backoff, then retry
 *   other 4xx                 -> give up at once (the request itself is wrong)
 * The body is read as a stream and never past `maxBodyBytes`: a server answering gigabytes costs
 * the bound, not the process. Past it, a 2xx whose body is needed whole is an HttpError of kind
 * "too-large"; otherwise the answer keeps its status and `text` is the body's beginning.
 * A failure is an HttpError carrying the status and a kind as fields, and never the request's
 * headers or body: those hold credentials (Basic on the token call, Bearer everywhere else).
 */
import { excerpt, redact } from "../util/redact.js";
import { DELIVERY_PRESETS, type DeliveryPolicy } from "./policy.js";
import { backoffOf, Backoff, classify, delayMs, retryAfterMs, type RetryPolicy } from "./retry.js";
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
  /** The body as text: all of it, or (when `truncated`) its first 64 KiB. */
  text: string;
  /** The body went past the bound; the rest of it was not read. */
  truncated: boolean;
}

/**
 * What went wrong, for callers and the monitor's health report:
 *  - auth: 401 / 403, or the token endpoint refused the client (invalid_client): permanent
 *    until someone fixes credentials or permissions;
 *  - request: any other 4xx: this request will never succeed as it is (permanent);
 *  - server: 408 / 429 / 5xx still failing after the retries (transient);
 *  - network: no answer at all, or it broke off (transient);
 *  - protocol: an answer we cannot read (e.g. not JSON where JSON is due);
 *  - too-large: a 2xx whose body, needed whole, is over the bound (not retried at once: the same
 *    request would get the same answer; not permanent either, a later one may be smaller).
 */
export type HttpErrorKind = "auth" | "request" | "server" | "network" | "protocol" | "too-large";

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
  /** The wait the server asked for in its last answer (Retry-After), if it did: a runner honours it. */
  readonly retryAfterMs: number | null;

  constructor(init: { method: string; url: string; status: number; body?: string; kind?: HttpErrorKind; message: string; retryAfterMs?: number | null }) {
    super(redact(init.message));
    this.method = init.method;
    this.url = safeUrl(init.url);
    this.status = init.status;
    this.kind = init.kind ?? kindOf(init.status);
    this.body = init.body === undefined ? "" : excerpt(init.body);
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** A retry cannot fix it: credentials, permissions or the request itself are wrong. */
  get permanent(): boolean {
    return this.kind === "auth" || this.kind === "request";
  }
}

/** The URL without query string and credentials; a path is returned as is. */
export function safeUrl(url: string): string {
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
  /** Answers whose body went past the bound (not read further), whatever their status. */
  tooLarge: number;
}

/** Which rate limiter a request goes through (none: sent at once); `priority` jumps the queue. */
export type Gate = (req: HttpRequest) => { limiter: RateLimiter; priority?: boolean } | undefined;

/** What is kept of a body cut at the bound. */
const CUT_TEXT_BYTES = 64 * 1024;

export class HttpTransport {
  readonly stats: TransportStats = { requests: 0, retries: 0, failures: 0, byStatus: {}, tooLarge: 0 };
  /** Set by the owner: per-token rate limits (./rate-limit.ts); every attempt, retries included, takes a token. */
  gate: Gate | undefined;
  readonly policy: RetryPolicy;
  readonly maxBodyBytes: number;
  readonly body: DeliveryPolicy["body"];

  /**
   * @param policy a destination's policy (./policy.ts); a bare RetryPolicy keeps the Genesys
   *   preset's body bound and needs (tests that only shorten the retries).
   */
  constructor(
    policy: DeliveryPolicy | RetryPolicy = DELIVERY_PRESETS.genesys,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    const full = "request" in policy ? policy : { ...DELIVERY_PRESETS.genesys, request: policy };
    this.policy = full.request;
    this.maxBodyBytes = full.maxBodyBytes;
    this.body = full.body;
  }

  /**
   * Sends with retries. Resolves with the final response when it is ok, or when the answer is
   * one not to retry and `acceptStatus` includes it; otherwise throws an HttpError with the
   * last status, its kind and a redacted excerpt of the body.
   */
  async send(req: HttpRequest, acceptStatus: (status: number) => boolean = () => false): Promise<HttpResponse> {
    const where = `${req.method} ${safeUrl(req.url)}`;
    const backoff = new Backoff(backoffOf(this.policy));
    let last: { status: number; body: string; message: string; retryAfterMs?: number | null } = { status: 0, body: "", message: `${where} failed` };
    for (let attempt = 0; attempt < this.policy.maxAttempts; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const gate = this.gate?.(req);
      const release = gate ? await gate.limiter.acquire(gate.priority) : undefined;
      this.stats.requests++;
      let res: HttpResponse;
      try {
        const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(this.policy.timeoutMs) });
        const needWhole = this.body === "whole" && r.status >= 200 && r.status < 300;
        res = { status: r.status, headers: r.headers, ...(await readBounded(r, this.maxBodyBytes, needWhole)) };
      } catch (e) {
        release?.();
        this.count("network");
        last = { status: 0, body: "", message: `${where}: ${(e as Error).message}` };
        if (attempt < this.policy.maxAttempts - 1) await this.sleep(backoff.next());
        continue;
      }
      release?.();
      const asked = retryAfterMs(res.headers.get("retry-after"));
      // A 429 pauses every request of the token, not only this one's retry.
      if (gate && res.status === 429) gate.limiter.throttled(asked ?? delayMs(attempt, backoffOf(this.policy)));
      this.count(String(res.status));
      if (res.truncated) this.stats.tooLarge++;
      const verdict = classify(res.status, res.headers.get("retry-after"));
      if (verdict === "ok" && res.truncated && this.body === "whole") {
        this.stats.failures++;
        throw new HttpError({ method: req.method, url: req.url, status: res.status, kind: "too-large", body: res.text, message: `${where} answered ${res.status} with a body over ${this.maxBodyBytes} bytes; not read past the bound` });
      }
      if (verdict === "ok" || (verdict === "give-up" && acceptStatus(res.status))) return res;
      last = { status: res.status, body: res.text, message: `${where} answered ${res.status}: ${excerpt(res.text)}`, retryAfterMs: asked };
      if (verdict === "give-up" || attempt === this.policy.maxAttempts - 1) break;
      if (verdict === "retry-after" && asked !== null && asked > this.policy.maxRetryAfterMs) break; // longer than a request waits
      await this.sleep(backoff.next(verdict === "retry-after" ? asked : null));
    }
    this.stats.failures++;
    throw new HttpError({ method: req.method, url: req.url, status: last.status, body: last.body, message: last.message, retryAfterMs: last.retryAfterMs });
  }

  private count(key: string): void {
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }
}

/**
 * Reads at most `limit` bytes of the body, then cancels the rest: the connection is dropped, not
 * drained. `skipIfDeclaredOver`: a Content-Length over the bound is not read at all. A cut body
 * keeps only its first CUT_TEXT_BYTES (decoded), enough for an error message and a dead letter.
 */
async function readBounded(r: Response, limit: number, skipIfDeclaredOver: boolean): Promise<{ text: string; truncated: boolean }> {
  if (!r.body) return { text: "", truncated: false };
  const declared = Number(r.headers.get("content-length") ?? NaN);
  if (skipIfDeclaredOver && declared > limit) {
    await r.body.cancel().catch(() => undefined);
    return { text: "", truncated: true };
  }
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes + value.byteLength > limit) {
      await reader.cancel().catch(() => undefined);
      chunks.push(value);
      let head = Buffer.alloc(0);
      for (const c of chunks) {
        head = Buffer.concat([head, c.subarray(0, CUT_TEXT_BYTES - head.length)]);
        if (head.length >= CUT_TEXT_BYTES) break;
      }
      return { text: head.toString("utf8"), truncated: true };
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
  return { text: Buffer.concat(chunks, bytes).toString("utf8"), truncated: false };
}

/**
 * The answer's body as JSON (undefined when empty). A body cut at the bound is an HttpError of kind
 * "too-large", one that does not parse is of kind "protocol": both name the call, never its body whole.
 */
export function readJson<T>(res: HttpResponse, req: Pick<HttpRequest, "method" | "url">, what = `${req.method} ${safeUrl(req.url)}`): T | undefined {
  if (res.truncated) throw new HttpError({ method: req.method, url: req.url, status: res.status, body: res.text, kind: "too-large", message: `${what}: answer body over the bound; not read` });
  if (res.text === "") return undefined;
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new HttpError({ method: req.method, url: req.url, status: res.status, body: res.text, kind: res.status >= 200 && res.status < 300 ? "protocol" : undefined, message: `${what}: answer is not JSON: ${excerpt(res.text)}` });
  }
}
