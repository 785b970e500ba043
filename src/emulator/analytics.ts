/**
 * Analytics endpoints (genesys-api.md §4a, §4b):
 * - details query: conversations as they stood `ingestionDelayMs` ago (the real API lags),
 *   filtered, ordered and paged (pageSize <= 100, 100,000-result cap);
 * - queue observations query: waiting / interacting / alerting now, with detail observations.
 * Whether the details interval selects conversations that *start* in it or that *overlap* it is
 * unconfirmed; `intervalSemantics` chooses, so the monitor is tested against both.
 */
import { conversationDetails } from "./render.js";
import { HttpError, json, type Reply } from "./http.js";
import type { SimConversation, Simulator } from "./simulator/simulator.js";

export type IntervalSemantics = "start" | "overlap";

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

export class Analytics {
  constructor(
    private readonly sim: Simulator,
    private readonly options: { ingestionDelayMs: () => number; intervalSemantics: IntervalSemantics },
  ) {}

  /** The conversation as the analytics store knows it now, or undefined if not ingested yet. */
  private visible(conv: SimConversation): { participants: SimConversation["participants"]; end?: number } | undefined {
    const cutoff = this.sim.now - this.options.ingestionDelayMs();
    let v: SimConversation["versions"][number] | undefined;
    for (let i = conv.versions.length - 1; i >= 0; i--) {
      if (conv.versions[i].time <= cutoff) {
        v = conv.versions[i];
        break;
      }
    }
    if (!v) return undefined;
    const ended = v.participants.every((p) => p.endTime !== undefined);
    return { participants: v.participants, end: ended ? v.time : undefined };
  }

  detailsQuery(body: unknown): Reply {
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
    const segmentFilters = (q.segmentFilters ?? []) as Filter[];
    const conversationFilters = (q.conversationFilters ?? []) as Filter[];
    const matches: { conv: SimConversation; rendered: Record<string, unknown> }[] = [];
    for (const conv of this.sim.conversations.values()) {
      if (conv.start >= to) continue;
      const seen = this.visible(conv);
      if (!seen) continue;
      if (this.options.intervalSemantics === "start" ? conv.start < from : seen.end !== undefined && seen.end < from) continue;
      const convOk = conversationFilters.every((f) =>
        filterMatches(f, (p) =>
          predicateOn(
            [p.dimension === "conversationId" ? conv.id : p.dimension === "conversationEnd" && seen.end !== undefined ? String(seen.end) : p.dimension === "originatingDirection" ? "inbound" : undefined],
            p,
          ),
        ),
      );
      if (!convOk) continue;
      const segOk = segmentFilters.every((f) =>
        filterMatches(f, (p) => {
          const vals = seen.participants.map((part) => {
            switch (p.dimension) {
              case "queueId":
                return part.queueId;
              case "mediaType":
                return conv.mediaType;
              case "purpose":
                return part.purpose;
              case "userId":
                return part.userId;
              case "disconnectType":
                return part.disconnectType;
              default:
                return undefined;
            }
          });
          return predicateOn(vals, p);
        }),
      );
      if (!segOk) continue;
      matches.push({ conv, rendered: conversationDetails(conv, seen.participants, seen.end) });
    }
    const desc = q.order === "desc";
    matches.sort((a, b) => (desc ? b.conv.start - a.conv.start : a.conv.start - b.conv.start));
    const start = ((pageNumber as number) - 1) * (pageSize as number);
    const page = matches.slice(start, start + (pageSize as number)).map((m) => m.rendered);
    return json(200, { ...(page.length > 0 ? { conversations: page } : {}), totalHits: matches.length });
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
    for (const queue of this.sim.queues) {
      if (!filterMatches(q.filter, (p) => (p.dimension === "queueId" ? p.value === queue.id : true))) continue;
      for (const [mediaType, o] of this.sim.observe(queue.id)) {
        const data: unknown[] = [];
        for (const metric of metrics) {
          if (metric === "oWaiting") {
            data.push({
              metric,
              stats: { count: o.waiting.length },
              ...(detail.has(metric)
                ? {
                    truncated: false,
                    observations: o.waiting.map((w) => ({
                      observationDate: new Date(w.acd.connectedTime!).toISOString(),
                      conversationId: w.conv.id,
                      sessionId: w.acd.sessionId,
                      routingPriority: 0,
                      participantName: w.conv.participants[0].name,
                      direction: "inbound",
                      ani: w.conv.ani,
                    })),
                  }
                : {}),
            });
          } else if (metric === "oInteracting") data.push({ metric, stats: { count: o.interacting } });
          else if (metric === "oAlerting") data.push({ metric, stats: { count: o.alerting } });
          else data.push({ metric, stats: { count: 0 } });
        }
        results.push({ group: { queueId: queue.id, mediaType }, data });
      }
    }
    return json(200, { results });
  }
}
