/**
 * Standing problems: failures that retrying cannot fix (a permanent API refusal, a backfill too
 * large for the API's cap, a state file that cannot be written), by the area they block. Each is
 * logged at once and then at most once a minute, and keeps /readyz at 503 until it clears.
 */

export interface Problem {
  /** What is blocked: "token", "queues", "backfill", "state". */
  area: string;
  /** HTTP status when the API refused; null otherwise. */
  status: number | null;
  reason: string;
  since: string;
  occurrences: number;
}

/** What an error that retrying cannot fix says of itself (HttpError, BackfillTooLargeError). */
interface PermanentError {
  permanent: boolean;
  /** The HTTP status when an API refused; absent or null otherwise. */
  status?: number | null;
  url?: string;
}

/**
 * A refusal retrying cannot fix (a 4xx other than 408/429: 403 on analytics, invalid_client on
 * the token, a query the API rejects; or a backfill too large for the API's cap): its status (null
 * when none), or undefined when the error is transient.
 */
export function permanentStatus(e: unknown): number | null | undefined {
  const p = e as Partial<PermanentError> | null;
  if (typeof p !== "object" || p === null || p.permanent !== true) return undefined;
  return typeof p.status === "number" ? p.status : null;
}

/** The area an error blocks: the token endpoint, else the caller's. */
export function areaOf(e: unknown, fallback: string): string {
  const url = (e as Partial<PermanentError> | null)?.url;
  return typeof url === "string" && url.includes("/oauth/token") ? "token" : fallback;
}

export class Problems {
  private readonly open = new Map<string, Problem & { loggedAt: number }>();

  constructor(
    private readonly onLog: (p: Problem) => void,
    private readonly everyMs = 60_000,
  ) {}

  /**
   * Records a failure in `area`; permanent ones become standing problems (logged at once, then at
   * most every minute). @returns whether it was permanent.
   */
  report(area: string, e: unknown, realNow = Date.now()): boolean {
    const status = permanentStatus(e);
    if (status === undefined) return false;
    this.raise(area, status, (e as Error).message, realNow);
    return true;
  }

  /** A standing problem known to the caller (not an HTTP refusal), e.g. a state file that cannot be written. */
  raise(area: string, status: number | null, reason: string, realNow = Date.now()): void {
    let p = this.open.get(area);
    if (!p) {
      p = { area, status, reason, since: new Date(realNow).toISOString(), occurrences: 0, loggedAt: -Infinity };
      this.open.set(area, p);
    }
    p.status = status;
    p.reason = reason;
    p.occurrences++;
    if (realNow - p.loggedAt >= this.everyMs) {
      p.loggedAt = realNow;
      this.onLog(this.public(p));
    }
  }

  /** The area works again. */
  clear(area: string): void {
    this.open.delete(area);
  }

  has(area: string): boolean {
    return this.open.has(area);
  }

  list(): Problem[] {
    return [...this.open.values()].map((p) => this.public(p));
  }

  private public(p: Problem & { loggedAt: number }): Problem {
    return { area: p.area, status: p.status, reason: p.reason, since: p.since, occurrences: p.occurrences };
  }
}
