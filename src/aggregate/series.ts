/**
 * Everything kept for one queue x media type: totals since the state began, a ring of one-minute
 * buckets with the rolling windows kept as running sums over it,
 * clock-aligned intervals, the business day, the legs waiting now, and the latest observation.
 *
 * Attribution follows Genesys: each event counts in the minute, interval and day of its own
 * event time. A late event lands there as long as that slice is still kept; older ones are
 * counted as dropped for that view (totals always count them), never filed elsewhere.
 */
import type { QueueEvent, QueueEventKind } from "../domain/queue-event.js";
import { Bucket, type BucketState, type Thresholds } from "./bucket.js";
import type { Calendar } from "./calendar.js";
import { figures, waitSummary, type Figures, type ServiceLevelPolicy } from "./figures.js";
import { RollingWindow } from "./window.js";
import { NO_FORECAST, NO_PREDICTION, UNKNOWN_AGENTS, type AgentsNow, type ForecastFigures, type PredictedWait } from "../domain/queue-outlook.js";

const MINUTE = 60_000;
/** A leg waiting longer than this is noise from before the state began. */
const OPEN_LEG_MAX_MS = 86_400_000;

export interface SeriesSettings {
  windowsMinutes: number[];
  keepIntervals: number;
  halfLifeSeconds: number;
  observationMaxAgeMs: number;
  policy: ServiceLevelPolicy;
  calendar: Calendar;
}

export interface Observation {
  waiting: number;
  interacting: number;
  alerting: number;
  /** Observation time (epoch ms). */
  at: number;
}

export interface SeriesSnapshot {
  queueId: string;
  queueName: string;
  mediaType: string;
  totals: Record<QueueEventKind, number>;
  now: { waiting: number; interacting: number | null; longestWaitingSeconds: number | null; agents: AgentsNow };
  windows: Record<string, Figures>;
  intervals: {
    current: Figures & { start: string; end: string };
    previous: (Figures & { start: string; end: string }) | null;
    today: Figures & { start: string; end: string };
  };
  serviceLevelTarget: { percentage: number; thresholdSeconds: number };
  smoothed: { arrivalsPerMinute: number | null; answeredWaitP90Seconds: number | null; halfLifeSeconds: number };
  dropped: { window: number; interval: number; today: number };
  /** The wait a caller arriving now is told, and the predictor behind it (src/predict/outlook.ts fills it in). */
  predicted: PredictedWait;
  forecast: ForecastFigures;
}

export interface SeriesState {
  queueId: string;
  mediaType: string;
  totals: Record<QueueEventKind, number>;
  firstMinute: number;
  minutes: [number, BucketState][];
  intervals: [number, BucketState][];
  today: [number, number, BucketState] | null;
  /** Waiting legs: "conversation/participant" -> offered time. */
  open: [string, number][];
  /** Legs whose end came before their offer: "conversation/participant" -> end time. */
  ended?: [string, number][];
  observation: Observation | null;
  dropped: { window: number; interval: number; today: number };
  lastEventTime?: number;
}

interface Slot {
  minute: number;
  bucket: Bucket;
  sealed: boolean;
  /** p90 of answered waits (s), cached until the bucket changes (for the smoothed value). */
  p90?: number | null;
}

export class Series {
  totals: Record<QueueEventKind, number> = { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
  readonly dropped = { window: 0, interval: 0, today: 0 };
  observation: Observation | null = null;
  /** Waiting legs: "conversation/participant" -> offered time. */
  readonly open = new Map<string, number>();
  /**
   * Legs whose end arrived before their offer (the stream saw the end, a backfill brings the
   * offer later, possibly hours later): "conversation/participant" -> end time. Kept as long as
   * a waiting leg would be, so the late offer never shows as waiting.
   */
  private readonly endedFirst = new Map<string, number>();

  private readonly ring: (Slot | undefined)[];
  private readonly windows: RollingWindow[];
  private readonly minuteAt = (m: number): Bucket | undefined => {
    const slot = this.ring[m % this.ring.length];
    return slot && slot.minute === m ? slot.bucket : undefined;
  };
  private readonly intervals = new Map<number, Bucket>();
  private today: { start: number; end: number; bucket: Bucket } | null = null;
  private firstMinute = Infinity;
  /** Latest event time seen: an observation older than this is out of date. */
  private lastEventTime = -Infinity;
  private horizonMinute = -Infinity;
  /** Bumped by every change; the figures are cached until it moves or the minute turns. */
  private version = 0;
  /** Bumped by an event in a minute already closed: the smoothed values read closed minutes only. */
  private closedVersion = 0;
  private smoothedCache: { key: string; value: SeriesSnapshot["smoothed"] } | null = null;
  /** Figures as of a version: windows also as of a minute, intervals as of an interval and a day. */
  private windowsCache: { version: number; minute: number; value: SeriesSnapshot["windows"] } | null = null;
  private intervalsCache: { version: number; interval: number; day: number; value: SeriesSnapshot["intervals"] } | null = null;

  constructor(
    readonly queueId: string,
    readonly mediaType: string,
    private readonly s: SeriesSettings,
  ) {
    this.ring = new Array(Math.max(...s.windowsMinutes) + 1);
    this.windows = s.windowsMinutes.map((w) => new RollingWindow(w));
  }

  /** Files one (new, deduplicated) event. `now` is the clock's time, for retention decisions. */
  apply(e: QueueEvent, th: Thresholds, now: number): void {
    this.totals[e.kind]++;
    this.version++;
    if (e.time > this.lastEventTime) this.lastEventTime = e.time;
    this.trackOpen(e);
    const nowMinute = Math.floor(now / MINUTE);
    const minute = Math.floor(e.time / MINUTE);
    this.horizonMinute = Math.max(this.horizonMinute, nowMinute, minute);
    if (minute < this.firstMinute) this.firstMinute = minute;

    // Minute bucket, if still within the ring.
    if (minute > this.horizonMinute - this.ring.length) {
      const idx = minute % this.ring.length;
      let slot = this.ring[idx];
      if (!slot || slot.minute !== minute) {
        this.evict(idx);
        slot = { minute, bucket: new Bucket(), sealed: false };
        this.ring[idx] = slot;
      }
      slot.bucket.add(e, th);
      if (minute < nowMinute) this.closedVersion++;
      slot.sealed = false;
      slot.p90 = undefined;
      for (const w of this.windows) if (w.covers(minute)) w.sum.add(e, th);
    } else {
      this.dropped.window++;
    }

    // Clock-aligned interval, if kept.
    const [start] = this.s.calendar.interval(e.time);
    const [nowStart] = this.s.calendar.interval(now);
    const oldestKept = nowStart - this.s.keepIntervals * this.s.calendar.intervalMinutes * MINUTE;
    if (start >= oldestKept) {
      let b = this.intervals.get(start);
      if (!b) this.intervals.set(start, (b = new Bucket()));
      b.add(e, th);
    } else {
      this.dropped.interval++;
    }

    // Business day.
    this.rollDay(now);
    const today = this.today!;
    if (e.time >= today.start && e.time < today.end) today.bucket.add(e, th);
    else this.dropped.today++;
  }

  private trackOpen(e: QueueEvent): void {
    const key = `${e.conversationId}/${e.participantId}`;
    if (e.kind === "offered") {
      if (!this.endedFirst.delete(key)) this.open.set(key, e.time);
    } else if (!this.open.delete(key)) {
      this.endedFirst.set(key, e.time);
    }
  }

  private rollDay(now: number): void {
    if (this.today && now < this.today.end) return;
    const [start, end] = this.s.calendar.day(now);
    if (!this.today || this.today.start !== start) this.today = { start, end, bucket: new Bucket() };
  }

  /** Compacts closed minute buckets and intervals, and forgets what fell out of retention. */
  maintain(now: number): void {
    const nowMinute = Math.floor(now / MINUTE);
    this.horizonMinute = Math.max(this.horizonMinute, nowMinute);
    for (let i = 0; i < this.ring.length; i++) {
      const slot = this.ring[i];
      if (!slot) continue;
      if (slot.minute <= this.horizonMinute - this.ring.length) this.evict(i);
      else if (!slot.sealed && slot.minute < nowMinute) {
        slot.bucket.seal();
        slot.sealed = true;
      }
    }
    const [nowStart] = this.s.calendar.interval(now);
    const intervalMs = this.s.calendar.intervalMinutes * MINUTE;
    const oldestKept = nowStart - this.s.keepIntervals * intervalMs;
    // Intervals before the previous one are kept for their counts (late events still land in
    // them); only the current and previous intervals' percentiles are served.
    for (const [start, b] of this.intervals) {
      if (start < oldestKept) this.intervals.delete(start);
      else if (start < nowStart - intervalMs) b.keepCountsOnly();
      else if (start < nowStart) b.seal();
    }
    if (this.today && now >= this.today.end) this.version++;
    this.rollDay(now);
    for (const w of this.windows) w.moveTo(nowMinute, this.minuteAt);
    // Legs waiting for over a day are noise from before the state began; an offer more than a
    // day behind its end is not coming.
    for (const [k, since] of this.open) if (since < now - OPEN_LEG_MAX_MS) this.open.delete(k);
    for (const [k, at] of this.endedFirst) if (at < now - OPEN_LEG_MAX_MS) this.endedFirst.delete(k);
  }

  /** Forgets a ring slot, taking it out of the windows that still hold it. */
  private evict(idx: number): void {
    const slot = this.ring[idx];
    if (!slot) return;
    for (const w of this.windows) w.forget(slot.minute, slot.bucket, this.minuteAt);
    this.ring[idx] = undefined;
  }

  /** Waiting, interacting and the longest wait as of `now` (cheap: the open legs only, no windows). */
  nowFigures(now: number): Omit<SeriesSnapshot["now"], "agents"> {
    let oldestWait: number | null = null;
    let waitingLegs = 0;
    for (const since of this.open.values()) {
      if (since < now - OPEN_LEG_MAX_MS) continue;
      waitingLegs++;
      if (oldestWait === null || since < oldestWait) oldestWait = since;
    }
    // Observations count what Genesys sees waiting; they win unless events have moved on since.
    const o = this.observation;
    const fresh = o && o.at >= now - this.s.observationMaxAgeMs ? o : null;
    const current = fresh && fresh.at >= this.lastEventTime ? fresh : null;
    return {
      waiting: current ? current.waiting : waitingLegs,
      interacting: fresh ? fresh.interacting : null,
      longestWaitingSeconds: oldestWait === null ? null : Math.max(0, now - oldestWait) / 1000,
    };
  }

  /**
   * The figures as of `now`. Reads only, apart from moving the windows to `now` (which changes no
   * figure): maintenance (sealing, forgetting) is `maintain`'s job.
   */
  snapshot(now: number, queueName: string, th: Thresholds, targetPercentage: number): SeriesSnapshot {
    const nowMinute = Math.floor(now / MINUTE);
    return {
      queueId: this.queueId,
      queueName,
      mediaType: this.mediaType,
      totals: { ...this.totals },
      now: { ...this.nowFigures(now), agents: UNKNOWN_AGENTS },
      windows: this.windowsAt(nowMinute),
      intervals: this.intervalsAt(now),
      serviceLevelTarget: { percentage: targetPercentage, thresholdSeconds: th.serviceLevelMs / 1000 },
      smoothed: this.smoothedAt(nowMinute),
      dropped: { ...this.dropped },
      predicted: NO_PREDICTION,
      forecast: NO_FORECAST,
    };
  }

  /** Rolling windows: they change with an event or a new minute. */
  private windowsAt(nowMinute: number): SeriesSnapshot["windows"] {
    const c = this.windowsCache;
    if (c && c.version === this.version && c.minute === nowMinute) return c.value;
    const value: Record<string, Figures> = {};
    for (const w of this.windows) {
      w.moveTo(nowMinute, this.minuteAt);
      value[`${w.minutes}m`] = figures(w.sum, this.s.policy);
    }
    this.windowsCache = { version: this.version, minute: nowMinute, value };
    return value;
  }

  /** Current and previous interval and the day: they change with an event or a new interval or day. */
  private intervalsAt(now: number): SeriesSnapshot["intervals"] {
    const [cs, ce] = this.s.calendar.interval(now);
    // The day rolls over in maintain(); until then a read shows the new, empty day.
    const [dayStart, dayEnd] = this.today && now >= this.today.start && now < this.today.end ? [this.today.start, this.today.end] : this.s.calendar.day(now);
    const c = this.intervalsCache;
    if (c && c.version === this.version && c.interval === cs && c.day === dayStart) return c.value;
    const intervalFigures = (start: number, end: number) => ({
      ...figures(this.intervals.get(start) ?? new Bucket(), this.s.policy),
      start: iso(start),
      end: iso(end),
    });
    const len = this.s.calendar.intervalMinutes * MINUTE;
    const today = this.today && this.today.start === dayStart ? this.today : { start: dayStart, end: dayEnd, bucket: new Bucket() };
    const value = {
      current: intervalFigures(cs, ce),
      previous: this.intervals.has(cs - len) ? intervalFigures(cs - len, cs) : null,
      today: { ...figures(today.bucket, this.s.policy), start: iso(today.start), end: iso(today.end) },
    };
    this.intervalsCache = { version: this.version, interval: cs, day: dayStart, value };
    return value;
  }

  /**
   * Exponentially weighted averages over the closed minutes kept: weight 2^(-age / half-life).
   * Arrivals count every minute since monitoring began (a quiet minute is a real zero);
   * the p90 wait only minutes that had answered calls.
   */
  private smoothedAt(nowMinute: number): SeriesSnapshot["smoothed"] {
    const key = `${nowMinute}/${this.closedVersion}`;
    if (this.smoothedCache?.key !== key) this.smoothedCache = { key, value: this.smoothed(nowMinute) };
    return this.smoothedCache.value;
  }

  private smoothed(nowMinute: number): SeriesSnapshot["smoothed"] {
    const h = this.s.halfLifeSeconds / 60;
    let wSum = 0;
    let aSum = 0;
    let pw = 0;
    let pSum = 0;
    const from = Math.max(nowMinute - this.ring.length + 1, this.firstMinute);
    for (let m = from; m < nowMinute; m++) {
      const weight = 2 ** (-(nowMinute - 1 - m) / h);
      const slot = this.ring[m % this.ring.length];
      const b = slot && slot.minute === m ? slot.bucket : undefined;
      wSum += weight;
      aSum += weight * (b?.offered ?? 0);
      if (slot && b && b.answered > 0) {
        if (slot.p90 === undefined) slot.p90 = waitSummary(b.answeredWaits).p90;
        if (slot.p90 !== null) {
          pw += weight;
          pSum += weight * slot.p90;
        }
      }
    }
    return {
      arrivalsPerMinute: wSum > 0 ? aSum / wSum : null,
      answeredWaitP90Seconds: pw > 0 ? pSum / pw : null,
      halfLifeSeconds: this.s.halfLifeSeconds,
    };
  }

  toState(): SeriesState {
    const minutes: [number, BucketState][] = [];
    for (const slot of this.ring) if (slot) minutes.push([slot.minute, slot.bucket.toState()]);
    return {
      queueId: this.queueId,
      mediaType: this.mediaType,
      totals: { ...this.totals },
      firstMinute: Number.isFinite(this.firstMinute) ? this.firstMinute : -1,
      minutes,
      intervals: [...this.intervals].map(([s, b]) => [s, b.toState()]),
      today: this.today ? [this.today.start, this.today.end, this.today.bucket.toState()] : null,
      open: [...this.open],
      ...(this.endedFirst.size > 0 ? { ended: [...this.endedFirst] } : {}),
      observation: this.observation,
      dropped: { ...this.dropped },
      ...(Number.isFinite(this.lastEventTime) ? { lastEventTime: this.lastEventTime } : {}),
    };
  }

  static fromState(st: SeriesState, s: SeriesSettings): Series {
    const series = new Series(st.queueId, st.mediaType, s);
    series.totals = { ...st.totals };
    series.firstMinute = st.firstMinute < 0 ? Infinity : st.firstMinute;
    for (const [minute, b] of st.minutes) {
      series.ring[minute % series.ring.length] = { minute, bucket: Bucket.fromState(b), sealed: false };
      series.horizonMinute = Math.max(series.horizonMinute, minute);
    }
    for (const [start, b] of st.intervals) series.intervals.set(start, Bucket.fromState(b));
    if (st.today) series.today = { start: st.today[0], end: st.today[1], bucket: Bucket.fromState(st.today[2]) };
    // Older files kept ended-first legs in `open` as -1, without their time: they are dropped.
    for (const [k, v] of st.open) if (v >= 0) series.open.set(k, v);
    for (const [k, v] of st.ended ?? []) series.endedFirst.set(k, v);
    series.observation = st.observation;
    if (typeof st.lastEventTime === "number") series.lastEventTime = st.lastEventTime;
    Object.assign(series.dropped, st.dropped);
    return series;
  }
}

/** ISO text of interval and day bounds: every series shares them, so each is formatted once. */
const isoTexts = new Map<number, string>();
function iso(t: number): string {
  let text = isoTexts.get(t);
  if (text === undefined) {
    if (isoTexts.size > 1000) isoTexts.clear();
    isoTexts.set(t, (text = new Date(t).toISOString()));
  }
  return text;
}
