/**
 * Queue-level agent metrics as the observations topic and query render them (genesys-api.md
 * "Added (2026-12)"): oMemberUsers, oActiveUsers, oOnQueueUsers, oOffQueueUsers,
 * oUserRoutingStatuses (qualifiers IDLE, INTERACTING, COMMUNICATING, NOT_RESPONDING, OFF_QUEUE)
 * and oUserPresences. Where the real rendering is unconfirmed, each queue gets one of the
 * plausible readings, drawn from the seed and the queue id, so a run shows them all:
 * - oOnQueueUsers as one count, or one per routing status (qualifier);
 * - qualifiers with a zero count sent, or left out (then a metric whose qualifiers are all zero
 *   is not there at all);
 * - OFF_QUEUE counting logged-on members only, or logged-off members too.
 * oUserPresences' qualifiers are system presence names here (ON_QUEUE, BREAK, OFFLINE); the real
 * service may name presence definition ids instead (unconfirmed).
 */
import { mulberry32 } from "../util/random.js";
import type { AgentFigures } from "./simulator/simulator.js";

export const AGENT_METRICS = ["oUserRoutingStatuses", "oOnQueueUsers", "oOffQueueUsers", "oActiveUsers", "oMemberUsers", "oUserPresences"] as const;
export type AgentMetric = (typeof AGENT_METRICS)[number];

export interface AgentReading {
  onQueueByStatus: boolean;
  zeroQualifiers: boolean;
  offlineAsOffQueue: boolean;
}

export interface MetricRow {
  metric: AgentMetric;
  qualifier?: string;
  stats: { count: number };
}

/** The reading of queue `queueId` in a run of `seed`: stable for the run, different across queues. */
export function agentReading(seed: number, queueId: string): AgentReading {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < queueId.length; i++) h = Math.imul(h ^ queueId.charCodeAt(i), 0x01000193);
  const rng = mulberry32(h ^ 0x2ea1d);
  return { onQueueByStatus: rng() < 0.5, zeroQualifiers: rng() < 0.5, offlineAsOffQueue: rng() < 0.5 };
}

/** The rows of one metric for a queue's figures, in the queue's reading (possibly none). */
export function agentMetricRows(metric: AgentMetric, f: AgentFigures, reading: AgentReading): MetricRow[] {
  const qualified = (counts: [string, number][]): MetricRow[] =>
    counts.filter(([, count]) => count > 0 || reading.zeroQualifiers).map(([qualifier, count]) => ({ metric, qualifier, stats: { count } }));
  const offline = f.members - f.active;
  switch (metric) {
    case "oMemberUsers":
      return [{ metric, stats: { count: f.members } }];
    case "oActiveUsers":
      return [{ metric, stats: { count: f.active } }];
    case "oOffQueueUsers":
      return [{ metric, stats: { count: f.offQueue } }];
    case "oOnQueueUsers":
      if (!reading.onQueueByStatus) return [{ metric, stats: { count: f.onQueue } }];
      return qualified([
        ["IDLE", f.idle],
        ["INTERACTING", f.interacting],
        ["COMMUNICATING", f.communicating],
        ["NOT_RESPONDING", f.notResponding],
      ]);
    case "oUserRoutingStatuses":
      return qualified([
        ["IDLE", f.idle],
        ["INTERACTING", f.interacting],
        ["COMMUNICATING", f.communicating],
        ["NOT_RESPONDING", f.notResponding],
        ["OFF_QUEUE", f.offQueue + (reading.offlineAsOffQueue ? offline : 0)],
      ]);
    case "oUserPresences":
      return qualified([
        ["ON_QUEUE", f.onQueue],
        ["BREAK", f.offQueue],
        ["OFFLINE", offline],
      ]);
  }
}
