/**
 * Queue observation notifications (`v2.analytics.queues.{id}.observations`) -> "now" figures.
 * Pure. Instant observations have a zero-length interval; 30-minute aggregates ride on the same
 * topic and are ignored here (the engine computes its own from events).
 */
export interface ObservationUpdate {
  queueId: string;
  mediaType: string;
  waiting: number;
  interacting: number;
  alerting: number;
  at: number;
}

interface Metric {
  metric?: string;
  qualifier?: string;
  stats?: { count?: number };
}

export function observationsFrom(topicQueueId: string, body: unknown): ObservationUpdate[] {
  if (!body || typeof body !== "object") return [];
  const b = body as { group?: { queueId?: string; mediaType?: string }; data?: { interval?: string; metrics?: Metric[] }[] };
  const queueId = typeof b.group?.queueId === "string" ? b.group.queueId : topicQueueId;
  const out: ObservationUpdate[] = [];
  for (const d of Array.isArray(b.data) ? b.data : []) {
    const [from, to] = (d.interval ?? "").split("/");
    if (!from || from !== to) continue; // an aggregate interval, not an instant observation
    const at = Date.parse(from);
    if (!Number.isFinite(at)) continue;
    const count = (name: string) => {
      const m = (d.metrics ?? []).find((x) => x.metric === name && !x.qualifier);
      return typeof m?.stats?.count === "number" ? m.stats.count : undefined;
    };
    const waiting = count("oWaiting");
    if (waiting === undefined) continue;
    out.push({
      queueId,
      mediaType: typeof b.group?.mediaType === "string" ? b.group.mediaType.toLowerCase() : "voice",
      waiting,
      interacting: count("oInteracting") ?? 0,
      alerting: count("oAlerting") ?? 0,
      at,
    });
  }
  return out;
}
