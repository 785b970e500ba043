/**
 * `POST /api/v2/analytics/queues/observations/query` (genesys-api.md §4b): waiting / interacting /
 * alerting now per queue x media, with detail observations of the waiting legs, and queue-level
 * member figures in a group without mediaType.
 */
import { HttpError, json, type Reply } from "../http.js";
import type { Simulator } from "../simulator/simulator.js";
import { filterMatches, type Filter } from "./filters.js";

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

export function observationsQuery(sim: Simulator, body: unknown): Reply {
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
  for (const queue of sim.queues) {
    if (!filterMatches(q.filter, (p) => (p.dimension === "queueId" ? p.value === queue.id : true))) continue;
    if (queueMetrics.length > 0) {
      // Member figures belong to the queue, not a media type: a group without mediaType (tutorial response).
      const m = sim.members(queue.id);
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
    for (const [mediaType, o] of sim.observe(queue.id)) {
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
