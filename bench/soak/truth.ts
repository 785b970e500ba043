/**
 * The emulator's ground truth as queue events, and the figures the monitor must show for any
 * slice of time, recomputed from it with the definitions of docs/metrics.md (service level with
 * abandons and without short abandons, ASA, abandon rate, nearest-rank percentiles). Pure, apart
 * from the two readers at the bottom.
 */
import { readFileSync } from "node:fs";

export type Kind = "offered" | "answered" | "abandoned" | "flowout";
export const KINDS: Kind[] = ["offered", "answered", "abandoned", "flowout"];

/** One ground-truth queue event (offered at the visit's start, its end with the wait). */
export interface TruthEvent {
  kind: Kind;
  queueId: string;
  mediaType: string;
  conversationId: string;
  /** The acd participant when the source names it (the ground-truth file does, visits do not). */
  participantId?: string;
  time: number;
  waitMs?: number;
}

/** One visit as `GET /emulator/ground-truth?visits=1` lists it. */
export interface Visit {
  queueId: string;
  mediaType: string;
  conversationId: string;
  offeredAt: string;
  endedAt?: string;
  kind?: Exclude<Kind, "offered">;
  waitMs?: number;
}

/** Totals per queue x media as the plain ground truth gives them. */
export interface TruthGroup {
  queueId: string;
  mediaType: string;
  counts: Record<Kind, number>;
}

/** What slices are computed with: per queue, the service-level threshold the emulator gives it. */
export interface FigureSettings {
  serviceLevelMs: (queueId: string) => number;
  shortAbandonMs: number;
}

export interface WaitSummary {
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** The figures of one slice, shaped as /api/queues shows them. */
export interface SliceFigures {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  flowout: number;
  overSla: number;
  serviceLevel: number | null;
  asaSeconds: number | null;
  abandonRate: number | null;
  answeredWaitSeconds: WaitSummary;
  abandonedWaitSeconds: WaitSummary;
  /** How many waits each summary is over (the monitor bins past 2,048: comparisons loosen there). */
  waitCounts: { answered: number; abandoned: number };
}

export function visitsToEvents(visits: Visit[]): TruthEvent[] {
  const out: TruthEvent[] = [];
  for (const v of visits) {
    const base = { queueId: v.queueId, mediaType: v.mediaType, conversationId: v.conversationId };
    out.push({ ...base, kind: "offered", time: Date.parse(v.offeredAt) });
    if (v.endedAt !== undefined && v.kind !== undefined) out.push({ ...base, kind: v.kind, time: Date.parse(v.endedAt), ...(v.waitMs === undefined ? {} : { waitMs: v.waitMs }) });
  }
  return out;
}

export function seriesKey(queueId: string, mediaType: string): string {
  return `${queueId}/${mediaType}`;
}

/** Events grouped by queue x media (the monitor's series). */
export function bySeries(events: TruthEvent[]): Map<string, TruthEvent[]> {
  const m = new Map<string, TruthEvent[]>();
  for (const e of events) {
    const k = seriesKey(e.queueId, e.mediaType);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(e);
  }
  return m;
}

export function totalsOf(events: TruthEvent[]): Record<Kind, number> {
  const t: Record<Kind, number> = { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
  for (const e of events) t[e.kind]++;
  return t;
}

/** Nearest rank: the smallest wait with at least q of all waits at or below it. */
export function nearestRank(sorted: number[], q: number): number {
  const n = sorted.length;
  return sorted[Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9))) - 1];
}

export function summarize(waitsMs: number[]): WaitSummary {
  if (waitsMs.length === 0) return { p50: null, p90: null, p95: null, p99: null, max: null };
  const v = [...waitsMs].sort((a, b) => a - b);
  const s = (ms: number) => Math.round(ms) / 1000;
  return { p50: s(nearestRank(v, 0.5)), p90: s(nearestRank(v, 0.9)), p95: s(nearestRank(v, 0.95)), p99: s(nearestRank(v, 0.99)), max: s(v[v.length - 1]) };
}

/** The figures of the events of one series with time in [from, to). */
export function sliceFigures(events: TruthEvent[], from: number, to: number, st: FigureSettings): SliceFigures {
  let offered = 0;
  let shortAbandoned = 0;
  let flowout = 0;
  let overSla = 0;
  let answeredSum = 0;
  const answered: number[] = [];
  const abandoned: number[] = [];
  for (const e of events) {
    if (e.time < from || e.time >= to) continue;
    const w = e.waitMs ?? 0;
    switch (e.kind) {
      case "offered":
        offered++;
        break;
      case "answered":
        answered.push(w);
        answeredSum += w;
        if (w > st.serviceLevelMs(e.queueId)) overSla++;
        break;
      case "abandoned":
        abandoned.push(w);
        if (w < st.shortAbandonMs) shortAbandoned++;
        break;
      case "flowout":
        flowout++;
        break;
    }
  }
  const denominator = answered.length + abandoned.length - shortAbandoned;
  return {
    offered,
    answered: answered.length,
    abandoned: abandoned.length,
    shortAbandoned,
    flowout,
    overSla,
    serviceLevel: denominator > 0 ? (answered.length - overSla) / denominator : null,
    asaSeconds: answered.length > 0 ? answeredSum / answered.length / 1000 : null,
    abandonRate: offered > 0 ? abandoned.length / offered : null,
    answeredWaitSeconds: summarize(answered),
    abandonedWaitSeconds: summarize(abandoned),
    waitCounts: { answered: answered.length, abandoned: abandoned.length },
  };
}

const MINUTE = 60_000;

/** [from, to) of a rolling window of `minutes` whole minutes ending with the minute holding `now`. */
export function windowRange(now: number, minutes: number): [number, number] {
  const end = Math.floor(now / MINUTE);
  return [(end - minutes + 1) * MINUTE, (end + 1) * MINUTE];
}

/** The ground-truth file (`emulate --ground-truth FILE`): one QueueEvent per line. */
export function readTruthFile(file: string): TruthEvent[] {
  const out: TruthEvent[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as TruthEvent;
    if (!KINDS.includes(e.kind) || typeof e.time !== "number") throw new Error(`ground-truth file ${file}: unreadable line ${line.slice(0, 200)}`);
    out.push(e);
  }
  return out;
}
