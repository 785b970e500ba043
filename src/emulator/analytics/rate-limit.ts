/**
 * The analytics rate limit (optional): "N requests per window per token" on the analytics
 * endpoints, 429 `too.many.requests.retry.after` with Retry-After when exceeded. The token-wide
 * limit of Auth counts every endpoint per minute; this one has a configurable window so tests and
 * benches can run the documented 300/min shape faster (e.g. 300 per 3 s = x20).
 */
import { rateLimited } from "../auth.js";

export interface AnalyticsRateLimit {
  /** Requests allowed per window and token. */
  limit: number;
  windowMs: number;
}

export class TokenWindows {
  private readonly windows = new Map<string, number[]>();

  /**
   * Counts a request of `token` against `rl`; 429 with Retry-After (whole seconds, at least 1)
   * when it is exceeded. Refused requests do not count. Answers the requests now in the window.
   */
  admit(rl: AnalyticsRateLimit, token: string | undefined, now: number, onRefused: () => void): number {
    const key = token ?? "";
    let w = this.windows.get(key);
    if (!w) {
      w = [];
      this.windows.set(key, w);
    }
    let drop = 0;
    while (drop < w.length && w[drop] <= now - rl.windowMs) drop++;
    if (drop > 0) w.splice(0, drop);
    if (w.length >= rl.limit) {
      onRefused();
      throw rateLimited(Math.max(1, Math.ceil((w[0] + rl.windowMs - now) / 1000)));
    }
    w.push(now);
    return w.length;
  }
}
