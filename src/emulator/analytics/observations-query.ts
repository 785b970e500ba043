/**
 * `POST /api/v2/analytics/queues/observations/query` (genesys-api.md §4b): waiting / interacting /
 * alerting now per queue x media, with detail observations (sorted by observationDate, oldest
 * first) when asked, and queue-level agent figures in a group without mediaType (agent-metrics).
 */
import { HttpError, json, type Reply } from "../http.js";
import { agentMetricRows, type AgentMetric, type AgentReading } from "../agent-metrics.js";
import type { MediaObservation, Simulator } from "../simulator/simulator.js";
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

export function observationsQuery(sim: Simulator, body: unknown, readingOf: (queueId: string) => AgentReading): Reply {
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
      const f = sim.agentFigures(queue.id);
      const reading = readingOf(queue.id);
      results.push({ group: { queueId: queue.id }, data: queueMetrics.flatMap((metric) => agentMetricRows(metric as AgentMetric, f, reading)) });
    }
    if (convMetrics.length === 0) continue;
    for (const [mediaType, o] of sim.observe(queue.id)) {
      const data = convMetrics.map((metric) => {
        const count = metric === "oWaiting" ? o.waiting.length : metric === "oInteracting" ? o.interacting : o.alerting;
        if (!detail.has(metric)) return { metric, stats: { count } };
        const observations = metric === "oWaiting" ? waitingRows(o) : metric === "oInteracting" ? interactingRows(o) : alertingRows(o);
        return { metric, stats: { count }, truncated: false, observations };
      });
      results.push({ group: { queueId: queue.id, mediaType }, data });
    }
  }
  return json(200, { results });
}

const iso = (t: number) => new Date(t).toISOString();

/** Waiting legs: observed since they entered the queue. */
function waitingRows(o: MediaObservation): Record<string, unknown>[] {
  return o.waiting.map((w) => ({
    observationDate: iso(w.acd.sessions[0].startTime),
    conversationId: w.conv.id,
    sessionId: w.acd.sessions[0].id,
    routingPriority: 0,
    participantName: w.conv.participants[0].name,
    direction: "inbound",
    ani: w.conv.ani,
  }));
}

/** Waiting legs ringing an agent: observed since the alert began. */
function alertingRows(o: MediaObservation): Record<string, unknown>[] {
  return o.waiting.flatMap((w) =>
    w.alerting
      ? [{ observationDate: iso(w.alerting.session.startTime), conversationId: w.conv.id, sessionId: w.alerting.session.id, routingPriority: 0, participantName: w.conv.participants[0].name, userId: w.alerting.agent.userId, direction: "inbound", ani: w.conv.ani }]
      : [],
  ).sort((a, b) => a.observationDate.localeCompare(b.observationDate));
}

/** Answered calls being handled: observed since the agent connected (tutorial response: with userId). */
function interactingRows(o: MediaObservation): Record<string, unknown>[] {
  return o.handling
    .map((h) => ({ observationDate: iso(h.session.connectedTime ?? h.session.startTime), conversationId: h.conv.id, sessionId: h.session.id, routingPriority: 0, participantName: h.conv.participants[0].name, userId: h.agent.userId, direction: "inbound", ani: h.conv.ani }))
    .sort((a, b) => a.observationDate.localeCompare(b.observationDate));
}
