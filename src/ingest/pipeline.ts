/**
 * The ingest pipeline: normalized QueueEvents (from the stream or a backfill) -> clock-skew check
 * -> late-event horizon -> dedup -> engine -> the pending batch (committed by the store's
 * committer). One path for both sources, so an event delivered twice is counted once.
 */
import type { Engine } from "../aggregate/engine.js";
import type { QueueEvent } from "../domain/queue-event.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { storedIdentity, type Dedup } from "./dedup.js";
import type { Watermark } from "./watermark.js";

export type Source = "stream" | "backfill";

/** Counted events waiting for the next commit. */
export interface PendingEvents {
  add(id: string, event: QueueEvent): void;
  /** Adds an event under its own stored identity, left for the store to derive when read back. */
  addOwn?(event: QueueEvent): void;
  /** False while the state file cannot take more events: new ones are refused, not counted. */
  readonly accepting?: boolean;
  /** An event not counted because the pending batch is full (a backfill counts it later). */
  refuse?(event: QueueEvent): void;
}

export interface PipelineSettings {
  /** Events timed further than this ahead of the clock are rejected (ms). */
  maxClockSkewMs: number;
}

/** What a backfill pass returned: identities in its range (up to `until`), and its latest event. */
export interface Seen {
  set: Set<string>;
  until: number;
  frontier: number;
  /** Sees each fact of the range the details API returned for the first time (its lag can be measured). */
  firstRead?: (e: QueueEvent) => void;
}

export const pipelineCounterNames = ["streamEvents", "backfilledEvents", "duplicatesDropped", "lateDropped", "outcomeConflicts", "skewRejected"] as const;

/** Sees each newly counted event (never a duplicate): the loss detector, the wait histogram. */
export type CountedObserver = (e: QueueEvent) => void;

export interface PipelineParts {
  engine: Engine;
  watermark: Watermark;
  /** The identities already counted (restored from the state file). */
  dedup: Dedup;
  pending: PendingEvents;
  clock: Clock;
  /** Shared, persisted counters; the pipeline's own are in `pipelineCounterNames`. */
  counters: Record<string, number>;
  log: Logger;
  observers: CountedObserver[];
}

export class Pipeline {
  readonly dedup: Dedup;
  lastEventAt: number | null = null;
  /** Latest event time the stream has delivered, per queue (counted or not). */
  readonly streamFrontier = new Map<string, number>();
  readonly counters: Record<string, number>;
  private lastSkewLog = 0;
  private readonly engine: Engine;
  private readonly watermark: Watermark;
  private readonly pending: PendingEvents;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly observers: CountedObserver[];

  constructor(
    parts: PipelineParts,
    private readonly settings: PipelineSettings,
  ) {
    ({ engine: this.engine, watermark: this.watermark, dedup: this.dedup, pending: this.pending, clock: this.clock, counters: this.counters, log: this.log, observers: this.observers } = parts);
    for (const k of pipelineCounterNames) this.counters[k] ??= 0;
  }

  /**
   * Counts the new events once. `floor` drops backfilled events before the range asked for;
   * `seen`, when given, collects the identities of the events in [floor, until] (whatever their
   * verdict), so two backfill passes can be compared, and the latest event time (`frontier`).
   * @returns how many were counted
   */
  ingest(events: QueueEvent[], source: Source, floor = -Infinity, seen?: Seen): number {
    const now = this.clock.now();
    let counted = 0;
    // The events of one call are mostly of one queue: its frontier and horizon are looked up once.
    let queue: string | undefined;
    let frontier = -Infinity;
    let horizon = -Infinity;
    for (const e of events) {
      // A timestamp from the future (a wrong clock somewhere) would move every rolling window past
      // the present and empty it; far past ones are ordinary backfill.
      if (!(e.time <= now + this.settings.maxClockSkewMs)) {
        this.counters.skewRejected++;
        if (Date.now() - this.lastSkewLog > 60_000) {
          this.lastSkewLog = Date.now();
          this.log.warn({ eventTime: new Date(e.time).toISOString(), now: new Date(now).toISOString(), source, conversationId: e.conversationId, rejectedSoFar: this.counters.skewRejected }, "event time too far ahead of the clock; rejected");
        }
        continue;
      }
      if (e.queueId !== queue) {
        queue = e.queueId;
        frontier = this.streamFrontier.get(queue) ?? -Infinity;
        horizon = this.watermark.horizon(queue);
      }
      if (source === "stream" && !(e.time <= frontier)) {
        frontier = e.time;
        this.streamFrontier.set(queue, frontier);
      }
      if (seen && e.time > seen.frontier) seen.frontier = e.time;
      if (e.time < floor) continue;
      if (seen && e.time <= seen.until) seen.set.add(storedIdentity(e));
      if (e.time < horizon && !this.dedup.has(e)) {
        // Too old to tell whether it was counted: never risk a double.
        this.counters.lateDropped++;
        continue;
      }
      if (this.pending.accepting === false) {
        // The state file cannot take it: not counted now (a backfill will count it), unless it was already.
        if (this.dedup.has(e)) this.counters.duplicatesDropped++;
        else this.pending.refuse?.(e);
        continue;
      }
      const verdict = this.dedup.judge(e);
      if (seen?.firstRead && verdict !== "conflict" && this.dedup.readBack(e)) seen.firstRead(e);
      if (verdict === "duplicate") {
        this.counters.duplicatesDropped++;
        continue;
      }
      if (verdict === "conflict") {
        this.counters.outcomeConflicts++;
        this.log.warn({ conversationId: e.conversationId, participantId: e.participantId, queueId: e.queueId, counted: this.dedup.countedEnd(e), read: e.kind, source }, "sources disagree on a queue visit's outcome; the first counted stays");
        continue;
      }
      this.engine.apply(e);
      for (const o of this.observers) o(e);
      // No identity string on the hot path: the store derives it from the event when read back.
      if (this.pending.addOwn) this.pending.addOwn(e);
      else this.pending.add(storedIdentity(e), e);
      this.counters[source === "stream" ? "streamEvents" : "backfilledEvents"]++;
      this.lastEventAt = now;
      counted++;
    }
    return counted;
  }

  /** Forgets identities no source can deliver again (see Watermark.pruneBefore). */
  prune(): number {
    const before = this.watermark.pruneBefore();
    this.dedup.prune(before);
    this.watermark.forgotBefore(before);
    return before;
  }
}
