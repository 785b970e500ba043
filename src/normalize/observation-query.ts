/**
 * The REST snapshot of every "now" figure: `POST /api/v2/analytics/queues/observations/query`
 * (genesys-api.md §4b). One call gives, per queue x media, waiting / interacting / alerting and
 * the waiting conversations' observation dates (so the longest wait), and per queue the staffing
 * of its members: what the monitor needs before the observations topic has said anything (the
 * topic sends only changes). Genesys' own starter guide reads this snapshot before it opens the
 * topic. Pure and total: untrusted bodies give well-formed output and a drop count.
 */
import { count, isObject, MEDIA_TYPES, own, plainString, type ObservationUpdate } from "./observation.js";
import { staffingFromRows, type StaffingUpdate } from "./staffing.js";
import { ms } from "./time.js";

export const OBSERVATION_QUERY_PATH = "/api/v2/analytics/queues/observations/query";

/**
 * The metrics asked for: all from the documented enum (oActiveUsers, oAlerting, oInteracting,
 * oMemberUsers, oOffQueueUsers, oOnQueueUsers, oUserPresences, oUserRoutingStatuses, oWaiting;
 * QueueObservationQuery). oLongestWaiting is not in it any more: the longest wait comes from the
 * oWaiting detail observations. oUserPresences is left out (org-specific presence ids).
 */
export const SNAPSHOT_METRICS = ["oWaiting", "oInteracting", "oAlerting", "oMemberUsers", "oActiveUsers", "oOnQueueUsers", "oOffQueueUsers", "oUserRoutingStatuses"] as const;
/** Detail observations (one per conversation, with observationDate) only where they are needed. */
export const SNAPSHOT_DETAIL_METRICS = ["oWaiting"] as const;

/**
 * Queue ids per query. The official limit on a filter's predicates is UNCONFIRMED; 100 is what a
 * published client batches by, and keeps the body (about 90 bytes a predicate) far below the
 * documented 512,000-byte request limit and the response (one group per queue x media, plus the
 * waiting conversations) to a size one page holds. Split larger selections.
 */
export const QUEUES_PER_SNAPSHOT_QUERY = 100;

export interface QueueObservationQuery {
  filter: { type: "or"; predicates: { type: "dimension"; dimension: "queueId"; operator: "matches"; value: string }[] };
  metrics: string[];
  detailMetrics: string[];
}

/**
 * The request bodies that cover `queueIds` (deduplicated, order kept), `queuesPerQuery` queues
 * each. No queue, no body.
 */
export function snapshotQueries(queueIds: readonly string[], opts: { queuesPerQuery?: number } = {}): QueueObservationQuery[] {
  const per = Math.max(1, Math.floor(opts.queuesPerQuery ?? QUEUES_PER_SNAPSHOT_QUERY));
  const ids = [...new Set(queueIds.filter((q) => typeof q === "string" && q.length > 0))];
  const out: QueueObservationQuery[] = [];
  for (let i = 0; i < ids.length; i += per) {
    out.push({
      filter: { type: "or", predicates: ids.slice(i, i + per).map((value) => ({ type: "dimension", dimension: "queueId", operator: "matches", value })) },
      metrics: [...SNAPSHOT_METRICS],
      detailMetrics: [...SNAPSHOT_DETAIL_METRICS],
    });
  }
  return out;
}

/** A per-media "now" reading from the snapshot; only the metrics the group carried are set. */
export interface SnapshotUpdate extends ObservationUpdate {
  /**
   * Epoch ms the oldest waiting conversation entered the queue: null when nobody waits
   * (oWaiting 0), unset when unknown (no detail observations). Observations are sorted oldest
   * first and a truncated list keeps its oldest half, so the minimum is right even then.
   */
  oldestWaitingAt?: number | null;
}

export interface ParsedSnapshot {
  media: SnapshotUpdate[];
  staffing: StaffingUpdate[];
  /** Groups, rows and observation dates that were present but unreadable. */
  dropped: number;
}

const INSTANT: Record<string, "waiting" | "interacting" | "alerting"> = { oWaiting: "waiting", oInteracting: "interacting", oAlerting: "alerting" };

/**
 * Reads a query response. `at` is when the response was received (the snapshot carries no time
 * of its own); observation dates later than `at + maxFutureMs` (default 5 minutes) are dropped.
 */
export function parseSnapshot(body: unknown, at: number, opts: { maxFutureMs?: number } = {}): ParsedSnapshot {
  const out: ParsedSnapshot = { media: [], staffing: [], dropped: 0 };
  try {
    const results = isObject(body) ? own(body, "results") : undefined;
    if (!Array.isArray(results)) {
      if (body !== undefined) out.dropped++;
      return out;
    }
    const latest = at + (opts.maxFutureMs ?? 300_000);
    for (const r of results) {
      const group = isObject(r) ? own(r, "group") : undefined;
      const queueId = isObject(group) ? plainString(own(group, "queueId")) : undefined;
      const data = isObject(r) ? own(r, "data") : undefined;
      if (!queueId || !isObject(group) || !Array.isArray(data)) {
        out.dropped++;
        continue;
      }
      const mediaRaw = own(group, "mediaType");
      if (mediaRaw === undefined) {
        const { counts, dropped } = staffingFromRows(data, "complete");
        out.dropped += dropped;
        if (counts) out.staffing.push({ queueId, at, ...counts });
        continue;
      }
      const mediaType = plainString(mediaRaw)?.toLowerCase();
      if (!mediaType || !MEDIA_TYPES.has(mediaType)) {
        out.dropped++;
        continue;
      }
      const u: SnapshotUpdate = { queueId, mediaType, at };
      let any = false;
      for (const row of data) {
        if (!isObject(row)) {
          out.dropped++;
          continue;
        }
        const name = own(row, "metric");
        if (own(row, "qualifier") !== undefined || typeof name !== "string" || !Object.prototype.hasOwnProperty.call(INSTANT, name)) continue;
        const stats = own(row, "stats");
        const n = isObject(stats) ? count(own(stats, "count")) : undefined;
        if (n === undefined) {
          out.dropped++;
          continue;
        }
        u[INSTANT[name]] = n;
        any = true;
        if (name !== "oWaiting") continue;
        if (n === 0) {
          u.oldestWaitingAt = null;
          continue;
        }
        const obs = own(row, "observations");
        if (!Array.isArray(obs)) continue;
        let oldest = Infinity;
        for (const o of obs) {
          const t = isObject(o) ? ms(own(o, "observationDate")) : undefined;
          if (t === undefined || t > latest) out.dropped++;
          else if (t < oldest) oldest = t;
        }
        if (oldest !== Infinity) u.oldestWaitingAt = oldest;
      }
      if (any) out.media.push(u);
    }
    return out;
  } catch {
    return { media: [], staffing: [], dropped: out.dropped + 1 };
  }
}
