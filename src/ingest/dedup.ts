/**
 * The identities of counted queue-visit facts ("offered", "end"), with the outcome an end was
 * counted as and its event time, so old ones can be forgotten once no source can deliver them
 * again. This set is the state of every visit's state machine: a fact, once counted, is never
 * counted again, and a second reading of an end that disagrees with the first is a conflict.
 *
 * Conflict rule: the first counted outcome stays. The engine's sketches cannot take a count
 * back, and both sources are readings of one visit; the conflict is logged and counted so a
 * person can look at the conversation (`replay` it).
 */
import { visitIdentity, type QueueEvent, type QueueEventKind } from "../domain/queue-event.js";

export type Verdict = "new" | "duplicate" | "conflict";

export interface Admission {
  verdict: Verdict;
  /** The identity as stored: `conv/participant/queue/offered` or `.../end:kind`. */
  stored: string;
  /** On a conflict: the outcome that was counted first. */
  counted?: QueueEventKind;
}

/** The stored form of an identity carries an end's outcome after a colon. */
export function storedIdentity(e: QueueEvent): string {
  const id = visitIdentity(e);
  return e.kind === "offered" ? id : `${id}:${e.kind}`;
}

function split(stored: string): [string, QueueEventKind | undefined] {
  const i = stored.lastIndexOf(":");
  if (i < 0 || stored.lastIndexOf("/") > i) return [stored, undefined];
  return [stored.slice(0, i), stored.slice(i + 1) as QueueEventKind];
}

export class Dedup {
  /** visit identity -> [event time, counted outcome for ends]. */
  private readonly seen = new Map<string, { time: number; kind?: QueueEventKind }>();

  /** `entries` as stored: [storedIdentity, time]. */
  constructor(entries: Iterable<[string, number]> = []) {
    for (const [stored, time] of entries) {
      const [id, kind] = split(stored);
      this.seen.set(id, { time, kind });
    }
  }

  /** Decides whether `e` is new; records it when it is. */
  admit(e: QueueEvent): Admission {
    const id = visitIdentity(e);
    const stored = e.kind === "offered" ? id : `${id}:${e.kind}`;
    const prior = this.seen.get(id);
    if (!prior) {
      this.seen.set(id, { time: e.time, kind: e.kind === "offered" ? undefined : e.kind });
      return { verdict: "new", stored };
    }
    if (e.kind === "offered" || prior.kind === e.kind) return { verdict: "duplicate", stored };
    return { verdict: "conflict", stored, counted: prior.kind };
  }

  /** Whether this fact of the visit was counted (whatever outcome). */
  has(e: Pick<QueueEvent, "conversationId" | "participantId" | "queueId" | "kind">): boolean {
    return this.seen.has(visitIdentity(e));
  }

  get size(): number {
    return this.seen.size;
  }

  prune(before: number): void {
    for (const [id, v] of this.seen) if (v.time < before) this.seen.delete(id);
  }
}
