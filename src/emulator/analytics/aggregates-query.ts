/**
 * `POST /api/v2/analytics/conversations/aggregates/query` (genesys-api.md §4c) for the queue
 * figures: nOffered, tAnswered, tAbandon, tFlowOut (and tAcd, tWait, nOverSla) per queue and
 * media type in 30-minute buckets (`granularity: PT30M`), from the same buckets the observations
 * topic publishes: each metric counted in the bucket of its own time, equal to the ground truth.
 * Whether the real API lags behind like the details query is UNCONFIRMED; the monitor takes the
 * larger of this and the topic's reading either way.
 */
import { HttpError, json, type Reply } from "../http.js";
import { aggregateData, BUCKET_MS, type IntervalAggregates } from "../interval-aggregates.js";
import type { SimQueue } from "../simulator/simulator.js";
import { filterMatches, type Filter } from "./filters.js";

export function aggregatesQuery(body: unknown, aggs: IntervalAggregates, queues: SimQueue[]): Reply {
  if (!body || typeof body !== "object") throw new HttpError(400, "bad.request", "a ConversationAggregationQuery body is required");
  const q = body as { interval?: unknown; granularity?: unknown; groupBy?: unknown; filter?: Filter; metrics?: unknown };
  const parts = typeof q.interval === "string" ? q.interval.split("/").map((x) => Date.parse(x)) : [];
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[1] <= parts[0]) throw new HttpError(400, "bad.request", "interval must be an ISO-8601 start/end");
  if (!Array.isArray(q.metrics) || q.metrics.length === 0) throw new HttpError(400, "bad.request", "metrics must not be empty");
  if (q.granularity !== undefined && q.granularity !== "PT30M") throw new HttpError(400, "bad.request", "only granularity PT30M is supported by the emulator");
  const groupBy = Array.isArray(q.groupBy) ? (q.groupBy as string[]) : [];
  if (!groupBy.includes("queueId") || !groupBy.includes("mediaType")) throw new HttpError(400, "bad.request", "groupBy must include queueId and mediaType");
  const wanted = new Set(q.metrics as string[]);
  const [from, to] = parts;
  const results: unknown[] = [];
  for (const queue of queues) {
    if (q.filter && !filterMatches(q.filter, (p) => (p.dimension === "queueId" ? p.value === queue.id : true))) continue;
    for (const mediaType of Object.keys(queue.spec.media)) {
      const data: { interval: string; metrics: unknown[] }[] = [];
      for (let start = Math.floor(from / BUCKET_MS) * BUCKET_MS; start < to; start += BUCKET_MS) {
        const agg = aggs.get(queue.id, mediaType, start);
        if (!agg) continue;
        const d = aggregateData(agg, queue);
        data.push({ interval: d.interval, metrics: d.metrics.filter((m) => wanted.has((m as { metric: string }).metric)) });
      }
      if (data.length > 0) results.push({ group: { queueId: queue.id, mediaType }, data });
    }
  }
  return json(200, { results });
}
