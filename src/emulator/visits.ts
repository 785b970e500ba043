/**
 * Every queue visit (one acd leg: offered, then answered, abandoned or flowed out) for scoring
 * wait predictions against what callers really waited. Bounded: a finished visit is dropped once
 * it ended more than the window ago (default: a simulated day), and the drops are counted, so a
 * long run holds about a window's worth; visits still open are always kept.
 */
import type { QueueEvent } from "../domain/queue-event.js";

export const DEFAULT_VISIT_WINDOW_HOURS = 24;

interface Visit {
  queueId: string;
  mediaType: string;
  conversationId: string;
  offeredAt: number;
  endedAt?: number;
  kind?: "answered" | "abandoned" | "flowout";
  waitMs?: number;
}

export class VisitLog {
  /** By acd participant (one per visit), in the order offered. */
  private readonly visits = new Map<string, Visit>();
  /** Finished visits dropped for being older than the window. */
  dropped = 0;

  constructor(readonly windowMs: number) {}

  add(ev: QueueEvent): void {
    if (ev.kind === "offered") {
      this.visits.set(ev.participantId, { queueId: ev.queueId, mediaType: ev.mediaType, conversationId: ev.conversationId, offeredAt: ev.time });
      return;
    }
    const v = this.visits.get(ev.participantId);
    // Its offer was dropped already: only possible for a leg open longer than the window, which is kept, so never.
    if (!v) return;
    v.endedAt = ev.time;
    v.kind = ev.kind;
    v.waitMs = ev.waitMs;
  }

  /** Drops finished visits that ended before `now` - window; answers how many went. */
  prune(now: number): number {
    const before = now - this.windowMs;
    let n = 0;
    for (const [id, v] of this.visits) {
      if (v.endedAt !== undefined && v.endedAt < before) {
        this.visits.delete(id);
        n++;
      }
    }
    this.dropped += n;
    return n;
  }

  /** The visits as the ground truth shows them: ISO times; open ones without endedAt, kind, waitMs. */
  render(): Record<string, unknown>[] {
    const iso = (t: number) => new Date(t).toISOString();
    return [...this.visits.values()].map((v) => ({
      queueId: v.queueId,
      mediaType: v.mediaType,
      conversationId: v.conversationId,
      offeredAt: iso(v.offeredAt),
      ...(v.endedAt === undefined ? {} : { endedAt: iso(v.endedAt), kind: v.kind, waitMs: v.waitMs }),
    }));
  }
}
