/**
 * Backfill: what the stream missed, from the conversation details query (genesys-api.md §4a, §10).
 * The real service has no replay, so every gap (and every restart) is filled from analytics and
 * deduplicated against what was already counted.
 *
 * Which conversations a query finds (genesys-api.md §10, the documented reading): they are stored
 * in daily indexes by their start (UTC day); a query finds those that started on a UTC day its
 * interval touches and had activity (started, ended, or were in progress) during the interval.
 * So the range itself [from, to] finds every conversation that started on its days and was
 * active in it; one that started on an earlier day and is still active in the range was in
 * progress at that day's last second, which a one-second query at the end of each earlier day
 * within `maxConversationMs` finds (cheap: only what spanned midnight). Reading back a whole day
 * instead would cost every conversation of it on every pass. Events before `from` are dropped
 * by the caller.
 *
 * Speed (the first start of a large organization): the rate limit (300 requests/min per
 * token) is the bound, so no request is wasted and the limit is kept busy:
 *  - page 1 of a query gives `totalHits`; the remaining pages are then fetched with bounded
 *    concurrency (the transport's rate limiter paces them), and paging stops at the last page
 *    the hits call for, without asking for an empty page to learn that it is over. Without
 *    `totalHits` (either reading), pages go one after another until a short page.
 *  - size: the API stops paging at 100,000 results. A query that reaches the cap continues as a
 *    new query from the last conversation start it read (results are ordered by start). The
 *    continuation's first results are the conversations still in progress at that instant, all
 *    read already: we count them from what we read and skip their whole pages, then check the
 *    skip (the first result read must have started before the continuation point; if not, the
 *    page before is read too, down to page 1), so at most the partial page is read twice.
 *    If that makes no progress (the cap's worth of conversations start in the same millisecond),
 *    the queue group is halved; a single queue that still does not fit fails loudly with
 *    BackfillTooLargeError instead of silently stopping short.
 *  - progress (pages, conversations, share of the work done, remaining pages) is reported after
 *    every page for the log and /api/health.
 */
import type { QueueEvent } from "../../../domain/queue-event.js";
import { eventsFromDetails, type DetailsConversation } from "../../../normalize/details.js";
import { ms } from "../../../normalize/time.js";

/** The one call backfill makes (GenesysClient satisfies it). */
export interface DetailsApi {
  call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface BackfillRequest {
  queueIds: string[];
  /** Start of the range of interest: the caller drops events before it. */
  from: number;
  to: number;
  /**
   * Where the query interval ends (default `to`); later than `to` when the caller wants to see how
   * far the API has ingested (its latest activity), not only the range.
   */
  queryTo?: number;
  /** The longest a conversation can have been in progress: earlier UTC days this far back are reached. */
  maxConversationMs: number;
  /** Longest interval of one query (backfill.chunkMinutes). */
  chunkMs: number;
  pageSize?: number;
  /** The API's result cap per query (100,000 on Genesys Cloud). */
  maxResults?: number;
  /** Time is not split below this span (ms); queue groups are split instead. */
  minSpanMs?: number;
}

export interface BackfillResult {
  conversations: number;
  events: number;
  /** Requests made (every page, including the one-second day-end queries). */
  pages: number;
  /** Continuations or queue splits because a query reached the result cap. */
  splits: number;
  /** Conversations skipped because they could not be read (untrusted input: skip, never stop). */
  malformed: number;
}

export interface BackfillProgress {
  pages: number;
  conversations: number;
  /** Share of the work done, 0..1 (by conversations where the hits are known, else by pages). */
  rangeDone: number;
  /** Pages still expected (an estimate while some queries have not answered yet). */
  pagesLeft: number;
  /** Seconds to go at `ratePerSecond` (or the pace so far); null before anything is known. */
  etaSeconds: number | null;
}

/** A query that cannot be made to fit the API's result cap: the backfill is incomplete. */
export class BackfillTooLargeError extends Error {
  /** No retry fixes it: a standing problem until the selection or the chunking changes. */
  readonly permanent = true;
  readonly status = null;
  constructor(
    readonly queueId: string,
    readonly interval: [number, number],
    readonly hits: number,
    readonly maxResults: number,
  ) {
    super(
      `details query for queue ${queueId} over ${new Date(interval[0]).toISOString()}/${new Date(interval[1]).toISOString()} matches ${hits >= maxResults ? `at least ${hits}` : hits} conversations, over the API's ${maxResults}-result cap even at the smallest split; the backfill is incomplete`,
    );
  }
}

const QUEUES_PER_QUERY = 50;
const DETAILS_PATH = "/api/v2/analytics/conversations/details/query";

export interface BackfillOptions {
  /** Sees every details response body as received (run --record). */
  onPage?: (body: unknown) => void;
  onProgress?: (p: BackfillProgress) => void;
  /** Requests in flight at most (the rate limiter paces them; this bounds the burst). */
  concurrency: number;
  /** The pace the rate limit allows, for the ETA (default: the pace so far). */
  ratePerSecond?: number;
}

/** One top-level query (a queue group over one interval) and what it has cost and found. */
interface Root {
  span: number;
  /** totalHits of its first page (the whole interval's), when the API gives it. */
  hits: number | null;
  read: number;
  done: boolean;
}

/** One query: a group over [a, b), paged. Continuations and queue splits are new queries of the same root. */
interface Query {
  root: Root;
  group: string[];
  a: number;
  b: number;
  /** Highest page asked for (pages below `skipped` aside), and the requests in flight. */
  asked: number;
  inflight: number;
  /** Pages skipped at the start (a continuation's already-read overlap), and pages below them still to read. */
  skipped: number;
  back: number[];
  /** Conversations read that a later continuation may meet again: id -> [start, end (Infinity: open)]. */
  active: Map<string, [number, number]>;
  /** Largest totalHits seen (null: the API gives none). */
  hits: number | null;
  /** The highest page known to be full, and a page that came back short (the end). */
  fullUpTo: number;
  shortAt: number | null;
  /** Start of the last conversation on the cap's last page (for the continuation). */
  lastStart: number | null;
  finished: boolean;
}

function conversationStartOf(c: unknown): number | null {
  if (c === null || typeof c !== "object") return null; // untrusted input
  const o = c as Record<string, unknown>;
  const t = ms(o.conversationStart);
  if (t !== undefined) return t;
  // Without conversationStart: the earliest segment start (the conversation's own start).
  let min = Infinity;
  const parts = Array.isArray(o.participants) ? (o.participants as Record<string, unknown>[]) : [];
  for (const p of parts) {
    for (const s of Array.isArray(p?.sessions) ? (p.sessions as Record<string, unknown>[]) : []) {
      for (const g of Array.isArray(s?.segments) ? (s.segments as Record<string, unknown>[]) : []) {
        const v = ms(g?.segmentStart);
        if (v !== undefined && v < min) min = v;
      }
    }
  }
  return Number.isFinite(min) ? min : null;
}

/** When the conversation ended (Infinity while open): conversationEnd, else its last segment end. */
function conversationEndOf(c: unknown): number {
  if (c === null || typeof c !== "object") return Infinity;
  const o = c as Record<string, unknown>;
  const t = ms(o.conversationEnd);
  if (t !== undefined) return t;
  let max = -Infinity;
  const parts = Array.isArray(o.participants) ? (o.participants as Record<string, unknown>[]) : [];
  for (const p of parts) {
    for (const s of Array.isArray(p?.sessions) ? (p.sessions as Record<string, unknown>[]) : []) {
      for (const g of Array.isArray(s?.segments) ? (s.segments as Record<string, unknown>[]) : []) {
        const v = ms(g?.segmentEnd);
        if (v === undefined) return Infinity;
        if (v > max) max = v;
      }
    }
  }
  return Number.isFinite(max) ? max : Infinity;
}

export async function backfill(client: DetailsApi, req: BackfillRequest, onEvents: (events: QueueEvent[]) => void, opts: BackfillOptions): Promise<BackfillResult> {
  const o = opts;
  const result: BackfillResult = { conversations: 0, events: 0, pages: 0, splits: 0, malformed: 0 };
  if (req.queueIds.length === 0 || req.to <= req.from) return result;
  const monitored = new Set(req.queueIds);
  const chunk = req.chunkMs;
  const pageSize = req.pageSize ?? 100;
  const maxResults = req.maxResults ?? 100_000;
  const capPages = Math.max(1, Math.floor(maxResults / pageSize));
  const concurrency = Math.max(1, o.concurrency);
  const started = Date.now();

  const roots: Root[] = [];
  const queries: Query[] = [];
  const add = (root: Root, group: string[], a: number, b: number, skipped = 0, active = new Map<string, [number, number]>()) =>
    queries.push({ root, group, a, b, asked: skipped, inflight: 0, skipped, back: [], active, hits: null, fullUpTo: skipped, shortAt: null, lastStart: null, finished: false });
  const end = Math.max(req.to, req.queryTo ?? req.to);
  for (let g = 0; g < req.queueIds.length; g += QUEUES_PER_QUERY) {
    const group = req.queueIds.slice(g, g + QUEUES_PER_QUERY);
    const intervals = [...earlierDayEnds(req.from, req.maxConversationMs)];
    for (let a = req.from; a < end; a += chunk) intervals.push([a, Math.min(a + chunk, end)]);
    for (const [a, b] of intervals) {
      const root: Root = { span: b - a, hits: null, read: 0, done: false };
      roots.push(root);
      add(root, group, a, b);
    }
  }

  /** The pages a query may still ask for now. */
  const lastPage = (q: Query): number => {
    if (q.shortAt !== null) return q.shortAt;
    // Known hits: every page they call for (no empty page to learn the end); unknown: one at a time.
    const byHits = q.hits !== null ? Math.ceil(q.hits / pageSize) : q.fullUpTo + 1;
    return Math.min(capPages, Math.max(1, byHits));
  };
  const nextPage = (q: Query): number | null => {
    if (q.finished) return null;
    if (q.back.length > 0) return q.back[0];
    if (q.asked === q.skipped) return q.skipped + 1;
    if (q.hits === null && q.inflight > 0) return null; // sequential without totalHits
    return q.asked < lastPage(q) ? q.asked + 1 : null;
  };

  const progress = (): BackfillProgress => {
    let weight = 0;
    let done = 0;
    let left = 0;
    for (const r of roots) {
      weight += r.span;
      const frac = r.done ? 1 : r.hits !== null && r.hits > 0 ? Math.min(1, r.read / r.hits) : 0;
      done += r.span * frac;
      if (!r.done) left += r.hits !== null ? Math.max(1, Math.ceil(Math.max(0, r.hits - r.read) / pageSize)) : 1;
    }
    const elapsed = (Date.now() - started) / 1000;
    const rate = o.ratePerSecond ?? (elapsed > 0 && result.pages > 0 ? result.pages / elapsed : null);
    return { pages: result.pages, conversations: result.conversations, rangeDone: weight > 0 ? done / weight : 1, pagesLeft: left, etaSeconds: rate ? left / rate : null };
  };

  const fetchPage = async (q: Query, page: number): Promise<void> => {
    const res = await client.call<{ conversations?: DetailsConversation[]; totalHits?: number }>("POST", DETAILS_PATH, {
      interval: `${new Date(q.a).toISOString()}/${new Date(q.b).toISOString()}`,
      order: "asc",
      orderBy: "conversationStart",
      paging: { pageSize, pageNumber: page },
      segmentFilters: [{ type: "or", predicates: q.group.map((id) => ({ type: "dimension", dimension: "queueId", operator: "matches", value: id })) }],
    });
    result.pages++;
    o.onPage?.(res.body);
    const hits = typeof res.body?.totalHits === "number" && Number.isFinite(res.body.totalHits) ? res.body.totalHits : null;
    const convs = Array.isArray(res.body?.conversations) ? res.body.conversations : [];
    if (hits !== null) q.hits = Math.max(q.hits ?? 0, hits);
    // A skipped continuation checks its skip: everything before the first result read must be
    // overlap (started before the continuation point); if not, it reads the page before too.
    if (q.skipped > 0 && page <= q.skipped + 1 && page > 1) {
      const first = convs.length > 0 ? conversationStartOf(convs[0]) : null;
      if (first === null || first >= q.a) q.back.push(page - 1);
    }
    // Only a query that may reach the cap keeps what a continuation will meet again.
    if (q.hits === null || q.hits > capPages * pageSize) {
      for (const c of convs) {
        const st = conversationStartOf(c);
        if (st === null) continue;
        const id = (c as Record<string, unknown>).conversationId;
        if (typeof id === "string") q.active.set(id, [st, conversationEndOf(c)]);
      }
    }
    if (q.root.hits === null && hits !== null && page === 1 && q === queries.find((x) => x.root === q.root)) q.root.hits = hits;
    result.conversations += convs.length;
    q.root.read += convs.length;
    if (convs.length < pageSize) q.shortAt = Math.min(q.shortAt ?? Infinity, page);
    else q.fullUpTo = Math.max(q.fullUpTo, page);
    if (page === capPages && convs.length === pageSize) q.lastStart = conversationStartOf(convs[convs.length - 1]);
    // One unreadable conversation must not fail the page (the retry would meet it again, forever).
    const events = convs.flatMap((c) => {
      try {
        return eventsFromDetails(c, (id) => monitored.has(id));
      } catch {
        result.malformed++;
        return [];
      }
    });
    result.events += events.length;
    if (events.length > 0) onEvents(events);
  };

  /** All asked pages are in and nothing more is called for: done, or continue past the cap. */
  const settle = (q: Query): void => {
    if (q.finished || q.inflight > 0 || nextPage(q) !== null) return;
    q.finished = true;
    // At the cap with its last page full, and the hits (if given) say there is more.
    const atCap = q.shortAt === null && q.fullUpTo >= capPages && (q.hits === null || q.hits > capPages * pageSize);
    if (atCap) {
      result.splits++;
      // Continue from the last start read, skipping the pages of what was in progress then (read already).
      if (q.lastStart !== null && q.lastStart > q.a) {
        const s1 = q.lastStart;
        const day = Math.floor(s1 / DAY) * DAY;
        const still = new Map<string, [number, number]>();
        let overlap = 0;
        for (const [id, [st, en]] of q.active) {
          if (en < s1) continue;
          still.set(id, [st, en]);
          // In the continuation's results: active in it, and started on a day it touches.
          if (st < s1 && st >= day) overlap++;
        }
        q.active.clear();
        add(q.root, q.group, s1, q.b, overlap > 0 ? Math.floor((overlap - 1) / pageSize) : 0, still);
      }
      else if (q.group.length > 1) {
        const half = Math.ceil(q.group.length / 2);
        add(q.root, q.group.slice(0, half), q.a, q.b);
        add(q.root, q.group.slice(half), q.a, q.b);
      } else throw new BackfillTooLargeError(q.group[0], [q.a, q.b], q.hits ?? maxResults, maxResults);
    }
    if (!queries.some((x) => x.root === q.root && !x.finished)) q.root.done = true;
  };

  // A small pool: each free slot takes the next page any query can ask for, oldest query first.
  let inFlight = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const pick = (): [Query, number] | null => {
    for (const q of queries) {
      const p = nextPage(q);
      if (p !== null) return [q, p];
    }
    return null;
  };
  for (;;) {
    // After a failure nothing new is asked; the requests in flight are waited for.
    const next = inFlight < concurrency && failure === null ? pick() : null;
    if (next) {
      const [q, p] = next;
      if (q.back.length > 0 && q.back[0] === p) q.back.shift();
      else q.asked = p;
      inFlight++;
      q.inflight++;
      fetchPage(q, p)
        .finally(() => q.inflight--)
        .then(() => settle(q))
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => {
          inFlight--;
          o.onProgress?.(progress());
          wake?.();
        });
      continue;
    }
    if (inFlight === 0) break;
    await new Promise<void>((r) => (wake = r));
    wake = null;
  }
  if (failure !== null) throw failure;
  return result;
}

const DAY = 86_400_000;

/**
 * The last second of each UTC day before `from`'s day that a conversation still in progress at
 * `from` can have started on (oldest first).
 */
export function earlierDayEnds(from: number, maxConversationMs: number): [number, number][] {
  const out: [number, number][] = [];
  const fromDay = Math.floor(from / DAY) * DAY;
  for (let dayEnd = fromDay; dayEnd > from - maxConversationMs; dayEnd -= DAY) out.unshift([dayEnd - 1000, dayEnd - 1]);
  return out;
}
