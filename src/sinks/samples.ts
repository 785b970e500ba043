/**
 * The one list of exported figures: what every sink and /metrics carry, computed from the
 * engine's snapshot (the same figures as /api/queues), the cumulative wait histogram and the
 * service's own health. Pure: values in, samples out. Encoders only change the wire format.
 *
 * At scale the per-queue figures travel as a QueueFrame (slots x series rows of
 * numbers, label sets interned) in a FrameFlush; `samples` are made from it only when asked for.
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
const AGENT_STATUSES: [string, keyof SeriesSnapshot["now"]["agents"]][] = [["members", "members"], ["on_queue", "onQueue"], ["idle", "idle"], ["interacting", "interacting"], ["not_responding", "notResponding"], ["off_queue", "offQueue"]];

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
    help: "Answered waits: percentiles (nearest rank, exact up to 2,048 waits) over each rolling window; _sum and _count since the state file began.",
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
  { name: `${Q}agents`, type: "gauge", help: "The queue's members now by status (members, on_queue, idle, interacting, not_responding, off_queue), from the observations topic and query; the same for each media type." },
  { name: `${Q}predicted_wait_seconds`, type: "gauge", help: "The wait a caller arriving now is told: from the predictor with the smallest recent error (named in /api/queues predicted.predictor)." },
  { name: `${Q}forecast_service_level_ratio`, type: "gauge", help: "The current interval's service level (0..1) expected at its end (Erlang A, transient)." },
  { name: `${Q}forecast_answered_wait_p90_seconds`, type: "gauge", help: "The 15-minute answered-wait p90 expected fifteen minutes from now (Erlang A, transient)." },
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
  { name: `${M}loss_recovered_total`, type: "counter", help: "Closed intervals where Genesys counted more and re-reading found the missing events, since this process started." },
  { name: `${M}loss_unrecovered_total`, type: "counter", help: "Closed intervals where Genesys counted more and re-reading never found the difference (events not counted), since this process started." },
  { name: `${M}analytics_lag_seconds`, type: "gauge", help: "The details API's ingestion lag as measured (how late facts first appeared): p50, p90, p99 and max (label stat) of the last day's samples." },
  { name: `${M}analytics_lag_samples`, type: "gauge", help: "Lag samples behind queue_monitor_analytics_lag_seconds." },
  { name: `${M}settle_horizon_seconds`, type: "gauge", help: "How long a backfilled range must stay unchanged to count as settled (margin times the largest recent lag, at least the configured guess)." },
  { name: `${M}backfill_pages_per_minute`, type: "gauge", help: "Details query pages read per minute over the last ten minutes (the rate limit is per token)." },
  { name: `${M}state_commit_failures_total`, type: "counter", help: "State file commits that failed (kept for the next one; a full disk, a read-only file), since this process started." },
  { name: `${M}state_checkpoint_failures_total`, type: "counter", help: "State file checkpoints that failed, since this process started." },
  { name: `${M}state_refused_events_total`, type: "counter", help: "Events refused because the state file could not take them (backfilled later), since this process started." },
  { name: `${M}state_rows_skipped_total`, type: "counter", help: "State file rows that could not be read back at a start (skipped and logged), since the state file began." },
  { name: `${M}export_pending`, type: "gauge", help: "Flushes waiting in the outbox, by sink." },
  { name: `${M}export_sent_total`, type: "counter", help: "Flushes delivered, by sink, since this process started." },
  { name: `${M}export_failures_total`, type: "counter", help: "Failed delivery attempts (kept for retry), by sink, since this process started." },
  { name: `${M}export_dead_letters_total`, type: "counter", help: "Flushes a sink refused (4xx, not retried), by sink, since this process started." },
  { name: `${M}export_dropped_total`, type: "counter", help: "Flushes dropped by the outbox bound, by sink, since this process started." },
  {
    name: `${M}export_discarded_total`,
    type: "counter",
    help: "Items an outbox removed undelivered, by sink and reason (refused, unbuildable, undecodable add up to export_dead_letters_total; the others, what the outbox bound shed, to export_dropped_total), since this process started.",
  },
  { name: `${M}http_too_large_total`, type: "counter", help: "Answers whose body went past the transport's bound (not read further), by destination (genesys or the sink), since this process started." },
 
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
  http: { byStatus: Record<string, number>; tooLarge?: number };
  lossDetector?: { disagreed: number; recovered?: number; unrecovered?: number };
  backfill?: {
    analyticsLag?: { p50Seconds: number | null; p90Seconds: number | null; p99Seconds: number | null; maxSeconds: number | null; settleHorizonSeconds: number; samples: number };
    cost?: { pagesPerMinute: number };
  };
}

/** One destination's delivery figures (delivery/runner.ts DeliveryStatus). */
export interface SinkStatus {
  name: string;
  pending: number;
  sent: number;
  failures: number;
  deadLetters: number;
  dropped: number;
  /** Items removed undelivered, by reason. */
  discarded?: Record<string, number>;
  /** Answers whose body went past the transport's bound. */
  tooLarge?: number;
}

export interface SampleInput {
  snapshots: SeriesSnapshot[];
  histogram?: (queueId: string, mediaType: string) => WaitHistogramValue | undefined;
  health?: HealthInput;
  sinks?: SinkStatus[];
  /** Firing alerts per rule. */
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
const LE_EXTRAS = [...WAIT_BUCKETS.map(String), "+Inf"].map((le) => extraLabels({ le }));

const usable = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** One figure of every series in a frame: its family, sample name and the labels it adds. */
export interface Slot {
  readonly family: string;
  readonly name: string;
  readonly extra: ExtraLabels | null;
}

type Reader = (s: SeriesSnapshot, h: WaitHistogramValue | undefined) => number | null | undefined;

/**
 * The per-queue figures of one moment without an object per sample (~410,000 samples
 * for 5,000 queues x 2 media): a layout of slots shared by every series, the series' interned
 * label sets, and one row of numbers per series (NaN = no data: the sample is left out).
 * Walked family by family, series by series, slot by slot: the order buildSamples gives.
 */
export class QueueFrame {
  /** Slot indexes of each family (FAMILIES order), in slot order. */
  readonly byFamily: number[][];

  constructor(
    readonly slots: Slot[],
    readonly series: LabelSet[],
    readonly values: Float64Array,
  ) {
    this.byFamily = FAMILIES.map(() => []);
    slots.forEach((slot, i) => this.byFamily[F(slot.family)]?.push(i));
  }

  static build(snapshots: SeriesSnapshot[], histogram?: SampleInput["histogram"]): QueueFrame {
    // Windows come from the settings (the same for every series); their union keeps any odd one.
    const windows: string[] = [];
    const seen = new Set<string>();
    for (const s of snapshots) {
      for (const w in s.windows) {
        if (seen.has(w)) continue;
        seen.add(w);
        windows.push(w);
      }
    }
    const slots: Slot[] = [];
    const readers: Reader[] = [];
    const slot = (family: string, extra: ExtraLabels | null, read: Reader, name = family) => {
      slots.push({ family, name, extra });
      readers.push(read);
    };
    for (const k of KINDS) slot(`${Q}${k}_total`, null, (s) => s.totals[k]);
    for (const window of windows) {
      for (const [q, key] of QUANTILES) slot(`${Q}answered_wait_seconds`, extraLabels({ window, quantile: q }), (s) => s.windows[window]?.answeredWaitSeconds[key]);
      slot(`${Q}service_level_ratio`, extraLabels({ window }), (s) => s.windows[window]?.serviceLevel);
      slot(`${Q}abandon_ratio`, extraLabels({ window }), (s) => s.windows[window]?.abandonRate);
      slot(`${Q}asa_seconds`, extraLabels({ window }), (s) => s.windows[window]?.asaSeconds);
    }
    slot(`${Q}waiting`, null, (s) => s.now.waiting);
    slot(`${Q}longest_waiting_seconds`, null, (s) => s.now.longestWaitingSeconds);
    slot(`${Q}interacting`, null, (s) => s.now.interacting);
    for (const [status, key] of AGENT_STATUSES) slot(`${Q}agents`, extraLabels({ status }), (s) => s.now.agents[key]);
    slot(`${Q}predicted_wait_seconds`, null, (s) => s.predicted.waitSeconds);
    slot(`${Q}forecast_service_level_ratio`, null, (s) => s.forecast.intervalServiceLevel);
    slot(`${Q}forecast_answered_wait_p90_seconds`, null, (s) => s.forecast.answeredWaitP90In15m);
    slot(`${Q}answered_wait_seconds`, null, (_, h) => h?.sumSeconds, `${Q}answered_wait_seconds_sum`);
    slot(`${Q}answered_wait_seconds`, null, (_, h) => h?.counts[h.counts.length - 1], `${Q}answered_wait_seconds_count`);
    for (let i = 0; i <= WAIT_BUCKETS.length; i++) slot(`${Q}answered_wait_seconds_bucket`, LE_EXTRAS[i], (_, h) => (h ? h.counts[i === WAIT_BUCKETS.length ? h.counts.length - 1 : i] : undefined));
    const width = slots.length;
    const values = new Float64Array(snapshots.length * width);
    const series = new Array<LabelSet>(snapshots.length);
    for (let r = 0; r < snapshots.length; r++) {
      const s = snapshots[r];
      series[r] = queueLabelSet(s.queueId, s.queueName, s.mediaType.toLowerCase());
      const h = histogram?.(s.queueId, s.mediaType);
      for (let i = 0; i < width; i++) {
        const v = readers[i](s, h);
        values[r * width + i] = usable(v) ? v : NaN;
      }
    }
    return new QueueFrame(slots, series, values);
  }

  /** Calls `f` for every sample of one family (FAMILIES index), in order. */
  forEachIn(familyIndex: number, f: (slot: Slot, series: LabelSet, value: number) => void): void {
    const idx = this.byFamily[familyIndex];
    if (!idx || idx.length === 0) return;
    const width = this.slots.length;
    for (let r = 0, base = 0; r < this.series.length; r++, base += width) {
      for (const i of idx) {
        const v = this.values[base + i];
        if (v === v) f(this.slots[i], this.series[r], v); // NaN: no data
      }
    }
  }

  forEach(f: (slot: Slot, series: LabelSet, value: number) => void): void {
    for (let fi = 0; fi < FAMILIES.length; fi++) this.forEachIn(fi, f);
  }

  /** The same figures with other label sets per series (same rows). */
  withSeries(series: LabelSet[]): QueueFrame {
    return new QueueFrame(this.slots, series, this.values);
  }

  toSamples(): Sample[] {
    const out: Sample[] = [];
    this.forEach((slot, series, v) => out.push(new SeriesSample(slot.family, slot.name, series, slot.extra, v)));
    return out;
  }
}

/**
 * A flush whose per-queue figures are a frame; `samples` (every sample, in order) is made only
 * when something asks for it. Encoders walk the frame instead (eachSample).
 */
export class FrameFlush implements Flush {
  private all?: Sample[];
  constructor(
    readonly at: number,
    readonly frame: QueueFrame,
    /** The samples of the other families (the service's own), after the per-queue ones. */
    readonly rest: Sample[],
  ) {}

  get samples(): Sample[] {
    return (this.all ??= [...this.frame.toSamples(), ...this.rest]);
  }
}

/** At most how many samples a flush holds, without making them (sizes the encoders' buffers). */
export function sampleBound(flush: Flush): number {
  return flush instanceof FrameFlush ? flush.frame.values.length + flush.rest.length : flush.samples.length;
}

/** Walks a flush's samples in order: per-queue ones by their parts, the others as they are. */
export function eachSample(flush: Flush, perQueue: (slot: Slot, series: LabelSet, value: number) => void, other: (s: Sample) => void): void {
  if (flush instanceof FrameFlush) {
    flush.frame.forEach(perQueue);
    for (const s of flush.rest) other(s);
    return;
  }
  for (const s of flush.samples) {
    if (s instanceof SeriesSample) perQueue(s, s.series, s.value);
    else other(s);
  }
}

/** The figures as a flush at `at` (what the exporter stores and renders). */
export function buildFlush(at: number, input: SampleInput): FrameFlush {
  return new FrameFlush(at, QueueFrame.build(input.snapshots, input.histogram), otherSamples(input));
}

/** Every sample, grouped by family in FAMILIES order (the text format wants families contiguous). */
export function buildSamples(input: SampleInput): Sample[] {
  return buildFlush(0, input).samples;
}

/** The samples of the service's own families. */
function otherSamples(input: SampleInput): Sample[] {
  const by: Sample[][] = FAMILIES.map(() => []);
  const add = (family: string, labels: Record<string, string>, value: number | null | undefined, name = family) => {
    if (usable(value)) by[F(family)].push({ family, name, labels, value });
  };
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
    add(`${M}loss_recovered_total`, {}, h.lossDetector?.recovered ?? 0);
    add(`${M}loss_unrecovered_total`, {}, h.lossDetector?.unrecovered ?? 0);
    const lag = h.backfill?.analyticsLag;
    if (lag) {
      for (const [stat, v] of [["p50", lag.p50Seconds], ["p90", lag.p90Seconds], ["p99", lag.p99Seconds], ["max", lag.maxSeconds]] as const) add(`${M}analytics_lag_seconds`, { stat }, v);
      add(`${M}analytics_lag_samples`, {}, lag.samples);
      add(`${M}settle_horizon_seconds`, {}, lag.settleHorizonSeconds);
    }
    add(`${M}backfill_pages_per_minute`, {}, h.backfill?.cost?.pagesPerMinute);
    add(`${M}state_commit_failures_total`, {}, h.counters.stateCommitFailures ?? 0);
    add(`${M}state_checkpoint_failures_total`, {}, h.counters.stateCheckpointFailures ?? 0);
    add(`${M}state_refused_events_total`, {}, h.counters.stateRefusedEvents ?? 0);
    add(`${M}state_rows_skipped_total`, {}, h.counters.stateRowsSkipped ?? 0);
  }
  for (const s of input.sinks ?? []) {
    const l = { sink: s.name };
    add(`${M}export_pending`, l, s.pending);
    add(`${M}export_sent_total`, l, s.sent);
    add(`${M}export_failures_total`, l, s.failures);
    add(`${M}export_dead_letters_total`, l, s.deadLetters);
    add(`${M}export_dropped_total`, l, s.dropped);
    for (const [reason, n] of Object.entries(s.discarded ?? {}).sort()) add(`${M}export_discarded_total`, { sink: s.name, reason }, n);
  }
  if (h?.http.tooLarge !== undefined) add(`${M}http_too_large_total`, { destination: "genesys" }, h.http.tooLarge);
  for (const s of input.sinks ?? []) add(`${M}http_too_large_total`, { destination: s.name }, s.tooLarge);
  for (const a of input.alerts ?? []) add(`${M}alerts_firing`, { rule: a.rule, severity: a.severity }, a.firing);
  return by.flat();
}
