/**
 * A free loss detector. The observations topic also carries Genesys' own 30-minute aggregates per
 * queue and media type (nOffered, tAnswered, tAbandon, tFlowOut counts, each in the interval of
 * its emit time). When an interval has closed and settled, the monitor's own counts for it are
 * compared with the last aggregate seen; a difference means an event was missed (or read
 * differently) on one side, and the caller can re-read that interval from analytics. Pure: the
 * caller feeds counted events and aggregates, and asks what is due.
 *
 * Only intervals that began after the detector started are compared: counts of an interval in
 * progress at a restart are partly in the engine's persisted state and not here. Genesys emits
 * tAnswered at the agent's connect, tens of ms from the acd end the monitor counts an answer at,
 * so a call answered at an interval's very edge can sit in the neighbouring interval: a difference
 * that a re-read does not explain is reported, not chased again. Where the monitor counted more
 * (Genesys' last aggregate lagging behind, or an edge case), re-reading cannot help: reported only.
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
}

const zero = (): Counts => ({ offered: 0, answered: 0, abandoned: 0, flowout: 0 });
const KINDS: (keyof Counts)[] = ["offered", "answered", "abandoned", "flowout"];

export class LossDetector {
  private readonly ours = new Map<string, Counts>();
  private readonly theirs = new Map<string, IntervalAggregate>();
  last: Comparison[] = [];
  compared = 0;
  disagreed = 0;

  /** `armedFrom`: the first interval start that may be compared (the process start, rounded up). */
  constructor(
    armedFrom: number,
    private readonly settleMs: number,
  ) {
    this.armedFrom = Math.ceil(armedFrom / AGGREGATE_MS) * AGGREGATE_MS;
  }
  private readonly armedFrom: number;

  /** A newly counted event (never a duplicate). */
  count(e: QueueEvent): void {
    const start = Math.floor(e.time / AGGREGATE_MS) * AGGREGATE_MS;
    if (start < this.armedFrom) return;
    const key = keyOf(e.queueId, e.mediaType, start);
    let c = this.ours.get(key);
    if (!c) this.ours.set(key, (c = zero()));
    c[e.kind === "flowout" ? "flowout" : e.kind]++;
  }

  /** The latest aggregate for an interval replaces earlier ones (they grow through the interval). */
  aggregate(a: IntervalAggregate): void {
    if (a.end - a.start !== AGGREGATE_MS || a.start % AGGREGATE_MS !== 0 || a.start < this.armedFrom) return;
    this.theirs.set(keyOf(a.queueId, a.mediaType, a.start), a);
  }

  /**
   * Compares every interval that ended at least `settleMs` before `now` and forgets it. Call only
   * while caught up (no gap awaiting backfill), or a gap's events would look lost.
   */
  due(now: number): Comparison[] {
    const out: Comparison[] = [];
    const keys = new Set([...this.ours.keys(), ...this.theirs.keys()]);
    for (const key of keys) {
      const [queueId, mediaType, startText] = key.split("\u0000");
      const start = Number(startText);
      if (start + AGGREGATE_MS + this.settleMs > now) continue;
      const monitor = this.ours.get(key) ?? zero();
      const agg = this.theirs.get(key);
      this.ours.delete(key);
      this.theirs.delete(key);
      // Without Genesys' figures there is nothing to compare against (no message arrived).
      if (!agg) continue;
      const genesys: Partial<Counts> = {};
      for (const k of KINDS) if (agg[k] !== undefined) genesys[k] = agg[k];
      const differences = KINDS.filter((k) => genesys[k] !== undefined && genesys[k] !== monitor[k]);
      const missing = differences.some((k) => genesys[k]! > monitor[k]);
      out.push({ queueId, mediaType, start: new Date(start).toISOString(), end: new Date(start + AGGREGATE_MS).toISOString(), genesys, monitor, differences, missing });
    }
    this.compared += out.length;
    this.disagreed += out.filter((c) => c.differences.length > 0).length;
    if (out.length > 0) this.last = out;
    return out;
  }
}

function keyOf(queueId: string, mediaType: string, start: number): string {
  return `${queueId}\u0000${mediaType}\u0000${start}`;
}
