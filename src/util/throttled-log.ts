/**
 * Log lines that may repeat for as long as a problem lasts (a sink refusing every flush, an outbox
 * shedding at every flush): the first of a kind is written at once, then at most one per window,
 * each saying how many of its kind were held back since the last one. The counters on /metrics
 * carry the exact numbers; the log only has to say that it goes on.
 */
import type { Logger } from "./log.js";

type Level = "error" | "warn" | "info";

export class ThrottledLog {
  private readonly seen = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the line unless one of the same `kind` was written less than a window ago; returns whether it did. */
  write(level: Level, kind: string, fields: Record<string, unknown>, msg: string): boolean {
    const now = this.now();
    const s = this.seen.get(kind);
    if (s && now < s.until) {
      s.suppressed++;
      return false;
    }
    this.log[level](s && s.suppressed > 0 ? { ...fields, suppressed: s.suppressed, suppressedForMs: this.windowMs } : fields, msg);
    this.seen.set(kind, { until: now + this.windowMs, suppressed: 0 });
    if (this.seen.size > 1000) for (const [k, v] of this.seen) if (v.until <= now && v.suppressed === 0) this.seen.delete(k);
    return true;
  }
}
