/**
 * Backfill: what the stream missed, from the conversation details query (genesys-api.md §4a).
 * The real service has no replay, so every gap (and every restart) is filled from analytics and
 * deduplicated against what was already counted.
 *
 * The query interval reaches `lookbackMs` before the gap: whether the interval selects
 * conversations that *start* in it or that *overlap* it is unconfirmed, and with the lookback a
 * call that entered the queue before the gap and ended during it is found either way. Long
 * ranges are split into chunks (the API caps paging at 100,000 results), queues into groups of
 * 50 predicates, pages are 100 conversations, ordered by start so new conversations append.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import { eventsFromDetails, type DetailsConversation } from "../normalize/details.js";
import type { GenesysClient } from "./client.js";

export interface BackfillRequest {
  queueIds: string[];
  from: number;
  to: number;
  lookbackMs: number;
  chunkMs?: number;
  pageSize?: number;
}

export interface BackfillResult {
  conversations: number;
  events: number;
  pages: number;
  /** Conversations skipped because they could not be read (untrusted input: skip, never stop). */
  malformed: number;
}

const QUEUES_PER_QUERY = 50;

/** `onPage` [replay hook] sees every details response body as received (run --record). */
export async function backfill(client: GenesysClient, req: BackfillRequest, onEvents: (events: QueueEvent[]) => void, onPage?: (body: unknown) => void): Promise<BackfillResult> {
  const result: BackfillResult = { conversations: 0, events: 0, pages: 0, malformed: 0 };
  if (req.queueIds.length === 0 || req.to <= req.from) return result;
  const monitored = new Set(req.queueIds);
  const chunk = req.chunkMs ?? 6 * 3_600_000;
  const pageSize = req.pageSize ?? 100;
  for (let g = 0; g < req.queueIds.length; g += QUEUES_PER_QUERY) {
    const group = req.queueIds.slice(g, g + QUEUES_PER_QUERY);
    for (let a = req.from - req.lookbackMs; a < req.to; a += chunk) {
      const b = Math.min(a + chunk, req.to);
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
        const convs = Array.isArray(res.body?.conversations) ? res.body.conversations : [];
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
        if (convs.length < pageSize || page * pageSize >= 100_000) break;
      }
    }
  }
  return result;
}
