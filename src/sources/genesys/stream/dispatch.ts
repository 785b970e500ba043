/**
 * Where a notification frame goes, by its topic: a conversation snapshot is normalized into
 * queue events and ingested; an observation gives "now" figures, staffing (its queue-level
 * groups) and Genesys' own 30-minute aggregates (for the loss detector). Every source of frames (the WebSocket channels, EventBridge)
 * hands them here, so they take one path. Frames are untrusted: a body that cannot be read is
 * counted and logged (rate-limited), never thrown.
 */
import type { QueueEvent } from "../../../domain/queue-event.js";
import { eventsFromSnapshot, SnapshotError } from "../../../normalize/conversation.js";
import { parseObservation, type IntervalAggregate, type ObservationUpdate } from "../../../normalize/observation.js";
import { parseStaffing, type StaffingUpdate } from "../../../normalize/staffing.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import { ThrottledLog } from "../../../util/throttled-log.js";
import { classifyTopic, type Frame } from "./topics.js";

export interface DispatchTargets {
  /** Only monitored queues count (a frame can name others: a transfer, a queue just removed). */
  monitored(queueId: string): boolean;
  events(events: QueueEvent[]): void;
  observation(u: ObservationUpdate): void;
  aggregate(a: IntervalAggregate): void;
  /** Queue-level groups of an observation: who is there to answer. */
  staffing?(u: StaffingUpdate): void;
}

export class FrameDispatch {
  /** At most one line a second per kind: a stream of bad bodies must not flood the log. */
  private readonly badLog: ThrottledLog;

  constructor(
    private readonly targets: DispatchTargets,
    private readonly counters: Record<string, number>,
    private readonly clock: Clock,
    log: Logger,
    private readonly breakdown: "complete" | "partial" = "complete",
  ) {
    counters.badPayloads ??= 0;
    counters.staffingDropped ??= 0;
    this.badLog = new ThrottledLog(log, { intervalMs: 1000 });
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
      const staffing = this.targets.staffing;
      if (!staffing) return;
      const st = parseStaffing(t.queueId, f.eventBody, { now: this.clock.now(), breakdown: this.breakdown });
      this.counters.staffingDropped += st.dropped;
      for (const u of st.updates) if (this.targets.monitored(u.queueId)) staffing(u);
    }
  }

  private logBad(topic: string, e: unknown): void {
    const fields = { topic, err: (e as Error).message, badPayloads: this.counters.badPayloads };
    if (e instanceof SnapshotError) this.badLog.warn("skipped", fields, "payload skipped");
    else this.badLog.error("failed", fields, "payload failed");
  }
}
