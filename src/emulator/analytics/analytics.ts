/**
 * The analytics endpoints (genesys-api.md §4a, §4b, §10) as one service: the details query and a
 * conversation's details (details-query), the queue observations query (observations-query), the
 * ingestion lag between a change and its visibility (ingestion-lag), an optional per-token rate
 * limit (rate-limit), and bulk days for first-start benches: 100,000s of finished conversations
 * kept as typed arrays, fully ingested, seen by the details query only. A bulk day's ground truth
 * is what addBulkDay returns (not in /emulator/ground-truth, which is the simulator's).
 */
import type { AgentReading } from "../agent-metrics.js";
import { BulkDay, type BulkDaySpec } from "../bulk-day.js";
import type { Reply } from "../http.js";
import type { SimConversation, Simulator } from "../simulator/simulator.js";
import { DetailsStore } from "./details-query.js";
import { IngestionModel, type IngestionLag } from "./ingestion-lag.js";
import { observationsQuery } from "./observations-query.js";
import { TokenWindows, type AnalyticsRateLimit } from "./rate-limit.js";

export type { IngestionLag } from "./ingestion-lag.js";
export type { AnalyticsRateLimit } from "./rate-limit.js";
export { parseInterval } from "./filters.js";

export class Analytics {
  /** Analytics rate limit per token (null: only Auth's token-wide limit applies). */
  rateLimit: AnalyticsRateLimit | null = null;
  /** What the analytics endpoints were asked and answered (for tests and benches). */
  readonly stats = { detailsQueries: 0, emptyPages: 0, rejected: 0, maxInWindow: 0 };
  private readonly windows = new TokenWindows();
  private readonly bulk: BulkDay[] = [];
  private readonly ingestion: IngestionModel;
  private readonly details: DetailsStore;

  constructor(
    private readonly sim: Simulator,
    lag: IngestionLag,
    /** How each queue renders its agent figures (see agent-metrics). */
    private readonly readingOf: (queueId: string) => AgentReading,
  ) {
    this.ingestion = new IngestionModel(lag);
    this.details = new DetailsStore(sim, this.ingestion, this.bulk, this.stats);
  }

  /**
   * Counts a request of `token` (the Authorization header) against the analytics rate limit;
   * 429 with Retry-After (whole seconds, at least 1) when it is exceeded. Refused requests do not count.
   */
  admit(token: string | undefined, now = Date.now()): void {
    const rl = this.rateLimit;
    if (!rl) return;
    const inWindow = this.windows.admit(rl, token, now, () => this.stats.rejected++);
    this.stats.maxInWindow = Math.max(this.stats.maxInWindow, inWindow);
  }

  /** Adds a finished day of `count` conversations (see BulkDay); returns its ground truth. */
  addBulkDay(spec: BulkDaySpec): ReturnType<BulkDay["truth"]> {
    const b = new BulkDay(spec);
    this.bulk.push(b);
    return b.truth();
  }

  /** Virtual ms version `i` of `conv` takes to become visible to the details query. */
  lagMs(conv: SimConversation, i: number): number {
    return this.ingestion.lagMs(conv, i);
  }

  detailsQuery(body: unknown, token?: string): Reply {
    this.admit(token);
    return this.details.query(body);
  }

  /** GET /api/v2/analytics/conversations/{id}/details */
  conversation(id: string): Reply {
    return this.details.conversation(id);
  }

  observationsQuery(body: unknown): Reply {
    return observationsQuery(this.sim, body, this.readingOf);
  }
}
