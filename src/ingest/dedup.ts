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

/** One queue visit (conversation, acd participant, queue) and its counted facts. */
interface Visit {
  conversationId: string;
  queueId: string;
  /** When the "offered" fact was counted (its event time); undefined when not (or forgotten). */
  offeredAt: number | undefined;
  endAt: number | undefined;
  /** The outcome the end was counted as. */
  endKind: QueueEventKind | undefined;
  /** Another visit of the same participant id (another conversation or queue): rare. */
  next: Visit | undefined;
  /** The details API has returned the offer / the end (its lag is measured once, when first returned). */
  apiOffered?: boolean;
  apiEnd?: boolean;
}

/** `conv/participant/queue/offered` or `conv/participant/queue/end:kind`; undefined when ambiguous. */
function parseStored(stored: string): { conversationId: string; participantId: string; queueId: string; end: boolean; kind?: QueueEventKind } | undefined {
  const parts = stored.split("/");
  if (parts.length !== 4 || parts.some((x) => x.length === 0)) return undefined;
  const [conversationId, participantId, queueId, fact] = parts;
  if (fact === "offered") return { conversationId, participantId, queueId, end: false };
  if (!fact.startsWith("end")) return undefined;
  const kind = fact.startsWith("end:") ? (fact.slice(4) as QueueEventKind) : undefined;
  return { conversationId, participantId, queueId, end: true, kind };
}

/** The stored form's identity and outcome (for identities that do not parse into their parts). */
function split(stored: string): [string, QueueEventKind | undefined] {
  const i = stored.lastIndexOf(":");
  if (i < 0 || stored.lastIndexOf("/") > i) return [stored, undefined];
  return [stored.slice(0, i), stored.slice(i + 1) as QueueEventKind];
}

/**
 * Visits are kept by acd participant id, then conversation and queue: every event is looked up
 * here (most are re-readings of facts already counted), and hashing one id is far cheaper than
 * building and hashing the whole identity string.
 */
export class Dedup {
  private readonly visits = new Map<string, Visit>();
  /** Restored identities whose parts cannot be told apart (an id holding "/"): by whole identity. */
  private readonly odd = new Map<string, { time: number; kind?: QueueEventKind }>();
  private facts = 0;

  /** `entries` as stored: [storedIdentity, time]. */
  constructor(entries: Iterable<[string, number]> = []) {
    for (const [stored, time] of entries) {
      const p = parseStored(stored);
      if (p === undefined) {
        const [id, kind] = split(stored);
        if (!this.odd.has(id)) this.facts++;
        this.odd.set(id, { time, kind });
        continue;
      }
      const v = this.visit(p.conversationId, p.participantId, p.queueId, true)!;
      if (p.end) {
        if (v.endAt === undefined) this.facts++;
        v.endAt = time;
        v.endKind = p.kind;
      } else {
        if (v.offeredAt === undefined) this.facts++;
        v.offeredAt = time;
      }
    }
  }

  private visit(conversationId: string, participantId: string, queueId: string, create: boolean): Visit | undefined {
    const first = this.visits.get(participantId);
    for (let v = first; v !== undefined; v = v.next) if (v.conversationId === conversationId && v.queueId === queueId) return v;
    if (!create) return undefined;
    const v: Visit = { conversationId, queueId, offeredAt: undefined, endAt: undefined, endKind: undefined, next: first };
    this.visits.set(participantId, v);
    return v;
  }

  /**
   * Decides whether `e` is new and records it when it is, without building its identity (the
   * live path's hot spot); `countedEnd` tells a conflict's first outcome.
   */
  judge(e: QueueEvent): Verdict {
    if (this.odd.size > 0) {
      const prior = this.odd.get(visitIdentity(e));
      if (prior) return e.kind === "offered" || prior.kind === e.kind ? "duplicate" : "conflict";
    }
    const v = this.visit(e.conversationId, e.participantId, e.queueId, true)!;
    if (e.kind === "offered") {
      if (v.offeredAt !== undefined) return "duplicate";
      v.offeredAt = e.time;
    } else {
      if (v.endAt !== undefined) return v.endKind === e.kind ? "duplicate" : "conflict";
      v.endAt = e.time;
      v.endKind = e.kind;
    }
    this.facts++;
    return "new";
  }

  /** The outcome an end of this visit was counted as, if any. */
  countedEnd(e: Pick<QueueEvent, "conversationId" | "participantId" | "queueId">): QueueEventKind | undefined {
    if (this.odd.size > 0) {
      const prior = this.odd.get(visitIdentity({ ...e, kind: "answered" }));
      if (prior) return prior.kind;
    }
    const v = this.visit(e.conversationId, e.participantId, e.queueId, false);
    return v?.endAt === undefined ? undefined : v.endKind;
  }

  /** Decides whether `e` is new; records it when it is. */
  admit(e: QueueEvent): Admission {
    const verdict = this.judge(e);
    const stored = storedIdentity(e);
    if (verdict !== "conflict") return { verdict, stored };
    return { verdict, stored, counted: this.countedEnd(e) };
  }

  /**
   * The details API returned this counted fact: true the first time (since it was counted, or
   * since this process restored it), false after, or when the fact is not held.
   */
  readBack(e: Pick<QueueEvent, "conversationId" | "participantId" | "queueId" | "kind">): boolean {
    const v = this.visit(e.conversationId, e.participantId, e.queueId, false);
    if (!v) return false;
    if (e.kind === "offered") {
      if (v.offeredAt === undefined || v.apiOffered) return false;
      v.apiOffered = true;
    } else {
      if (v.endAt === undefined || v.apiEnd) return false;
      v.apiEnd = true;
    }
    return true;
  }

  /** Whether this fact of the visit was counted (whatever outcome). */
  has(e: Pick<QueueEvent, "conversationId" | "participantId" | "queueId" | "kind">): boolean {
    if (this.odd.size > 0 && this.odd.has(visitIdentity(e))) return true;
    const v = this.visit(e.conversationId, e.participantId, e.queueId, false);
    return v !== undefined && (e.kind === "offered" ? v.offeredAt !== undefined : v.endAt !== undefined);
  }

  /** Counted facts held. */
  get size(): number {
    return this.facts;
  }

  /** Forgets facts whose event time is before `before` (no source can deliver them again). */
  prune(before: number): void {
    for (const [id, v] of this.odd) {
      if (v.time < before) {
        this.odd.delete(id);
        this.facts--;
      }
    }
    for (const [pid, first] of this.visits) {
      let head: Visit | undefined;
      let tail: Visit | undefined;
      for (let v: Visit | undefined = first; v !== undefined; ) {
        const next: Visit | undefined = v.next;
        if (v.offeredAt !== undefined && v.offeredAt < before) {
          v.offeredAt = undefined;
          this.facts--;
        }
        if (v.endAt !== undefined && v.endAt < before) {
          v.endAt = undefined;
          v.endKind = undefined;
          this.facts--;
        }
        v.next = undefined;
        if (v.offeredAt !== undefined || v.endAt !== undefined) {
          if (tail) tail.next = v;
          else head = v;
          tail = v;
        }
        v = next;
      }
      if (head === undefined) this.visits.delete(pid);
      else if (head !== first) this.visits.set(pid, head);
    }
  }
}
