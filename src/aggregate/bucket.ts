/**
 * A bucket: what happened in one slice of time for one queue and media type. Counters plus two
 * wait-time digests (answered, abandoned). Minute buckets, intervals and "today" are all buckets;
 * rolling windows are buckets merged at query time.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import { TDigest } from "./tdigest.js";

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
  answeredWaits?: string;
  abandonedWaits?: string;
}

export const DIGEST_COMPRESSION = 100;

export class Bucket implements BucketCounts {
  offered = 0;
  answered = 0;
  abandoned = 0;
  shortAbandoned = 0;
  flowout = 0;
  overSla = 0;
  answeredWaitMsSum = 0;
  answeredWaits: TDigest | null = null;
  abandonedWaits: TDigest | null = null;
  /** Serialized form, kept until the bucket changes: closed buckets are checkpointed for free. */
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
        (this.answeredWaits ??= newDigest()).add(w);
        return;
      }
      case "abandoned": {
        const w = e.waitMs ?? 0;
        this.abandoned++;
        if (w < th.shortAbandonMs) this.shortAbandoned++;
        (this.abandonedWaits ??= newDigest()).add(w);
        return;
      }
      case "flowout":
        this.flowout++;
        return;
    }
  }

  /** Sum of several buckets (digests merged in one pass); the parts are left untouched. */
  static merged(parts: Bucket[]): Bucket {
    const out = new Bucket();
    const answered: TDigest[] = [];
    const abandoned: TDigest[] = [];
    for (const p of parts) {
      out.offered += p.offered;
      out.answered += p.answered;
      out.abandoned += p.abandoned;
      out.shortAbandoned += p.shortAbandoned;
      out.flowout += p.flowout;
      out.overSla += p.overSla;
      out.answeredWaitMsSum += p.answeredWaitMsSum;
      if (p.answeredWaits) answered.push(p.answeredWaits);
      if (p.abandonedWaits) abandoned.push(p.abandonedWaits);
    }
    if (answered.length > 0) out.answeredWaits = newDigest().merge(...answered);
    if (abandoned.length > 0) out.abandonedWaits = newDigest().merge(...abandoned);
    return out;
  }

  /** A closed bucket gets no more points (except rare late ones): drop insert buffers, compact. */
  seal(): void {
    this.answeredWaits?.shrink();
    this.abandonedWaits?.shrink();
    this.stateCache = null;
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
    if (this.answeredWaits) s.answeredWaits = Buffer.from(this.answeredWaits.serialize()).toString("base64");
    if (this.abandonedWaits) s.abandonedWaits = Buffer.from(this.abandonedWaits.serialize()).toString("base64");
    this.stateCache = s;
    return s;
  }

  static fromState(s: BucketState): Bucket {
    const b = new Bucket();
    b.offered = s.offered;
    b.answered = s.answered;
    b.abandoned = s.abandoned;
    b.shortAbandoned = s.shortAbandoned;
    b.flowout = s.flowout;
    b.overSla = s.overSla;
    b.answeredWaitMsSum = s.answeredWaitMsSum;
    if (s.answeredWaits) b.answeredWaits = TDigest.deserialize(Buffer.from(s.answeredWaits, "base64"));
    if (s.abandonedWaits) b.abandonedWaits = TDigest.deserialize(Buffer.from(s.abandonedWaits, "base64"));
    return b;
  }
}

function newDigest(): TDigest {
  // A small insert buffer: thousands of buckets are open at once and most see few points a minute.
  return new TDigest({ compression: DIGEST_COMPRESSION, bufferSize: 200 });
}
