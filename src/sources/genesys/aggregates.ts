/**
 * Genesys' own counts of closed 30-minute intervals, asked for when the loss detector needs them
 * (POST /api/v2/analytics/conversations/aggregates/query, genesys-api.md §4c): the observations
 * topic carries the same aggregates, but only while the monitor listens, and a restart or a gap
 * can miss an interval's last message. The response's groups have the topic's shape
 * (`{group: {queueId, mediaType}, data: [{interval, metrics}]}`), so the topic's reader reads them.
 */
import { parseObservation, type IntervalAggregate } from "../../normalize/observation.js";
import type { DetailsApi } from "./backfill/query.js";

const PATH = "/api/v2/analytics/conversations/aggregates/query";
/** Queues per query, like the details query's filter. */
const QUEUES_PER_QUERY = 50;
const METRICS = ["nOffered", "tAnswered", "tAbandon", "tFlowOut"];

/** The aggregates of these queues' 30-minute intervals in [from, to). */
export async function fetchIntervalAggregates(client: DetailsApi, queueIds: string[], from: number, to: number): Promise<IntervalAggregate[]> {
  const out: IntervalAggregate[] = [];
  for (let i = 0; i < queueIds.length; i += QUEUES_PER_QUERY) {
    const group = queueIds.slice(i, i + QUEUES_PER_QUERY);
    const res = await client.call<{ results?: unknown }>("POST", PATH, {
      interval: `${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
      granularity: "PT30M",
      groupBy: ["queueId", "mediaType"],
      metrics: METRICS,
      filter: { type: "or", predicates: group.map((id) => ({ type: "dimension", dimension: "queueId", operator: "matches", value: id })) },
    });
    const results = Array.isArray(res.body?.results) ? res.body.results : [];
    for (const r of results) {
      const queueId = (r as { group?: { queueId?: unknown } } | null)?.group?.queueId;
      if (typeof queueId !== "string" || !group.includes(queueId)) continue;
      out.push(...parseObservation(queueId, r).aggregates);
    }
  }
  return out;
}
