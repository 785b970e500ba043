/**
 * A bucket: what happened in one slice of time for one queue and media type. Counters plus the
 * waits of answered and abandoned calls. Minute buckets, intervals and "today" are buckets; a
 * rolling window is a bucket that minutes are added to and taken from as it moves.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import { Waits, type WaitsState } from "./waits.js";

export interface Thresholds {
  /** Answered waits above this are over the service level (ms). */
  serviceLevelMs: number;
  /** Abandons below this are short abandons (ms). */
  shortAbandonMs: number;
}

/** What is counted per slice of time; Figures report these as they are. */
export interface EventCounts {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  flowout: number;
  overSla: number;
}

export interface BucketCounts extends EventCounts {
  answeredWaitMsSum: number;
}

export interface BucketState extends BucketCounts {
  /** Waits; a string is a t-digest written by versions before 0.2 (read, never written). */
  answeredWaits?: WaitsState | string;
  abandonedWaits?: WaitsState | string;
}

const COUNTERS = ["offered", "answered", "abandoned", "shortAbandoned", "flowout", "overSla", "answeredWaitMsSum"] as const;

export class Bucket implements BucketCounts {
  offered = 0;
  answered = 0;
  abandoned = 0;
  shortAbandoned = 0;
  flowout = 0;
  overSla = 0;
  answeredWaitMsSum = 0;
  /** Created on the first wait: most minutes of most queues have no abandons. */
  answeredWaits: Waits | null = null;
  abandonedWaits: Waits | null = null;
  /** Set on buckets whose percentiles are no longer served: their waits are not kept. */
  private countsOnly = false;
  /** State as last written, until the bucket changes: closed minutes are checkpointed for free. */
  private stateCache: BucketState | null = null;

  add(e: QueueEvent, th: Thresholds): void {
    this.stateCache = null;
    switch (e.kind) {
      case "offered":
        this.offered++;
        return;
      case "answered": {
        const w = e.waitMs ?? 0;
        this.answered++;
        this.answeredWaitMsSum += w;
        if (w > th.serviceLevelMs) this.overSla++;
        if (!this.countsOnly) (this.answeredWaits ??= new Waits()).add(w);
        return;
      }
      case "abandoned": {
        const w = e.waitMs ?? 0;
        this.abandoned++;
        if (w < th.shortAbandonMs) this.shortAbandoned++;
        if (!this.countsOnly) (this.abandonedWaits ??= new Waits()).add(w);
        return;
      }
      case "flowout":
        this.flowout++;
        return;
    }
  }

  /** Adds another bucket's counts and waits (a minute entering a rolling window). */
  addBucket(o: Bucket): void {
    this.stateCache = null;
    this.offered += o.offered;
    this.answered += o.answered;
    this.abandoned += o.abandoned;
    this.shortAbandoned += o.shortAbandoned;
    this.flowout += o.flowout;
    this.overSla += o.overSla;
    this.answeredWaitMsSum += o.answeredWaitMsSum;
    if (o.answeredWaits) (this.answeredWaits ??= new Waits()).addAll(o.answeredWaits);
    if (o.abandonedWaits) (this.abandonedWaits ??= new Waits()).addAll(o.abandonedWaits);
  }

  /** Takes away a bucket added before (a minute leaving a rolling window). */
  removeBucket(o: Bucket): void {
    this.stateCache = null;
    this.offered -= o.offered;
    this.answered -= o.answered;
    this.abandoned -= o.abandoned;
    this.shortAbandoned -= o.shortAbandoned;
    this.flowout -= o.flowout;
    this.overSla -= o.overSla;
    this.answeredWaitMsSum -= o.answeredWaitMsSum;
    if (o.answeredWaits) this.answeredWaits?.removeAll(o.answeredWaits);
    if (o.abandonedWaits) this.abandonedWaits?.removeAll(o.abandonedWaits);
  }

  /** A closed bucket gets no more points (except rare late ones): sort and trim its waits. */
  seal(): void {
    this.stateCache = null;
    this.answeredWaits?.trim();
    this.abandonedWaits?.trim();
  }

  /** Forgets the waits and keeps only counting from now on. */
  keepCountsOnly(): void {
    this.countsOnly = true;
    this.stateCache = null;
    this.answeredWaits = null;
    this.abandonedWaits = null;
  }

  get empty(): boolean {
    return this.offered + this.answered + this.abandoned + this.flowout === 0;
  }

  toState(): BucketState {
    if (this.stateCache) return this.stateCache;
    const s: BucketState = {
      offered: this.offered,
      answered: this.answered,
      abandoned: this.abandoned,
      shortAbandoned: this.shortAbandoned,
      flowout: this.flowout,
      overSla: this.overSla,
      answeredWaitMsSum: this.answeredWaitMsSum,
    };
    if (this.answeredWaits && this.answeredWaits.count > 0) s.answeredWaits = this.answeredWaits.toState();
    if (this.abandonedWaits && this.abandonedWaits.count > 0) s.abandonedWaits = this.abandonedWaits.toState();
    this.stateCache = s;
    return s;
  }

  static fromState(s: BucketState): Bucket {
    const b = new Bucket();
    for (const c of COUNTERS) b[c] = s[c];
    b.answeredWaits = waitsFromState(s.answeredWaits);
    b.abandonedWaits = waitsFromState(s.abandonedWaits);
    return b;
  }
}

function waitsFromState(s: WaitsState | string | undefined): Waits | null {
  if (s === undefined) return null;
  return typeof s === "string" ? waitsFromDigest(s) : Waits.fromState(s);
}

/**
 * Reads a t-digest as versions before 0.2 stored it ([magic 0x54][version 2][compression u16]
 * [n u32][min f64][max f64][flags u8], n float32 means, n LEB128 weights), so an upgrade keeps the
 * day's percentiles: single-point centroids are exact waits, heavier ones count at their mean.
 */
export function waitsFromDigest(b64: string): Waits {
  const bytes = Buffer.from(b64, "base64");
  if (bytes.length < 25 || bytes[0] !== 0x54 || bytes[1] !== 2) throw new RangeError("t-digest: bad magic or version");
  const n = bytes.readUInt32LE(4);
  if (25 + n * 5 > bytes.length) throw new RangeError(`t-digest: truncated (${n} centroids)`);
  const min = bytes.readDoubleLE(8);
  const max = bytes.readDoubleLE(16);
  const values: number[] = [];
  const c: number[] = [];
  let p = 25 + n * 4;
  let exact = true;
  for (let i = 0; i < n; i++) {
    let w = 0;
    for (let mul = 1; ; mul *= 128) {
      if (p >= bytes.length) throw new RangeError("t-digest: truncated weights");
      const b = bytes[p++];
      w += (b & 127) * mul;
      if (b < 128) break;
    }
    const mean = Math.min(max, Math.max(min, bytes.readFloatLE(25 + i * 4)));
    if (w !== 1) exact = false;
    values.push(mean);
    c.push(w);
  }
  if (exact) return Waits.fromState({ v: values });
  const out = new Waits();
  for (let i = 0; i < n; i++) for (let j = 0; j < c[i]; j++) out.add(values[i]);
  return out;
}
