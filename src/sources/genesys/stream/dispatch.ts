/**
 * Where a notification frame goes, by its topic: a conversation snapshot is normalized into
 * queue events and ingested; an observation gives "now" figures and Genesys' own 30-minute
 * aggregates (for the loss detector). Every source of frames (the WebSocket channels, EventBridge)
 * hands them here, so they take one path. Frames are untrusted: a body that cannot be read is
 * counted and logged (rate-limited), never thrown.
 */
import type { QueueEvent } from "../../../domain/queue-event.js";
import { eventsFromSnapshot, SnapshotError } from "../../../normalize/conversation.js";
import { parseObservation, type IntervalAggregate, type ObservationUpdate } from "../../../normalize/observation.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import { classifyTopic, type Frame } from "./topics.js";

export interface DispatchTargets {
  /** Only monitored queues count (a frame can name others: a transfer, a queue just removed). */
  monitored(queueId: string): boolean;
  events(events: QueueEvent[]): void;
  observation(u: ObservationUpdate): void;
  aggregate(a: IntervalAggregate): void;
}

export class FrameDispatch {
  /** Conversation bodies that could not be normalized (persisted with the other counters). */
  private lastLogAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly targets: DispatchTargets,
    private readonly counters: Record<string, number>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    counters.badPayloads ??= 0;
  }

  frame(f: Frame): void {
    const t = classifyTopic(f.topicName);
    if (t.kind === "conversation") {
      let events: QueueEvent[];
      try {
        events = eventsFromSnapshot(f.eventBody, (q) => this.targets.monitored(q));
      } catch (e) {
        this.counters.badPayloads++;
        this.logBad(f.topicName, e);
        return;
      }
      this.targets.events(events);
      return;
    }
    if (t.kind === "observation") {
      const { updates, aggregates } = parseObservation(t.queueId, f.eventBody, { now: this.clock.now() });
      for (const u of updates) if (this.targets.monitored(u.queueId)) this.targets.observation(u);
      for (const a of aggregates) if (this.targets.monitored(a.queueId)) this.targets.aggregate(a);
    }
  }

  /** At most one line a second: a stream of bad bodies must not flood the log. */
  private logBad(topic: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastLogAt < 1000) {
      this.suppressed++;
      return;
    }
    this.lastLogAt = now;
    const fields = { topic, err: (e as Error).message, badPayloads: this.counters.badPayloads, suppressed: this.suppressed };
    this.suppressed = 0;
    if (e instanceof SnapshotError) this.log.warn(fields, "payload skipped");
    else this.log.error(fields, "payload failed");
  }
}
