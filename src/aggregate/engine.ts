/**
 * The statistics engine: QueueEvents in, per queue x media figures out. No I/O: the caller
 * supplies a clock, queue facts (names, service-level goals) and observations, and decides when
 * to persist (`takeDirty` + `Series.toState`) and when to read (`snapshot`).
 */
import { seriesKey, type QueueEvent } from "../domain/queue-event.js";
import type { Clock } from "../util/clock.js";
import type { Thresholds } from "./bucket.js";
import { Calendar } from "./calendar.js";
import type { EngineSettings } from "./config.js";
import { Series, type Observation, type SeriesSnapshot, type SeriesState } from "./series.js";

const collator = new Intl.Collator();

export interface QueueInfo {
  name: string;
  /** Per media type (voice, chat, ...), from the queue's mediaSettings. */
  serviceLevels: Record<string, { percentage: number; durationMs: number }>;
}

export class Engine {
  private readonly series = new Map<string, Series>();
  private readonly queues = new Map<string, QueueInfo>();
  private readonly dirty = new Set<Series>();
  /** Series by queue name then media type, as snapshots list them; null after a name or series changes. */
  private order: Series[] | null = null;
  private readonly calendar: Calendar;
  /** Events applied since start (for self-health). */
  applied = 0;

  constructor(
    readonly settings: EngineSettings,
    private readonly clock: Clock,
  ) {
    if (settings.windowsMinutes.length === 0 || settings.windowsMinutes.some((w) => !Number.isInteger(w) || w < 1 || w > 1440)) {
      throw new RangeError(`windows must be whole minutes 1..1440, got ${JSON.stringify(settings.windowsMinutes)}`);
    }
    this.calendar = new Calendar(settings.timeZone, settings.intervalMinutes, settings.dailyReset);
  }

  setQueue(queueId: string, info: QueueInfo): void {
    if (this.queues.get(queueId)?.name !== info.name) this.order = null;
    this.queues.set(queueId, info);
  }

  /** Start of the business day holding t (for "count today" on a first start). */
  dayStart(t: number): number {
    return this.calendar.day(t)[0];
  }

  queueInfo(queueId: string): QueueInfo | undefined {
    return this.queues.get(queueId);
  }

  /** Files one event; the caller guarantees it is new (deduplicated). */
  apply(e: QueueEvent): void {
    this.seriesFor(e.queueId, e.mediaType).apply(e, this.thresholds(e.queueId, e.mediaType), this.clock.now());
    this.applied++;
  }

  observe(queueId: string, mediaType: string, o: Observation): void {
    const s = this.seriesFor(queueId, mediaType);
    if (!s.observation || o.at >= s.observation.at) s.observation = o;
  }

  /** One series' "now" figures (null: no such series yet), without computing its windows. */
  nowOf(queueId: string, mediaType: string): ReturnType<Series["nowFigures"]> | null {
    return this.series.get(seriesKey(queueId, mediaType))?.nowFigures(this.clock.now()) ?? null;
  }

  /** Figures of every series (or those of one queue), as of the clock's now. */
  snapshot(filter?: (queueId: string) => boolean): SeriesSnapshot[] {
    const now = this.clock.now();
    const out: SeriesSnapshot[] = [];
    for (const s of this.sorted()) {
      if (filter && !filter(s.queueId)) continue;
      const th = this.thresholds(s.queueId, s.mediaType);
      out.push(s.snapshot(now, this.nameOf(s), th, this.target(s.queueId, s.mediaType)));
    }
    return out;
  }

  /** Sorting thousands of names on every read would cost more than the figures: kept until a change. */
  private sorted(): Series[] {
    if (!this.order) {
      const name = new Map([...this.series.values()].map((s) => [s, this.nameOf(s)]));
      this.order = [...this.series.values()].sort((a, b) => collator.compare(name.get(a)!, name.get(b)!) || collator.compare(a.mediaType, b.mediaType));
    }
    return this.order;
  }

  private nameOf(s: Series): string {
    return this.queues.get(s.queueId)?.name ?? s.queueId;
  }

  /** Compacts closed buckets everywhere (call about once a minute). */
  maintain(): void {
    const now = this.clock.now();
    for (const s of this.series.values()) s.maintain(now);
  }

  /** Series changed since the last call, for incremental persistence. */
  takeDirty(): SeriesState[] {
    const out = [...this.dirty].map((s) => s.toState());
    this.dirty.clear();
    return out;
  }

  /**
   * Hands the changed series to `write`; they count as persisted only if it returns. If it
   * throws, they stay changed and go with the next call (a failed checkpoint loses nothing).
   */
  persistDirty(write: (states: SeriesState[]) => void): number {
    const taken = [...this.dirty];
    write(taken.map((s) => s.toState()));
    for (const s of taken) this.dirty.delete(s);
    return taken.length;
  }

  allStates(): SeriesState[] {
    return [...this.series.values()].map((s) => s.toState());
  }

  restore(states: SeriesState[]): void {
    for (const st of states) this.series.set(seriesKey(st.queueId, st.mediaType), Series.fromState(st, this.seriesSettings()));
    this.order = null;
  }

  get seriesCount(): number {
    return this.series.size;
  }

  private seriesFor(queueId: string, mediaType: string): Series {
    const key = seriesKey(queueId, mediaType);
    let s = this.series.get(key);
    if (!s) {
      this.series.set(key, (s = new Series(queueId, mediaType, this.seriesSettings())));
      this.order = null;
    }
    this.dirty.add(s);
    return s;
  }

  private seriesSettings() {
    const st = this.settings;
    return {
      windowsMinutes: st.windowsMinutes,
      keepIntervals: st.keepIntervals,
      halfLifeSeconds: st.smoothingHalfLifeSeconds,
      observationMaxAgeMs: st.observationMaxAgeSeconds * 1000,
      policy: st.serviceLevel,
      calendar: this.calendar,
    };
  }

  private thresholds(queueId: string, mediaType: string): Thresholds {
    const own = this.queues.get(queueId)?.serviceLevels[mediaType];
    const seconds = this.settings.serviceLevel.thresholdSeconds;
    return {
      serviceLevelMs: seconds !== undefined ? seconds * 1000 : (own?.durationMs ?? this.settings.defaultServiceLevel.thresholdSeconds * 1000),
      shortAbandonMs: this.settings.shortAbandonSeconds * 1000,
    };
  }

  private target(queueId: string, mediaType: string): number {
    return this.settings.serviceLevel.targetPercentage ?? this.queues.get(queueId)?.serviceLevels[mediaType]?.percentage ?? this.settings.defaultServiceLevel.percentage;
  }
}
