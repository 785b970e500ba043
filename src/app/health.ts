/**
 * Self-health: the /api/health body and what keeps /readyz at 503 (with reasons), assembled from
 * the parts' own views. Read only.
 */
import type { Comparison } from "../ingest/loss-detector.js";
import type { LagView } from "../sources/genesys/backfill/lag.js";
import type { BackfillProgressView } from "../sources/genesys/backfill/runner.js";
import type { ChannelView } from "../sources/genesys/stream/pool.js";
import type { SourceHealth } from "../sources/stream-source.js";
import type { Problem } from "./problems.js";

export type { Problem } from "./problems.js";
export type { BackfillProgressView } from "../sources/genesys/backfill/runner.js";

export interface Health {
  connected: boolean;
  ready: boolean;
  caughtUp: boolean;
  /** Why /readyz answers 503 (empty when ready). */
  reasons: string[];
  watermark: string | null;
  queues: number;
  series: number;
  /** Where notifications come from: the WebSocket channels (below), or EventBridge through SQS with its queue's backlog. */
  source: SourceHealth;
  channels: ChannelView[];
  /** Selected queues no channel has room for (more than one OAuth client can stream): counted from the Analytics API only. */
  unstreamedQueues: number;
  lastEventAgeSeconds: number | null;
  counters: Record<string, number>;
  /** HTTP answers seen by the shared transport since this process started (429s, 503s, retries). */
  http: { requests: number; retries: number; failures: number; byStatus: Record<string, number>; rateLimit?: RateLimitView };
  backfill: {
    /** A covering job's first pass is due (a gap not read yet). */
    pending: boolean;
    /** A covering job waits for its next settling pass. */
    settling: boolean;
    /** A re-read (reconciliation, a loss chase) is due. */
    rereadPending: boolean;
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
    /** The details API's lag as measured (percentiles of recent samples) and the settle horizon it gives. */
    analyticsLag: LagView;
    /** Details pages read per minute (last ten minutes) against the token's rate limit. */
    cost: { pagesPerMinute: number; rateLimitPerMinute: number; shareOfRateLimit: number | null };
  };
  /** Genesys' own 30-minute counts against ours: intervals compared, those that differed, recovered by re-reading, given up, being chased; the last ones. */
  lossDetector: { compared: number; disagreed: number; recovered: number; unrecovered: number; chasing: number; last: Comparison[] };
  /** Standing problems that retries do not fix. */
  problems: Problem[];
}

/** The client-side rate limit of the API token (src/delivery/rate-limit.ts). */
export interface RateLimitView {
  perMinute: number;
  /** Requests in flight or within a window of their answer; requests waiting for a slot. */
  inWindow: number;
  queued: number;
  /** 429 answers seen (each pauses every request of the token for its Retry-After). */
  throttled: number;
}

/**
 * Why the monitor is not ready (empty when it is). `notLive`: a source without channels says
 * in its own words why it is not live (null: it is).
 */
export function notReadyReasons(s: { channels: number; connected: boolean; caughtUp: boolean; problems: Problem[]; notLive?: string | null }): string[] {
  const out: string[] = [];
  if (s.notLive !== undefined) {
    if (s.notLive !== null) out.push(s.notLive);
  } else if (s.channels === 0) out.push("no channel yet (queue discovery has not completed)");
  else if (!s.connected) out.push("not every notification channel is live");
  if (!s.caughtUp) out.push("a gap is still being backfilled");
  for (const p of s.problems) out.push(`${p.area}: ${p.status === null ? "" : `HTTP ${p.status}: `}${p.reason}`);
  return out;
}
