/**
 * The 30-minute aggregates the observations topic carries (nOffered, tAnswered, tAbandon,
 * tFlowOut, tAcd, tWait, nOverSla, oServiceLevel) per queue x media x bucket. Each metric counts
 * in the bucket of its own time: nOffered at the acd start, the others at the acd end (tAnswered's
 * emit time is kept inside that bucket), so they equal the ground truth bucketed by event time.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import type { SimQueue } from "./simulator/simulator.js";

export const BUCKET_MS = 1_800_000;

interface Stat {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** One queue x media x 30-minute bucket of the aggregate observation metrics. */
export interface IntervalAgg {
  queueId: string;
  mediaType: string;
  start: number;
  nOffered: number;
  tAnswered?: Stat;
  tAbandon?: Stat;
  tFlowOut?: Stat;
  tAcd?: Stat;
  tWait?: Stat;
  nOverSla: number;
}

function addStat(st: Stat | undefined, v: number): Stat {
  if (!st) return { count: 1, sum: v, min: v, max: v };
  st.count++;
  st.sum += v;
  st.min = Math.min(st.min, v);
  st.max = Math.max(st.max, v);
  return st;
}

export class IntervalAggregates {
  private readonly aggs = new Map<string, IntervalAgg>();

  /** Counts a ground-truth event; answers the start of the bucket it changed. */
  add(ev: QueueEvent, q: SimQueue): number {
    const start = Math.floor(ev.time / BUCKET_MS) * BUCKET_MS;
    const key = `${ev.queueId}|${ev.mediaType}|${start}`;
    let agg = this.aggs.get(key);
    if (!agg) this.aggs.set(key, (agg = { queueId: ev.queueId, mediaType: ev.mediaType, start, nOffered: 0, nOverSla: 0 }));
    if (ev.kind === "offered") agg.nOffered++;
    else {
      const w = ev.waitMs!;
      agg.tAcd = addStat(agg.tAcd, w);
      agg.tWait = addStat(agg.tWait, w);
      if (ev.kind === "answered") {
        agg.tAnswered = addStat(agg.tAnswered, w);
        if (w > q.spec.serviceLevel.durationMs) agg.nOverSla++;
      } else if (ev.kind === "abandoned") agg.tAbandon = addStat(agg.tAbandon, w);
      else agg.tFlowOut = addStat(agg.tFlowOut, w);
    }
    return start;
  }

  get(queueId: string, mediaType: string, bucket: number): IntervalAgg | undefined {
    return this.aggs.get(`${queueId}|${mediaType}|${bucket}`);
  }

  /** Forgets buckets that ended before `before`. */
  prune(before: number): void {
    for (const [k, a] of this.aggs) if (a.start + BUCKET_MS < before) this.aggs.delete(k);
  }
}

/** The observation message data of one bucket: only the metrics it has. */
export function aggregateData(agg: IntervalAgg, q: SimQueue): { interval: string; metrics: unknown[] } {
  const metrics: unknown[] = [];
  if (agg.nOffered > 0) metrics.push({ metric: "nOffered", stats: { count: agg.nOffered } });
  for (const name of ["tAnswered", "tAbandon", "tFlowOut", "tAcd", "tWait"] as const) {
    const st = agg[name];
    if (st) metrics.push({ metric: name, stats: { ...st } });
  }
  if (agg.nOverSla > 0) metrics.push({ metric: "nOverSla", stats: { count: agg.nOverSla } });
  const answered = agg.tAnswered?.count ?? 0;
  const denominator = answered + (agg.tAbandon?.count ?? 0);
  if (denominator > 0) {
    const numerator = answered - agg.nOverSla;
    metrics.push({ metric: "oServiceLevel", stats: { ratio: numerator / denominator, numerator, denominator, target: q.spec.serviceLevel.percentage } });
  }
  return { interval: `${new Date(agg.start).toISOString()}/${new Date(agg.start + BUCKET_MS).toISOString()}`, metrics };
}
