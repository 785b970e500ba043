/**
 * Queue observation notifications (`v2.analytics.queues.{id}.observations`) -> "now" figures and
 * 30-minute aggregates. Pure and total: any input gives a (possibly empty) well-formed result,
 * never an exception, because every frame is untrusted.
 *
 * What the real topic sends (genesys-api.md §3b, §10): one message per group. A group with
 * `queueId` and `mediaType` carries that media's figures; a queue-level group without
 * `mediaType` carries member / routing-status metrics, which are not per-media figures: this
 * parser skips them and `parseStaffing` (staffing.ts) reads them. A message carries only the metrics present (e.g. `oAlerting` and `oWaiting` alone,
 * `oInteracting` separately), so an update holds only those: a missing metric is unknown, not
 * zero. Instant observations have a zero-length interval; an interval with start < end is an
 * aggregate bucket (30 minutes on the real service).
 */
import { ms } from "./time.js";

/** Instant counts of one queue x media at `at`; only the metrics the message carried are set. */
export interface ObservationUpdate {
  queueId: string;
  mediaType: string;
  at: number;
  waiting?: number;
  interacting?: number;
  alerting?: number;
}

/** One aggregate bucket of one queue x media; only the metrics the message carried are set. */
export interface IntervalAggregate {
  queueId: string;
  mediaType: string;
  /** Epoch ms; [start, end). */
  start: number;
  end: number;
  /** nOffered.count */
  offered?: number;
  /** tAnswered.count, .sum (ms) */
  answered?: number;
  answeredSumMs?: number;
  /** tAbandon.count, .sum */
  abandoned?: number;
  abandonedSumMs?: number;
  /** tFlowOut.count, .sum */
  flowout?: number;
  flowoutSumMs?: number;
  /** tWait.count, .sum */
  waitCount?: number;
  waitSumMs?: number;
  /** nOverSla.count */
  overSla?: number;
  /** oServiceLevel */
  serviceLevel?: { numerator: number; denominator: number; target?: number };
}

export interface ParsedObservation {
  updates: ObservationUpdate[];
  aggregates: IntervalAggregate[];
}

export interface ParseOptions {
  /** The caller's clock: observations later than now + maxFutureMs are refused. */
  now?: number;
  /** Allowed clock skew into the future (default 5 minutes). */
  maxFutureMs?: number;
}

/** Outside these, a timestamp is garbage, not an observation (years 2000..2200). */
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);
/** A bucket longer than a day is not one of the topic's aggregates. */
const MAX_BUCKET_MS = 86_400_000;

/** Media types of the Analytics API (lower-cased); anything else is not a series of ours. */
export const MEDIA_TYPES: ReadonlySet<string> = new Set(["voice", "chat", "email", "callback", "message", "cobrowse", "video", "screenshare", "internalmessage"]);

const INSTANT: Record<string, "waiting" | "interacting" | "alerting"> = { oWaiting: "waiting", oInteracting: "interacting", oAlerting: "alerting" };
const TIMERS: Record<string, ["answered" | "abandoned" | "flowout" | "waitCount", "answeredSumMs" | "abandonedSumMs" | "flowoutSumMs" | "waitSumMs"]> = {
  tAnswered: ["answered", "answeredSumMs"],
  tAbandon: ["abandoned", "abandonedSumMs"],
  tFlowOut: ["flowout", "flowoutSumMs"],
  tWait: ["waitCount", "waitSumMs"],
};

/** Total readers of untrusted payload values, shared with the staffing and snapshot parsers. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** A whole, finite, non-negative count (or sum of ms). */
export const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
export const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
export const plainString = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 && v.length <= 200 ? v : undefined);

/** An observation's `interval` (`start/end`, ISO) as epoch ms, or undefined when it is not a plausible one. */
export function interval(v: unknown, opts: ParseOptions): [number, number] | undefined {
  if (typeof v !== "string" || v.length > 100) return undefined;
  const parts = v.split("/");
  if (parts.length !== 2) return undefined;
  const from = ms(parts[0]);
  const to = ms(parts[1]);
  if (from === undefined || to === undefined || from < MIN_TIME || to > MAX_TIME || to < from || to - from > MAX_BUCKET_MS) return undefined;
  if (opts.now !== undefined && from > opts.now + (opts.maxFutureMs ?? 300_000)) return undefined;
  return [from, to];
}

/**
 * Reads one observation message. `topicQueueId` is the queue of the topic; the group's own
 * `queueId`, when present, wins (they agree on the real service).
 */
export function parseObservation(topicQueueId: unknown, body: unknown, opts: ParseOptions = {}): ParsedObservation {
  const out: ParsedObservation = { updates: [], aggregates: [] };
  try {
    if (!isObject(body)) return out;
    const group = isObject(own(body, "group")) ? (own(body, "group") as Record<string, unknown>) : {};
    const queueId = plainString(own(group, "queueId")) ?? plainString(topicQueueId);
    const media = plainString(own(group, "mediaType"));
    // Queue-level groups (no mediaType) carry member statuses: parseStaffing reads those.
    if (!queueId || !media) return out;
    const mediaType = media.toLowerCase();
    if (!MEDIA_TYPES.has(mediaType)) return out;
    const data = own(body, "data");
    if (!Array.isArray(data)) return out;
    for (const d of data) {
      if (!isObject(d)) continue;
      const span = interval(own(d, "interval"), opts);
      const metrics = own(d, "metrics");
      if (!span || !Array.isArray(metrics)) continue;
      if (span[0] === span[1]) {
        const u: ObservationUpdate = { queueId, mediaType, at: span[0] };
        let any = false;
        for (const m of metrics) {
          if (!isObject(m) || own(m, "qualifier") !== undefined) continue; // qualified = a breakdown, not the total
          const name = own(m, "metric");
          const key = typeof name === "string" && Object.prototype.hasOwnProperty.call(INSTANT, name) ? INSTANT[name] : undefined;
          const stats = own(m, "stats");
          const n = key && isObject(stats) ? count(own(stats, "count")) : undefined;
          if (key && n !== undefined) {
            u[key] = n;
            any = true;
          }
        }
        if (any) out.updates.push(u);
      } else {
        const a: IntervalAggregate = { queueId, mediaType, start: span[0], end: span[1] };
        let any = false;
        for (const m of metrics) {
          if (!isObject(m) || own(m, "qualifier") !== undefined) continue;
          const name = own(m, "metric");
          const stats = own(m, "stats");
          if (typeof name !== "string" || !isObject(stats)) continue;
          if (name === "nOffered" || name === "nOverSla") {
            const n = count(own(stats, "count"));
            if (n !== undefined) {
              a[name === "nOffered" ? "offered" : "overSla"] = n;
              any = true;
            }
          } else if (Object.prototype.hasOwnProperty.call(TIMERS, name)) {
            const [c, sum] = TIMERS[name];
            const n = count(own(stats, "count"));
            if (n === undefined) continue;
            a[c] = n;
            const s = count(own(stats, "sum"));
            if (s !== undefined) a[sum] = s;
            any = true;
          } else if (name === "oServiceLevel") {
            const numerator = count(own(stats, "numerator"));
            const denominator = count(own(stats, "denominator"));
            const target = own(stats, "target");
            if (numerator === undefined || denominator === undefined || numerator > denominator) continue;
            a.serviceLevel = { numerator, denominator, ...(typeof target === "number" && target >= 0 && target <= 1 ? { target } : {}) };
            any = true;
          }
        }
        if (any) out.aggregates.push(a);
      }
    }
    return out;
  } catch {
    // Unreachable on JSON input; a hostile object (getters, proxies) must not escape either.
    return { updates: [], aggregates: [] };
  }
}

/** A full "now" reading of one queue x media, as the engine takes it. */
export interface MergedObservation {
  waiting: number;
  interacting: number;
  alerting: number;
  at: number;
}

/**
 * Merges partial updates per queue x media: each metric keeps its last reading (a message
 * without it says nothing about it), and a full observation is returned once all three have
 * been read. Updates older than the newest merged one for that series are ignored.
 */
export class ObservationMerger {
  private readonly last = new Map<string, { at: number; waiting?: number; interacting?: number; alerting?: number }>();

  merge(u: ObservationUpdate): MergedObservation | null {
    const key = `${u.queueId}\u0000${u.mediaType}`;
    const cur = this.last.get(key);
    if (cur && u.at < cur.at) return null;
    const next = { ...cur, at: u.at };
    if (u.waiting !== undefined) next.waiting = u.waiting;
    if (u.interacting !== undefined) next.interacting = u.interacting;
    if (u.alerting !== undefined) next.alerting = u.alerting;
    this.last.set(key, next);
    const { waiting, interacting, alerting } = next;
    return waiting !== undefined && interacting !== undefined && alerting !== undefined ? { waiting, interacting, alerting, at: next.at } : null;
  }

  /** Forgets a queue (removed from monitoring). */
  forget(queueId: string): void {
    for (const k of this.last.keys()) if (k.startsWith(`${queueId}\u0000`)) this.last.delete(k);
  }
}

/**
 * Compatibility reader for existing callers: full observations only, from messages that carry
 * all three instant metrics. Messages with some of them give nothing here (a missing metric is
 * never taken as zero); use `parseObservation` with an `ObservationMerger` to use those too.
 */
export function observationsFrom(topicQueueId: string, body: unknown): (MergedObservation & { queueId: string; mediaType: string })[] {
  return parseObservation(topicQueueId, body).updates.flatMap((u) =>
    u.waiting !== undefined && u.interacting !== undefined && u.alerting !== undefined ? [{ queueId: u.queueId, mediaType: u.mediaType, waiting: u.waiting, interacting: u.interacting, alerting: u.alerting, at: u.at }] : [],
  );
}
