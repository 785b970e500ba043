/**
 * Self-health: the /api/health body, what keeps /readyz at 503 (with reasons), and the
 * standing problems that retrying cannot fix (permanent API errors, a backfill that cannot fit
 * the API's result cap), reported once a minute rather than on every retry.
 */
import type { Comparison } from "../ingest/loss-detector.js";
import { BackfillTooLargeError } from "../sources/genesys/backfill/query.js";
import { HttpError } from "../delivery/transport.js";

export interface Problem {
  /** What is blocked: "token", "queues", "backfill". */
  area: string;
  /** HTTP status when the API refused; null otherwise (e.g. a backfill too large to fetch). */
  status: number | null;
  reason: string;
  since: string;
  occurrences: number;
}

export interface Health {
  connected: boolean;
  ready: boolean;
  caughtUp: boolean;
  /** Why /readyz answers 503 (empty when ready). */
  reasons: string[];
  watermark: string | null;
  queues: number;
  series: number;
  channels: { name: string; state: string; topics: number; reconnects: number; lastFrameAgeSeconds: number | null }[];
  /** Selected queues no channel has room for (more than one OAuth client can stream): counted from the Analytics API only. */
  unstreamedQueues: number;
  lastEventAgeSeconds: number | null;
  counters: Record<string, number>;
  /** HTTP answers seen by the shared transport since this process started (429s, 503s, retries). */
  http: { requests: number; retries: number; failures: number; byStatus: Record<string, number>; rateLimit?: RateLimitView };
  backfill: {
    pending: boolean;
    settling: boolean;
    running: boolean;
    lastDurationMs: number | null;
    lastCatchUpMs: number | null;
    /** Queues whose day backfill (after joining the selection) has not settled yet. */
    pickups: number;
    /** Jobs scheduled since start, by cause. */
    scheduled: Record<string, number>;
    /** Last settled job: passes it took, whether two passes agreed, API pages it cost. */
    lastSettle: { passes: number; stable: boolean; pages: number } | null;
    /** Reconciliation (re-reading the last minutes with no gap): passes and API pages since start. */
    reconcile: { everyMinutes: number; passes: number; pages: number };
    /** The running backfill pass (or the last one): how far it is and how long it has to go. */
    progress?: BackfillProgressView | null;
  };
  /** Genesys' own 30-minute counts against ours: intervals compared, those that differed, the last ones. */
  lossDetector: { compared: number; disagreed: number; last: Comparison[] };
  /** Standing problems that retries do not fix. */
  problems: Problem[];
}

/** The client-side rate limit of the API token (src/transport/rate-limit.ts). */
export interface RateLimitView {
  perMinute: number;
  /** Requests in flight or within a window of their answer; requests waiting for a slot. */
  inWindow: number;
  queued: number;
  /** 429 answers seen (each pauses every request of the token for its Retry-After). */
  throttled: number;
}

/** A backfill pass's progress in /api/health (`backfill.progress`). */
export interface BackfillProgressView {
  cause: string;
  running: boolean;
  startedAt: string;
  elapsedSeconds: number;
  pages: number;
  conversations: number;
  /** Share of the pass done, 0..1. */
  rangeDone: number;
  /** Seconds to go at the rate limit's pace; 0 when done, null before anything is known. */
  etaSeconds: number | null;
}

/**
 * A refusal retrying cannot fix: a 4xx other than 408/429 (403 on analytics, invalid_client on
 * the token, a query the API rejects), by the error's status field; or a backfill too large.
 */
export function permanentStatus(e: unknown): number | null | undefined {
  if (e instanceof BackfillTooLargeError) return null;
  if (e instanceof HttpError && e.permanent) return e.status;
  return undefined;
}

/** The area an error blocks: the token endpoint, else the caller's. */
export function areaOf(e: unknown, fallback: string): string {
  return e instanceof HttpError && e.url.includes("/oauth/token") ? "token" : fallback;
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
    const reason = (e as Error).message;
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
    return true;
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

/** Why the monitor is not ready (empty when it is). */
export function notReadyReasons(s: { channels: number; connected: boolean; caughtUp: boolean; problems: Problem[] }): string[] {
  const out: string[] = [];
  if (s.channels === 0) out.push("no channel yet (queue discovery has not completed)");
  else if (!s.connected) out.push("not every notification channel is live");
  if (!s.caughtUp) out.push("a gap is still being backfilled");
  for (const p of s.problems) out.push(`${p.area}: ${p.status === null ? "" : `HTTP ${p.status}: `}${p.reason}`);
  return out;
}
