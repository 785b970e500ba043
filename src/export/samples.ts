/**
 * The one list of exported figures: what every sink and /metrics carry, computed from the
 * engine's snapshot (the same figures as /api/queues), the cumulative wait histogram and the
 * service's own health. Pure: values in, samples out. Encoders only change the wire format.
 *
 * Names follow Prometheus conventions (prefix genesys_queue_, base units, counters end in _total;
 * labels queue_id, queue_name, media_type, never a per-conversation label). A figure with no data
 * (null in /api/queues) is left out rather than sent as NaN.
 */
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { QueueEventKind } from "../domain/queue-event.js";
import { extraLabels, queueLabelSet, type ExtraLabels, type LabelSet } from "./labels.js";

export type MetricType = "counter" | "gauge" | "summary" | "untyped";

export interface Family {
  name: string;
  type: MetricType;
  help: string;
}

/** One value of one series; `family` groups `_sum` / `_count` samples under their summary. */
export interface Sample {
  family: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a flush or a scrape pushes: the samples and the monitor-clock time they are true at. */
export interface Flush {
  at: number;
  samples: Sample[];
}

export const QUANTILES: [string, "p50" | "p90" | "p95" | "p99"][] = [
  ["0.5", "p50"],
  ["0.9", "p90"],
  ["0.95", "p95"],
  ["0.99", "p99"],
];

/** Answered-wait histogram bounds (seconds): common service-level thresholds, 5 s to 10 min. */
export const WAIT_BUCKETS = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];

const Q = "genesys_queue_";
const M = "queue_monitor_";

export const FAMILIES: Family[] = [
  { name: `${Q}offered_total`, type: "counter", help: "Queue visits offered, since the state file began." },
  { name: `${Q}answered_total`, type: "counter", help: "Queue visits answered, since the state file began." },
  { name: `${Q}abandoned_total`, type: "counter", help: "Queue visits abandoned, since the state file began." },
  { name: `${Q}flowout_total`, type: "counter", help: "Queue visits that flowed out, since the state file began." },
  {
    name: `${Q}answered_wait_seconds`,
    type: "summary",
    help: "Answered waits: t-digest quantiles over each rolling window; _sum and _count since the state file began.",
  },
  {
    name: `${Q}answered_wait_seconds_bucket`,
    type: "untyped",
    help: "Cumulative histogram of answered waits since the state file began (le in seconds), for histogram_quantile across queues.",
  },
  { name: `${Q}service_level_ratio`, type: "gauge", help: "Service level (0..1) over each rolling window, Genesys' formula." },
  { name: `${Q}abandon_ratio`, type: "gauge", help: "Abandoned / offered (0..1) over each rolling window." },
  { name: `${Q}asa_seconds`, type: "gauge", help: "Average speed of answer over each rolling window." },
  { name: `${Q}waiting`, type: "gauge", help: "Interactions waiting in the queue now." },
  { name: `${Q}longest_waiting_seconds`, type: "gauge", help: "Wait so far of the longest-waiting interaction now." },
  { name: `${Q}interacting`, type: "gauge", help: "Interactions with an agent now (from queue observations)." },
  { name: `${M}connected`, type: "gauge", help: "1 when every notification channel is live." },
  { name: `${M}ready`, type: "gauge", help: "1 when connected and every gap is backfilled." },
  { name: `${M}channels`, type: "gauge", help: "Notification channels by state." },
  { name: `${M}queues`, type: "gauge", help: "Queues monitored." },
  { name: `${M}reconnects_total`, type: "counter", help: "Stream gaps opened (reconnects), since the state file began." },
  { name: `${M}stream_events_total`, type: "counter", help: "Events counted from the live stream, since the state file began." },
  { name: `${M}backfilled_events_total`, type: "counter", help: "Events recovered by backfill, since the state file began." },
  { name: `${M}duplicates_total`, type: "counter", help: "Events dropped as already counted, since the state file began." },
  { name: `${M}malformed_frames_total`, type: "counter", help: "Notification frames that could not be read (not JSON, no topic), since this process started." },
  { name: `${M}bad_payloads_total`, type: "counter", help: "Conversation notifications whose body could not be normalized, since the state file began." },
  { name: `${M}late_dropped_total`, type: "counter", help: "Events too old to tell whether they were counted (dropped, never doubled), since the state file began." },
  { name: `${M}outcome_conflicts_total`, type: "counter", help: "Queue visits the stream and analytics read differently (the first reading counted), since the state file began." },
  { name: `${M}skew_rejected_total`, type: "counter", help: "Events timestamped too far ahead of the monitor's clock (rejected), since the state file began." },
  { name: `${M}loss_detector_disagreements_total`, type: "counter", help: "Closed 30-minute intervals whose counts differed from Genesys' own aggregates, since this process started." },
  { name: `${M}api_errors_total`, type: "counter", help: "Non-2xx answers and network errors of outgoing HTTP calls, by status, since this process started." },
  { name: `${M}last_event_age_seconds`, type: "gauge", help: "Monitor-clock seconds since the last counted event." },
  { name: `${M}export_pending`, type: "gauge", help: "Flushes waiting in the outbox, by sink." },
  { name: `${M}export_sent_total`, type: "counter", help: "Flushes delivered, by sink, since this process started." },
  { name: `${M}export_failures_total`, type: "counter", help: "Failed delivery attempts (kept for retry), by sink, since this process started." },
  { name: `${M}export_dead_letters_total`, type: "counter", help: "Flushes a sink refused (4xx, not retried), by sink, since this process started." },
  { name: `${M}export_dropped_total`, type: "counter", help: "Flushes dropped by the outbox bound, by sink, since this process started." },
  // alerting hook (issue 10)
  { name: `${M}alerts_firing`, type: "gauge", help: "Alerts firing now, by rule and severity (one per queue and media type breaching the rule)." },
];

/** Cumulative answered-wait histogram of one series (counts per WAIT_BUCKETS bound, then +Inf). */
export interface WaitHistogramValue {
  /** counts[i]: waits <= WAIT_BUCKETS[i] (cumulative); the last entry is +Inf = count. */
  counts: number[];
  sumSeconds: number;
}

/** The service's own health, as the monitor reports it (a subset of /api/health). */
export interface HealthInput {
  connected: boolean;
  ready: boolean;
  queues: number;
  channels: { state: string }[];
  lastEventAgeSeconds: number | null;
  counters: Record<string, number>;
  http: { byStatus: Record<string, number> };
  lossDetector?: { disagreed: number };
}

export interface SinkStatus {
  name: string;
  pending: number;
  sent: number;
  failures: number;
  deadLetters: number;
  dropped: number;
}

export interface SampleInput {
  snapshots: SeriesSnapshot[];
  histogram?: (queueId: string, mediaType: string) => WaitHistogramValue | undefined;
  health?: HealthInput;
  sinks?: SinkStatus[];
  /** alerting hook (issue 10): firing alerts per rule. */
  alerts?: { rule: string; severity: string; firing: number }[];
}

const KINDS: QueueEventKind[] = ["offered", "answered", "abandoned", "flowout"];

/**
 * A per-queue sample: its series' interned labels plus a few shared extra labels, so encoders
 * escape each label once per series (see ./labels.ts); `labels` is built only when asked for.
 */
export class SeriesSample implements Sample {
  constructor(
    readonly family: string,
    readonly name: string,
    readonly series: LabelSet,
    readonly extra: ExtraLabels | null,
    readonly value: number,
  ) {}

  get labels(): Record<string, string> {
    return this.extra ? { ...this.series.labels, ...this.extra.labels } : { ...this.series.labels };
  }
}

const FAMILY_INDEX = new Map(FAMILIES.map((f, i) => [f.name, i]));
const F = (name: string) => FAMILY_INDEX.get(name)!;
const F_TOTALS = KINDS.map((k) => F(`${Q}${k}_total`));
const F_WAIT = F(`${Q}answered_wait_seconds`);
const F_BUCKET = F(`${Q}answered_wait_seconds_bucket`);
const F_SL = F(`${Q}service_level_ratio`);
const F_ABANDON = F(`${Q}abandon_ratio`);
const F_ASA = F(`${Q}asa_seconds`);
const F_WAITING = F(`${Q}waiting`);
const F_LONGEST = F(`${Q}longest_waiting_seconds`);
const F_INTERACTING = F(`${Q}interacting`);
const LE_EXTRAS = [...WAIT_BUCKETS.map(String), "+Inf"].map((le) => extraLabels({ le }));

const usable = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** Every sample, grouped by family in FAMILIES order (the text format wants families contiguous). */
export function buildSamples(input: SampleInput): Sample[] {
  const by: Sample[][] = FAMILIES.map(() => []);
  const add = (family: string, labels: Record<string, string>, value: number | null | undefined, name = family) => {
    if (usable(value)) by[F(family)].push({ family, name, labels, value });
  };
  const put = (fi: number, series: LabelSet, extra: ExtraLabels | null, value: number | null | undefined, name = FAMILIES[fi].name) => {
    if (usable(value)) by[fi].push(new SeriesSample(FAMILIES[fi].name, name, series, extra, value));
  };
  // Windows are the same for every series: their extra label sets are looked up once per call.
  const windowExtras = new Map<string, { w: ExtraLabels; q: ExtraLabels[] }>();
  const extrasOf = (window: string) => {
    let e = windowExtras.get(window);
    if (!e) windowExtras.set(window, (e = { w: extraLabels({ window }), q: QUANTILES.map(([q]) => extraLabels({ window, quantile: q })) }));
    return e;
  };
  for (const s of input.snapshots) {
    const base = queueLabelSet(s.queueId, s.queueName, s.mediaType.toLowerCase());
    for (let i = 0; i < KINDS.length; i++) put(F_TOTALS[i], base, null, s.totals[KINDS[i]]);
    for (const window in s.windows) {
      const f = s.windows[window];
      const e = extrasOf(window);
      for (let i = 0; i < QUANTILES.length; i++) put(F_WAIT, base, e.q[i], f.answeredWaitSeconds[QUANTILES[i][1]]);
      put(F_SL, base, e.w, f.serviceLevel);
      put(F_ABANDON, base, e.w, f.abandonRate);
      put(F_ASA, base, e.w, f.asaSeconds);
    }
    put(F_WAITING, base, null, s.now.waiting);
    put(F_LONGEST, base, null, s.now.longestWaitingSeconds);
    put(F_INTERACTING, base, null, s.now.interacting);
    const h = input.histogram?.(s.queueId, s.mediaType);
    if (h) {
      const count = h.counts[h.counts.length - 1];
      put(F_WAIT, base, null, h.sumSeconds, `${Q}answered_wait_seconds_sum`);
      put(F_WAIT, base, null, count, `${Q}answered_wait_seconds_count`);
      for (let i = 0; i < WAIT_BUCKETS.length; i++) put(F_BUCKET, base, LE_EXTRAS[i], h.counts[i]);
      put(F_BUCKET, base, LE_EXTRAS[WAIT_BUCKETS.length], count);
    }
  }
  const h = input.health;
  if (h) {
    add(`${M}connected`, {}, h.connected ? 1 : 0);
    add(`${M}ready`, {}, h.ready ? 1 : 0);
    const states = new Map<string, number>();
    for (const c of h.channels) states.set(c.state, (states.get(c.state) ?? 0) + 1);
    for (const [state, n] of [...states].sort()) add(`${M}channels`, { state }, n);
    add(`${M}queues`, {}, h.queues);
    add(`${M}reconnects_total`, {}, h.counters.reconnects ?? 0);
    add(`${M}stream_events_total`, {}, h.counters.streamEvents ?? 0);
    add(`${M}backfilled_events_total`, {}, h.counters.backfilledEvents ?? 0);
    add(`${M}duplicates_total`, {}, h.counters.duplicatesDropped ?? 0);
    add(`${M}malformed_frames_total`, {}, h.counters.malformedFrames ?? 0);
    add(`${M}bad_payloads_total`, {}, h.counters.badPayloads ?? 0);
    add(`${M}late_dropped_total`, {}, h.counters.lateDropped ?? 0);
    add(`${M}outcome_conflicts_total`, {}, h.counters.outcomeConflicts ?? 0);
    add(`${M}skew_rejected_total`, {}, h.counters.skewRejected ?? 0);
    add(`${M}loss_detector_disagreements_total`, {}, h.lossDetector?.disagreed ?? 0);
    for (const [status, n] of Object.entries(h.http.byStatus).sort()) {
      if (status === "network" || Number(status) >= 300) add(`${M}api_errors_total`, { status }, n);
    }
    add(`${M}last_event_age_seconds`, {}, h.lastEventAgeSeconds);
  }
  for (const s of input.sinks ?? []) {
    const l = { sink: s.name };
    add(`${M}export_pending`, l, s.pending);
    add(`${M}export_sent_total`, l, s.sent);
    add(`${M}export_failures_total`, l, s.failures);
    add(`${M}export_dead_letters_total`, l, s.deadLetters);
    add(`${M}export_dropped_total`, l, s.dropped);
  }
  for (const a of input.alerts ?? []) add(`${M}alerts_firing`, { rule: a.rule, severity: a.severity }, a.firing); // alerting hook (issue 10)
  return by.flat();
}
