/**
 * The loss detector, the safety net under every guess the no-loss design makes. The observations
 * topic carries Genesys' own 30-minute aggregates per queue and media (nOffered, tAnswered,
 * tAbandon, tFlowOut counts, each in the interval of its own time). Once an interval has closed,
 * Genesys' last aggregate for it has come and no backfill touching it is still running, the
 * monitor's own counts for it are compared with Genesys'. The topic's last message for an
 * interval can be missed (the monitor was down then), so each interval is first confirmed with
 * Genesys' aggregates query; the larger reading of each figure counts (a reading that lags can
 * only be lower). Both sides are kept in the state file
 * (./loss-store.ts), so an interval that began before a restart is compared as well: those are
 * exactly the intervals a restart touches.
 *
 * Where Genesys counted more, an event was missed: the interval is re-read for that queue (a
 * "chase"), and compared again after each re-read, `chase.firstMs` later and then twice as long
 * each time up to `chase.maxPauseMs`, because the missing version may not be in the details API
 * yet (its lag can be longer than anyone guessed). The pause is capped because a chase re-read is
 * one queue's half hour, about a page, while each doubling past the cap would add as much to the
 * time a late version stays uncounted once it is there. Resolved when the counts agree. Given up
 * and said after `chase.attempts` re-reads, and not before the interval's end is `chase.spanMs()`
 * behind: the measured lag's reach, so a guess does not end a chase the lag has not. An interval
 * whose neighbours balance it is an edge case of attribution (Genesys stamps an answer at the
 * agent's connect, tens of ms from the queue leg's end).
 * Where the monitor counted more, re-reading cannot help: reported only. Pure: the caller feeds
 * counted events and aggregates, and acts on what `due` returns.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import type { IntervalAggregate } from "../normalize/observation.js";

export type { IntervalAggregate };

export const AGGREGATE_MS = 30 * 60_000;

export interface Counts {
  offered: number;
  answered: number;
  abandoned: number;
  flowout: number;
}

export type LossStatus = "agree" | "ours-higher" | "chasing" | "recovered" | "unrecovered" | "edge";

export interface Comparison {
  queueId: string;
  mediaType: string;
  start: string;
  end: string;
  genesys: Partial<Counts>;
  monitor: Counts;
  /** The figures that differ (only those Genesys reported). */
  differences: (keyof Counts)[];
  /** Genesys counted more than the monitor for one of them: something may have been missed. */
  missing: boolean;
  status: LossStatus;
  /** Re-reads of the interval so far. */
  chases: number;
}

/** One interval of one series, as kept (and persisted). */
export interface IntervalRecord {
  ours: Counts;
  theirs: Partial<Counts> | null;
  /** While chasing: re-reads done, and when to compare again (clock ms). */
  chase: { attempts: number; nextAt: number } | null;
  /** Genesys' aggregates query has answered for it (absent in older state: not yet). */
  confirmed?: boolean;
}

export interface ChaseSettings {
  /** Clock ms from the first difference to the first comparison after a re-read. */
  firstMs: number;
  /** The pause doubles up to this (clock ms); unset: no cap. */
  maxPauseMs?: number;
  /** Re-reads at least before giving up. */
  attempts: number;
  /** Nor given up before the interval's end is this far behind (clock ms); unset: 0. */
  spanMs?: () => number;
}

/** What `due` compared, and what the caller must re-read. */
export interface LossActions {
  compared: Comparison[];
  /** Intervals to re-read now: [queueId, start, end]. */
  reread: [string, number, number][];
}

const zero = (): Counts => ({ offered: 0, answered: 0, abandoned: 0, flowout: 0 });
const KINDS: (keyof Counts)[] = ["offered", "answered", "abandoned", "flowout"];

export function keyOf(queueId: string, mediaType: string, start: number): string {
  return `${queueId}\u0000${mediaType}\u0000${start}`;
}

export function partsOf(key: string): [string, string, number] {
  const [q, m, s] = key.split("\u0000");
  return [q, m, Number(s)];
}

export class LossDetector {
  private readonly records = new Map<string, IntervalRecord>();
  /** Keys changed since the last `takeDirty` (to persist), and keys forgotten. */
  private readonly dirty = new Set<string>();
  private readonly gone = new Set<string>();
  /** Compared intervals kept a while, for the edge check of a neighbour. */
  private readonly recent = new Map<string, { ours: Counts; theirs: Partial<Counts> }>();
  last: Comparison[] = [];
  compared = 0;
  disagreed = 0;
  recovered = 0;
  unrecovered = 0;

  constructor(
    private readonly settleMs: number,
    private readonly chase: ChaseSettings,
    restored: Iterable<[string, IntervalRecord]> = [],
  ) {
    for (const [k, r] of restored) this.records.set(k, r);
  }

  /** A newly counted event (never a duplicate). */
  count(e: QueueEvent): void {
    const key = keyOf(e.queueId, e.mediaType, Math.floor(e.time / AGGREGATE_MS) * AGGREGATE_MS);
    const r = this.record(key);
    r.ours[e.kind === "flowout" ? "flowout" : e.kind]++;
    this.dirty.add(key);
  }

  /** An aggregate from the topic or the query: each figure keeps the larger reading (they grow through the interval). */
  aggregate(a: IntervalAggregate): void {
    if (a.end - a.start !== AGGREGATE_MS || a.start % AGGREGATE_MS !== 0) return;
    const key = keyOf(a.queueId, a.mediaType, a.start);
    const r = this.record(key);
    const theirs: Partial<Counts> = { ...r.theirs };
    for (const k of KINDS) if (a[k] !== undefined) theirs[k] = Math.max(theirs[k] ?? 0, a[k]);
    r.theirs = theirs;
    this.dirty.add(key);
  }

  /**
   * Intervals ready to compare that Genesys' aggregates query has not confirmed yet:
   * [queueId, mediaType, start].
   */
  unconfirmed(now: number, touched: (queueId: string, from: number, to: number) => boolean): [string, string, number][] {
    const out: [string, string, number][] = [];
    for (const [key, r] of this.records) {
      if (r.confirmed) continue;
      const [q, m, start] = partsOf(key);
      if (start + AGGREGATE_MS + this.settleMs <= now && !touched(q, start, start + AGGREGATE_MS)) out.push([q, m, start]);
    }
    return out;
  }

  /**
   * The aggregates query answered for these intervals (`aggs`: what it counted; a group it did
   * not return counted nothing).
   */
  confirm(keys: [string, string, number][], aggs: IntervalAggregate[]): void {
    for (const a of aggs) this.aggregate(a);
    for (const [q, m, start] of keys) {
      const key = keyOf(q, m, start);
      const r = this.records.get(key);
      if (!r) continue;
      r.theirs ??= { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
      r.confirmed = true;
      this.dirty.add(key);
    }
  }

  /**
   * Queues with an interval still to be compared or chased (of those `monitored`), with the
   * earliest interval start each: identities must be kept from there, or a re-read could not tell
   * a late version from one counted and since forgotten. Not only chased intervals: a comparison
   * waits for the interval to settle, for Genesys' query to confirm it and for no backfill to touch
   * it, and no fixed identity margin is sure to outlast that.
   */
  holding(monitored: (queueId: string) => boolean = () => true): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of this.records.keys()) {
      const [q, , start] = partsOf(key);
      if (monitored(q)) out.set(q, Math.min(out.get(q) ?? Infinity, start));
    }
    return out;
  }

  /** Queues with an interval being chased. */
  get chasingQueues(): number {
    const out = new Set<string>();
    for (const [key, r] of this.records) if (r.chase) out.add(partsOf(key)[0]);
    return out.size;
  }

  /**
   * Compares every interval that closed at least `settleMs` before `now`, that no backfill still
   * touches (`touched`), and whose chase (if any) is due. Call only while caught up.
   */
  due(now: number, touched: (queueId: string, from: number, to: number) => boolean, needConfirmation = false): LossActions {
    const out: LossActions = { compared: [], reread: [] };
    for (const [key, r] of this.records) {
      const [queueId, mediaType, start] = partsOf(key);
      const end = start + AGGREGATE_MS;
      if (end + this.settleMs > now || (r.chase && now < r.chase.nextAt) || touched(queueId, start, end)) continue;
      if (needConfirmation && !r.confirmed) continue;
      // Without Genesys' figures there is nothing to compare against (no message arrived).
      if (!r.theirs) {
        this.forget(key);
        continue;
      }
      const differences = KINDS.filter((k) => r.theirs![k] !== undefined && r.theirs![k] !== r.ours[k]);
      const missing = differences.some((k) => r.theirs![k]! > r.ours[k]);
      const chases = r.chase?.attempts ?? 0;
      let status: LossStatus;
      if (!missing) {
        status = chases > 0 ? "recovered" : differences.length > 0 ? "ours-higher" : "agree";
        if (chases > 0) this.recovered++;
      } else if (chases < this.chase.attempts || now - end < (this.chase.spanMs?.() ?? 0)) {
        status = "chasing";
        r.chase = { attempts: chases + 1, nextAt: now + Math.min(this.chase.firstMs * 2 ** chases, this.chase.maxPauseMs ?? Infinity) };
        this.dirty.add(key);
        out.reread.push([queueId, start, end]);
      } else {
        status = this.balancedByNeighbours(queueId, mediaType, start, r) ? "edge" : "unrecovered";
        if (status === "unrecovered") this.unrecovered++;
      }
      const c: Comparison = { queueId, mediaType, start: new Date(start).toISOString(), end: new Date(end).toISOString(), genesys: { ...r.theirs }, monitor: { ...r.ours }, differences, missing, status, chases };
      if (chases === 0) {
        this.compared++;
        if (differences.length > 0) this.disagreed++;
      }
      out.compared.push(c);
      if (status !== "chasing") {
        this.recent.set(key, { ours: r.ours, theirs: r.theirs });
        this.forget(key);
      }
    }
    for (const k of this.recent.keys()) if (partsOf(k)[2] < now - 6 * AGGREGATE_MS) this.recent.delete(k);
    if (out.compared.length > 0) this.last = out.compared;
    return out;
  }

  /** What changed since the last call, to persist: [key, record | null (forgotten)]. */
  takeDirty(): [string, IntervalRecord | null][] {
    const out: [string, IntervalRecord | null][] = [];
    for (const k of this.dirty) out.push([k, this.records.get(k) ?? null]);
    for (const k of this.gone) if (!this.dirty.has(k)) out.push([k, null]);
    this.dirty.clear();
    this.gone.clear();
    return out;
  }

  /** Intervals held (for health and tests). */
  get size(): number {
    return this.records.size;
  }

  private record(key: string): IntervalRecord {
    let r = this.records.get(key);
    if (!r) this.records.set(key, (r = { ours: zero(), theirs: null, chase: null, confirmed: false }));
    return r;
  }

  private forget(key: string): void {
    this.records.delete(key);
    this.dirty.delete(key);
    this.gone.add(key);
  }

  /** The interval and its neighbours together agree with Genesys: one call counted on each side of an edge. */
  private balancedByNeighbours(queueId: string, mediaType: string, start: number, r: IntervalRecord): boolean {
    const ours = { ...r.ours };
    const theirs: Partial<Counts> = { ...r.theirs };
    for (const s of [start - AGGREGATE_MS, start + AGGREGATE_MS]) {
      const n = this.recent.get(keyOf(queueId, mediaType, s)) ?? this.records.get(keyOf(queueId, mediaType, s));
      if (!n || !n.theirs) return false;
      for (const k of KINDS) {
        ours[k] += n.ours[k];
        if (theirs[k] !== undefined && n.theirs[k] !== undefined) theirs[k] = theirs[k]! + n.theirs[k]!;
      }
    }
    return KINDS.every((k) => theirs[k] === undefined || theirs[k] === ours[k]);
  }
}
