/**
 * Analytics endpoints (genesys-api.md §4a, §4b, §10):
 * - details query: conversations as the analytics store holds them now. Each version of a
 *   conversation becomes visible after its own ingestion lag (mostly around the typical delay,
 *   occasionally a long tail), so a query can see a newer state before an older one, or an old
 *   state for minutes. Filtered, ordered and paged (pageSize <= 100, 100,000-result cap).
 *   The interval has the documented reading only: conversations are stored in daily indexes by
 *   their start (UTC day); a query finds those that started on a UTC day the interval touches AND
 *   had activity (started, ended or in progress) during it. Intervals over 7 days are refused
 *   (31 with a filter).
 * - queue observations query: waiting / interacting / alerting now, with detail observations,
 *   and queue-level member figures in a group without mediaType.
 * - rate limit (optional, `rateLimit`): "N requests per window per token" on the analytics
 *   endpoints, 429 `too.many.requests.retry.after` with Retry-After when exceeded. The token-wide
 *   limit of Auth counts every endpoint per minute; this one has a configurable window so tests and
 *   benches can run the documented 300/min shape faster (e.g. 300 per 3 s = x20).
 * - bulk day (`addBulkDay`): a light-weight path for first-start benches of 100,000s of finished
 *   conversations: kept as a few typed arrays (about 30 bytes each) instead of simulated
 *   conversations, rendered per page with the same renderer, fully ingested. Its ground truth is
 *   what addBulkDay returns (not in /emulator/ground-truth, which is the simulator's). Only the
 *   details query sees it, filtered by queueId segment predicates (what backfill sends).
 */
import { conversationDetails } from "./render.js";
import { HttpError, json, type Reply } from "./http.js";
import { rateLimited } from "./auth.js";
import type { SimConversation, Simulator } from "./simulator/simulator.js";
import { BulkDay, type BulkDaySpec } from "./bulk-day.js";
import { mulberry32 } from "../util/random.js";

interface Predicate {
  type?: string;
  dimension?: string;
  operator?: string;
  value?: string;
}
interface Filter {
  type?: string;
  predicates?: Predicate[];
  clauses?: Filter[];
}

const OBSERVATION_METRICS = new Set([
  "oActiveUsers",
  "oAlerting",
  "oInteracting",
  "oMemberUsers",
  "oOffQueueUsers",
  "oOnQueueUsers",
  "oUserPresences",
  "oUserRoutingStatuses",
  "oWaiting",
]);
/** Metrics about the queue's members rather than its conversations: a group without mediaType. */
const QUEUE_LEVEL_METRICS = new Set(["oActiveUsers", "oMemberUsers", "oOffQueueUsers", "oOnQueueUsers", "oUserPresences", "oUserRoutingStatuses"]);

const DAY_MS = 86_400_000;
const MAX_DAYS = 7;
const MAX_DAYS_FILTERED = 31;

export function parseInterval(interval: unknown): [number, number] {
  if (typeof interval !== "string") throw new HttpError(400, "bad.request", "interval is required (ISO-8601 start/end)");
  const [a, b] = interval.split("/");
  const from = Date.parse(a);
  const to = Date.parse(b ?? "");
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new HttpError(400, "bad.request", `interval "${interval}" is not a valid ISO-8601 start/end`);
  }
  return [from, to];
}

/** How long each version of a conversation takes to reach the details store (virtual ms). */
export interface IngestionLag {
  /** Typical delay; each version draws 0.5x..1.5x of it. */
  typicalMs: () => number;
  /** A long lag some versions get instead (0 = none). */
  tailMs: () => number;
  /** Share of versions with the long lag, 0..1. */
  tailShare: number;
}

/** A stable uniform draw per (conversation, version), so repeated queries agree. */
function draw(convId: string, version: number): [number, number] {
  let h = 0x811c9dc5 ^ version;
  for (let i = 0; i < convId.length; i++) h = Math.imul(h ^ convId.charCodeAt(i), 0x01000193);
  const rng = mulberry32(h);
  return [rng(), rng()];
}

function filterMatches(filter: Filter | undefined, test: (p: Predicate) => boolean): boolean {
  if (!filter) return true;
  const results = [
    ...(filter.predicates ?? []).map(test),
    ...(filter.clauses ?? []).map((c) => filterMatches(c, test)),
  ];
  if (results.length === 0) return true;
  return filter.type === "or" ? results.some(Boolean) : results.every(Boolean);
}

function predicateOn(values: (string | undefined)[], p: Predicate): boolean {
  const op = p.operator ?? "matches";
  if (op === "exists") return values.some((v) => v !== undefined);
  if (op === "notExists") return values.every((v) => v === undefined);
  return values.some((v) => v !== undefined && v === p.value);
}

export interface AnalyticsRateLimit {
  /** Requests allowed per window and token. */
  limit: number;
  windowMs: number;
}

/** A segment dimension's values over every segment of every session of the participants. */
function segmentValues(conv: SimConversation, participants: SimConversation["participants"], dimension: string | undefined): (string | undefined)[] {
  return participants.flatMap((part) =>
    part.sessions.flatMap((s) =>
      s.segments.map((g) => {
        switch (dimension) {
          case "queueId":
            return g.queueId ?? (part.purpose === "customer" ? part.queueId : undefined);
          case "mediaType":
            return conv.mediaType;
          case "purpose":
            return part.purpose;
          case "userId":
            return part.userId;
          case "disconnectType":
            return g.disconnectType;
          case "segmentType":
            return g.type;
          default:
            return undefined;
        }
      }),
    ),
  );
}

export class Analytics {
  /** Analytics rate limit per token (null: only Auth's token-wide limit applies). */
  rateLimit: AnalyticsRateLimit | null = null;
  /** What the analytics endpoints were asked and answered (for tests and benches). */
  readonly stats = { detailsQueries: 0, emptyPages: 0, rejected: 0, maxInWindow: 0 };
  private readonly windows = new Map<string, number[]>();
  private readonly bulk: BulkDay[] = [];
  /** draw(conv.id, i) for i = 0.. as [u0, v0, u1, v1, ...]. */
  private readonly draws = new WeakMap<SimConversation, number[]>();
  /** Segment dimension values per (frozen) version, per dimension. */
  private readonly dimensionValues = new WeakMap<SimConversation["participants"], Map<string | undefined, (string | undefined)[]>>();
  /** Finished conversations whose final version is visible: its time and the version count then. */
  private readonly finalSeen = new WeakMap<SimConversation, { versions: number; end: number }>();

  /** Conversations by every queue they have been on: a query naming queues reads only theirs. */
  private readonly byQueue = new Map<string, Set<SimConversation>>();

  constructor(
    private readonly sim: Simulator,
    private readonly lag: IngestionLag,
  ) {
    sim.listen({ conversationChanged: (conv) => this.index(conv) });
  }

  private index(conv: SimConversation): void {
    for (const p of conv.participants) {
      if (!p.queueId) continue;
      let set = this.byQueue.get(p.queueId);
      if (!set) this.byQueue.set(p.queueId, (set = new Set()));
      set.add(conv);
    }
  }

  /**
   * The conversations a query can match: with a segment filter made only of queueId predicates
   * (the backfill's form), those indexed under its queues (a superset of its matches, whatever the
   * filter's type: every queueId a segment shows was a participant's queue when it changed);
   * otherwise every conversation. Each candidate still goes through every check.
   */
  private candidates(segmentFilters: Filter[]): Iterable<SimConversation> {
    for (const f of segmentFilters) {
      const preds = f.predicates ?? [];
      if ((f.clauses ?? []).length > 0 || preds.length === 0) continue;
      if (!preds.every((p) => p.dimension === "queueId" && (p.operator ?? "matches") === "matches" && typeof p.value === "string")) continue;
      const out = new Set<SimConversation>();
      for (const p of preds) {
        for (const conv of this.byQueue.get(p.value!) ?? []) {
          // Pruned (past retention): forgotten here too.
          if (this.sim.conversations.get(conv.id) === conv) out.add(conv);
          else this.byQueue.get(p.value!)!.delete(conv);
        }
      }
      return out;
    }
    return this.sim.conversations.values();
  }

  /**
   * Counts a request of `token` (the Authorization header) against the analytics rate limit;
   * 429 with Retry-After (whole seconds, at least 1) when it is exceeded. Refused requests do not count.
   */
  admit(token: string | undefined, now = Date.now()): void {
    const rl = this.rateLimit;
    if (!rl) return;
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
      this.stats.rejected++;
      throw rateLimited(Math.max(1, Math.ceil((w[0] + rl.windowMs - now) / 1000)));
    }
    w.push(now);
    this.stats.maxInWindow = Math.max(this.stats.maxInWindow, w.length);
  }

  /** Adds a finished day of `count` conversations (see BulkDay); returns its ground truth. */
  addBulkDay(spec: BulkDaySpec): ReturnType<BulkDay["truth"]> {
    const b = new BulkDay(spec);
    this.bulk.push(b);
    return b.truth();
  }

  /** Virtual ms version `i` of `conv` takes to become visible to the details query. */
  lagMs(conv: SimConversation, i: number): number {
    // The draws are kept per conversation: every query of a busy day asks again for each one.
    let draws = this.draws.get(conv);
    if (!draws) this.draws.set(conv, (draws = []));
    for (let k = draws.length / 2; k <= i; k++) draws.push(...draw(conv.id, k));
    const u = draws[2 * i];
    const v = draws[2 * i + 1];
    const tail = this.lag.tailMs();
    const base = v < this.lag.tailShare && tail > 0 ? tail : this.lag.typicalMs();
    return Math.round(base * (0.5 + u));
  }

  /** The conversation as the analytics store knows it now: its newest ingested version, if any. */
  private visible(conv: SimConversation): { participants: SimConversation["participants"]; end?: number } | undefined {
    const now = this.sim.now;
    let v: SimConversation["versions"][number] | undefined;
    for (let i = conv.versions.length - 1; i >= 0; i--) {
      if (conv.versions[i].time + this.lagMs(conv, i) <= now) {
        v = conv.versions[i];
        break;
      }
    }
    if (!v) return undefined;
    const ended = v.participants.every((p) => p.sessions.every((s) => s.endTime !== undefined));
    if (ended && v === conv.versions[conv.versions.length - 1]) this.finalSeen.set(conv, { versions: conv.versions.length, end: v.time });
    return { participants: v.participants, end: ended ? v.time : undefined };
  }

  detailsQuery(body: unknown, token?: string): Reply {
    this.admit(token);
    this.stats.detailsQueries++;
    if (!body || typeof body !== "object") throw new HttpError(400, "bad.request", "a ConversationQuery body is required");
    const q = body as Record<string, unknown>;
    const [from, to] = parseInterval(q.interval);
    const paging = (q.paging ?? {}) as { pageSize?: unknown; pageNumber?: unknown };
    const pageSize = paging.pageSize ?? 25;
    const pageNumber = paging.pageNumber ?? 1;
    if (!Number.isInteger(pageSize) || (pageSize as number) < 1 || (pageSize as number) > 100) {
      throw new HttpError(400, "bad.request", `paging.pageSize must be 1..100, got ${String(pageSize)}`);
    }
    if (!Number.isInteger(pageNumber) || (pageNumber as number) < 1) {
      throw new HttpError(400, "bad.request", `paging.pageNumber must be >= 1, got ${String(pageNumber)}`);
    }
    if ((pageNumber as number) * (pageSize as number) > 100_000) {
      throw new HttpError(400, "bad.request", "Pagination may not exceed 100000 results");
    }
    const segmentFilters = (Array.isArray(q.segmentFilters) ? q.segmentFilters : []) as Filter[];
    const conversationFilters = (Array.isArray(q.conversationFilters) ? q.conversationFilters : []) as Filter[];
    const maxDays = segmentFilters.length + conversationFilters.length > 0 ? MAX_DAYS_FILTERED : MAX_DAYS;
    if (to - from > maxDays * DAY_MS) {
      throw new HttpError(400, "bad.request", `the interval may not exceed ${maxDays} days${maxDays === MAX_DAYS ? ` (${MAX_DAYS_FILTERED} with a filter)` : ""}`);
    }
    // Daily indexes: only conversations that started on a UTC day the interval touches are searched.
    const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
    const afterLastDay = (Math.floor(Math.max(from, to - 1) / DAY_MS) + 1) * DAY_MS;
    const matches: { conv: SimConversation; seen: { participants: SimConversation["participants"]; end?: number } }[] = [];
    for (const conv of this.candidates(segmentFilters)) {
      if (conv.start >= to || conv.start < firstDay || conv.start >= afterLastDay) continue;
      // Its final version visible and ended before the interval (what visible() would find): no activity in it.
      const final = this.finalSeen.get(conv);
      if (final && final.versions === conv.versions.length && final.end < from) continue;
      const seen = this.visible(conv);
      // ...and of those, the ones with activity in the interval: started, ended or in progress.
      if (!seen || (seen.end !== undefined && seen.end < from)) continue;
      const convOk = conversationFilters.every((f) =>
        filterMatches(f, (p) =>
          predicateOn(
            [p.dimension === "conversationId" ? conv.id : p.dimension === "conversationEnd" && seen.end !== undefined ? String(seen.end) : p.dimension === "originatingDirection" ? "inbound" : undefined],
            p,
          ),
        ),
      );
      if (!convOk) continue;
      // Each dimension's values are gathered once per version (versions are frozen copies), however
      // many predicates and queries ask (a backfill names 50 queues per query, and queries them all).
      let values = this.dimensionValues.get(seen.participants);
      if (!values) this.dimensionValues.set(seen.participants, (values = new Map()));
      const valuesOf = (dimension: string | undefined) => {
        let vals = values!.get(dimension);
        if (!vals) values!.set(dimension, (vals = segmentValues(conv, seen.participants, dimension)));
        return vals;
      };
      const segOk = segmentFilters.every((f) => filterMatches(f, (p) => predicateOn(valuesOf(p.dimension), p)));
      if (!segOk) continue;
      matches.push({ conv, seen });
    }
    const desc = q.order === "desc";
    matches.sort((a, b) => (desc ? b.conv.start - a.conv.start : a.conv.start - b.conv.start));
    const start = ((pageNumber as number) - 1) * (pageSize as number);
    const bulk = this.bulkMatches(from, to, firstDay, afterLastDay, segmentFilters, conversationFilters);
    if (bulk.length === 0) {
      // Only the page is rendered (a query can match tens of thousands).
      const page = matches.slice(start, start + (pageSize as number)).map((m) => conversationDetails(m.conv, m.seen.participants, m.seen.end));
      if (page.length === 0) this.stats.emptyPages++;
      return json(200, { ...(page.length > 0 ? { conversations: page } : {}), totalHits: matches.length });
    }
    // Merge the simulated matches with the bulk days' by start (both sorted), then page.
    const items = matches.map((m) => ({ start: m.conv.start, render: () => conversationDetails(m.conv, m.seen.participants, m.seen.end) }));
    const total = matches.length + bulk.reduce((n, [, idx]) => n + idx.length, 0);
    const page = this.mergedPage(items, bulk, desc, start, pageSize as number).map((r) => r());
    if (page.length === 0) this.stats.emptyPages++;
    return json(200, { ...(page.length > 0 ? { conversations: page } : {}), totalHits: total });
  }

  /** Bulk-day matches: only a queueId segment filter is understood; any other filter matches none of them. */
  private bulkMatches(from: number, to: number, firstDay: number, afterLastDay: number, segmentFilters: Filter[], conversationFilters: Filter[]): [BulkDay, Int32Array][] {
    if (this.bulk.length === 0 || conversationFilters.length > 0) return [];
    let queues: Set<string> | null = null;
    for (const f of segmentFilters) {
      const preds = [...(f.predicates ?? []), ...(f.clauses ?? []).flatMap((c) => c.predicates ?? [])];
      if (preds.some((p) => p.dimension !== "queueId" || (p.operator ?? "matches") !== "matches" || typeof p.value !== "string")) return [];
      const set = new Set<string>(preds.map((p) => p.value!));
      const prev: Set<string> | null = queues;
      queues = prev === null ? set : new Set<string>([...prev].filter((x: string) => set.has(x)));
    }
    return this.bulk.map((b) => [b, b.matches(from, to, firstDay, afterLastDay, queues)]);
  }

  /** The page [offset, offset + size) of the simulated items merged with the bulk matches by start. */
  private mergedPage(items: { start: number; render: () => Record<string, unknown> }[], bulk: [BulkDay, Int32Array][], desc: boolean, offset: number, size: number): (() => Record<string, unknown>)[] {
    // Cursors over every source; a k-way merge that skips `offset` items (sources are few).
    const sources = [
      { n: items.length, at: (k: number) => items[desc ? items.length - 1 - k : k].start, render: (k: number) => items[desc ? items.length - 1 - k : k].render },
      ...bulk.map(([b, idx]) => ({
        n: idx.length,
        at: (k: number) => b.start[idx[desc ? idx.length - 1 - k : k]],
        render: (k: number) => {
          const i = idx[desc ? idx.length - 1 - k : k];
          return () => {
            const conv = b.conversation(i);
            return conversationDetails(conv, conv.participants, b.end[i]);
          };
        },
      })),
    ];
    // With a single non-empty source the page is a slice (the common case: no live traffic in the range).
    const live = sources.filter((x) => x.n > 0);
    if (live.length === 1) {
      const src = live[0];
      const out: (() => Record<string, unknown>)[] = [];
      for (let k = offset; k < Math.min(src.n, offset + size); k++) out.push(src.render(k));
      return out;
    }
    const pos = sources.map(() => 0);
    const out: (() => Record<string, unknown>)[] = [];
    for (let taken = 0; out.length < size; taken++) {
      let best = -1;
      for (let j = 0; j < sources.length; j++) {
        if (pos[j] >= sources[j].n) continue;
        if (best < 0 || (desc ? sources[j].at(pos[j]) > sources[best].at(pos[best]) : sources[j].at(pos[j]) < sources[best].at(pos[best]))) best = j;
      }
      if (best < 0) break;
      if (taken >= offset) out.push(sources[best].render(pos[best]));
      pos[best]++;
    }
    return out;
  }

  /** GET /api/v2/analytics/conversations/{id}/details */
  conversation(id: string): Reply {
    const conv = this.sim.conversations.get(id);
    const seen = conv && this.visible(conv);
    if (!conv || !seen) throw new HttpError(404, "not.found", `conversation ${id} not found`);
    return json(200, conversationDetails(conv, seen.participants, seen.end));
  }

  observationsQuery(body: unknown): Reply {
    if (!body || typeof body !== "object") throw new HttpError(400, "bad.request", "a QueueObservationQuery body is required");
    const q = body as { filter?: Filter; metrics?: unknown; detailMetrics?: unknown };
    if (!q.filter) throw new HttpError(400, "bad.request", "filter is required");
    const metrics = Array.isArray(q.metrics) ? (q.metrics as string[]) : [];
    const detail = new Set(Array.isArray(q.detailMetrics) ? (q.detailMetrics as string[]) : []);
    for (const m of [...metrics, ...detail]) {
      if (!OBSERVATION_METRICS.has(m)) throw new HttpError(400, "bad.request", `unknown metric ${m}`);
    }
    if (metrics.length === 0) throw new HttpError(400, "bad.request", "metrics must not be empty");
    const results: unknown[] = [];
    const convMetrics = metrics.filter((m) => !QUEUE_LEVEL_METRICS.has(m));
    const queueMetrics = metrics.filter((m) => QUEUE_LEVEL_METRICS.has(m));
    for (const queue of this.sim.queues) {
      if (!filterMatches(q.filter, (p) => (p.dimension === "queueId" ? p.value === queue.id : true))) continue;
      if (queueMetrics.length > 0) {
        // Member figures belong to the queue, not a media type: a group without mediaType (tutorial response).
        const m = this.sim.members(queue.id);
        const data: unknown[] = [];
        for (const metric of queueMetrics) {
          if (metric === "oUserRoutingStatuses") {
            data.push({ metric, qualifier: "IDLE", stats: { count: m.idle } }, { metric, qualifier: "INTERACTING", stats: { count: m.interacting } });
          } else if (metric === "oUserPresences") {
            data.push({ metric, qualifier: "ON_QUEUE", stats: { count: m.members } });
          } else if (metric === "oOffQueueUsers") {
            data.push({ metric, stats: { count: 0 } });
          } else data.push({ metric, stats: { count: m.members } });
        }
        results.push({ group: { queueId: queue.id }, data });
      }
      if (convMetrics.length === 0) continue;
      for (const [mediaType, o] of this.sim.observe(queue.id)) {
        const data: unknown[] = [];
        for (const metric of convMetrics) {
          if (metric === "oWaiting") {
            data.push({
              metric,
              stats: { count: o.waiting.length },
              ...(detail.has(metric)
                ? {
                    truncated: false,
                    observations: o.waiting.map((w) => ({
                      observationDate: new Date(w.acd.sessions[0].startTime).toISOString(),
                      conversationId: w.conv.id,
                      sessionId: w.acd.sessions[0].id,
                      routingPriority: 0,
                      participantName: w.conv.participants[0].name,
                      direction: "inbound",
                      ani: w.conv.ani,
                    })),
                  }
                : {}),
            });
          } else if (metric === "oInteracting") data.push({ metric, stats: { count: o.interacting } });
          else data.push({ metric, stats: { count: o.alerting } });
        }
        results.push({ group: { queueId: queue.id, mediaType }, data });
      }
    }
    return json(200, { results });
  }
}
