/**
 * `POST /api/v2/analytics/conversations/details/query` and `GET .../conversations/{id}/details`
 * (genesys-api.md §4a): conversations as the analytics store holds them now (see ingestion-lag),
 * filtered, ordered and paged (pageSize <= 100, 100,000-result cap). The interval has the
 * documented reading only: conversations are stored in daily indexes by their start (UTC day); a
 * query finds those that started on a UTC day the interval touches AND had activity (started,
 * ended or in progress) during it. Intervals over 7 days are refused (31 with a filter).
 * Bulk days (see bulk-day.ts) are merged in by start.
 */
import type { BulkDay } from "../bulk-day.js";
import { HttpError, json, type Reply } from "../http.js";
import { conversationDetails } from "../render.js";
import type { SimConversation, Simulator } from "../simulator/simulator.js";
import { filterMatches, parseInterval, predicateOn, segmentValues, type Filter } from "./filters.js";
import type { IngestionModel, Visible } from "./ingestion-lag.js";

const DAY_MS = 86_400_000;
const MAX_DAYS = 7;
const MAX_DAYS_FILTERED = 31;

export interface DetailsStats {
  detailsQueries: number;
  emptyPages: number;
}

export class DetailsStore {
  /** Segment dimension values per (frozen) version, per dimension. */
  private readonly dimensionValues = new WeakMap<SimConversation["participants"], Map<string | undefined, (string | undefined)[]>>();
  /** Conversations by every queue they have been on: a query naming queues reads only theirs. */
  private readonly byQueue = new Map<string, Set<SimConversation>>();

  constructor(
    private readonly sim: Simulator,
    private readonly ingestion: IngestionModel,
    private readonly bulk: BulkDay[],
    private readonly stats: DetailsStats,
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

  query(body: unknown): Reply {
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
    const matches: { conv: SimConversation; seen: Visible }[] = [];
    for (const conv of this.candidates(segmentFilters)) {
      if (conv.start >= to || conv.start < firstDay || conv.start >= afterLastDay) continue;
      // Its final version visible and ended before the interval (what visible() would find): no activity in it.
      if (this.ingestion.endedBefore(conv, from)) continue;
      const seen = this.ingestion.visible(conv, this.sim.now);
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
    const seen = conv && this.ingestion.visible(conv, this.sim.now);
    if (!conv || !seen) throw new HttpError(404, "not.found", `conversation ${id} not found`);
    return json(200, conversationDetails(conv, seen.participants, seen.end));
  }
}
