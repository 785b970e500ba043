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
 * Size: the API stops paging at 100,000 results. A query whose `totalHits` exceeds that, or that
 * reaches the cap page by page, is split (time halves while that reduces the hits, then queue
 * groups) until each part fits; if a single queue over the smallest span still does not fit,
 * it fails loudly with BackfillTooLargeError instead of silently stopping short.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import { eventsFromDetails, type DetailsConversation } from "../normalize/details.js";

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
  chunkMs?: number;
  pageSize?: number;
  /** The API's result cap per query (100,000 on Genesys Cloud). */
  maxResults?: number;
  /** Time is not split below this span (ms); queue groups are split instead. */
  minSpanMs?: number;
}

export interface BackfillResult {
  conversations: number;
  events: number;
  pages: number;
  /** Queries split because they exceeded the result cap. */
  splits: number;
  /** Conversations skipped because they could not be read (untrusted input: skip, never stop). */
  malformed: number;
}

/** A query that cannot be made to fit the API's result cap: the backfill is incomplete. */
export class BackfillTooLargeError extends Error {
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

/** `onPage` [replay hook] sees every details response body as received (run --record). */
export async function backfill(client: DetailsApi, req: BackfillRequest, onEvents: (events: QueueEvent[]) => void, onPage?: (body: unknown) => void): Promise<BackfillResult> {
  const result: BackfillResult = { conversations: 0, events: 0, pages: 0, splits: 0, malformed: 0 };
  if (req.queueIds.length === 0 || req.to <= req.from) return result;
  const monitored = new Set(req.queueIds);
  const chunk = req.chunkMs ?? 6 * 3_600_000;
  const pageSize = req.pageSize ?? 100;
  const maxResults = req.maxResults ?? 100_000;
  const minSpan = req.minSpanMs ?? 10 * 60_000;

  /** Queries [a, b) for `group`; splits when it does not fit. `parentHits`: the hits before this split. */
  const query = async (group: string[], a: number, b: number, parentHits: number | null, splitBy: "time" | "queues" | null): Promise<void> => {
    for (let page = 1; ; page++) {
      const res = await client.call<{ conversations?: DetailsConversation[]; totalHits?: number }>("POST", "/api/v2/analytics/conversations/details/query", {
        interval: `${new Date(a).toISOString()}/${new Date(b).toISOString()}`,
        order: "asc",
        orderBy: "conversationStart",
        paging: { pageSize, pageNumber: page },
        segmentFilters: [{ type: "or", predicates: group.map((q) => ({ type: "dimension", dimension: "queueId", operator: "matches", value: q })) }],
      });
      result.pages++;
      onPage?.(res.body); // [replay hook]
      const hits = typeof res.body?.totalHits === "number" ? res.body.totalHits : null;
      const convs = Array.isArray(res.body?.conversations) ? res.body.conversations : [];
      if (page === 1 && hits !== null && hits > maxResults) return split(group, a, b, hits, parentHits, splitBy);
      result.conversations += convs.length;
      // One unreadable conversation must not fail the page (the retry would meet it again, forever).
      const events = convs.flatMap((c) => {
        try {
          return eventsFromDetails(c, (q) => monitored.has(q));
        } catch {
          result.malformed++;
          return [];
        }
      });
      result.events += events.length;
      if (events.length > 0) onEvents(events);
      if (convs.length < pageSize) return;
      // At the cap with pages still full: there may be more than the API will page through.
      if ((page + 1) * pageSize > maxResults) return split(group, a, b, hits ?? maxResults, parentHits, splitBy);
    }
  };

  const split = async (group: string[], a: number, b: number, hits: number, parentHits: number | null, splitBy: "time" | "queues" | null): Promise<void> => {
    result.splits++;
    // A time split that did not reduce the hits (an API reading that ignores activity within a
    // day) would only multiply queries: split the queues instead.
    const timeHelps = !(splitBy === "time" && parentHits !== null && hits >= parentHits);
    if (timeHelps && b - a > minSpan) {
      const mid = a + Math.floor((b - a) / 2);
      await query(group, a, mid, hits, "time");
      await query(group, mid, b, hits, "time");
      return;
    }
    if (group.length > 1) {
      const half = Math.ceil(group.length / 2);
      await query(group.slice(0, half), a, b, hits, "queues");
      await query(group.slice(half), a, b, hits, "queues");
      return;
    }
    throw new BackfillTooLargeError(group[0], [a, b], hits, maxResults);
  };

  const end = Math.max(req.to, req.queryTo ?? req.to);
  for (let g = 0; g < req.queueIds.length; g += QUEUES_PER_QUERY) {
    const group = req.queueIds.slice(g, g + QUEUES_PER_QUERY);
    for (const [a, b] of earlierDayEnds(req.from, req.maxConversationMs)) await query(group, a, b, null, null);
    for (let a = req.from; a < end; a += chunk) await query(group, a, Math.min(a + chunk, end), null, null);
  }
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
