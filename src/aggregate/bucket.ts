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

export interface BucketCounts {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  flowout: number;
  overSla: number;
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

  add(e: QueueEvent, th: Thresholds): void {
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

  /** Adds another bucket's counts and digests into this one (digests are merged, not shared). */
  absorb(o: Bucket): void {
    this.offered += o.offered;
    this.answered += o.answered;
    this.abandoned += o.abandoned;
    this.shortAbandoned += o.shortAbandoned;
    this.flowout += o.flowout;
    this.overSla += o.overSla;
    this.answeredWaitMsSum += o.answeredWaitMsSum;
    if (o.answeredWaits) (this.answeredWaits ??= newDigest()).merge(o.answeredWaits);
    if (o.abandonedWaits) (this.abandonedWaits ??= newDigest()).merge(o.abandonedWaits);
  }

  /** A closed bucket gets no more points (except rare late ones): drop insert buffers, compact. */
  seal(): void {
    this.answeredWaits?.shrink();
    this.abandonedWaits?.shrink();
  }

  get empty(): boolean {
    return this.offered + this.answered + this.abandoned + this.flowout === 0;
  }

  toState(): BucketState {
    const s: BucketState = {
      offered: this.offered,
      answered: this.answered,
      abandoned: this.abandoned,
      shortAbandoned: this.shortAbandoned,
      flowout: this.flowout,
      overSla: this.overSla,
      answeredWaitMsSum: this.answeredWaitMsSum,
    };
    if (this.answeredWaits) s.answeredWaits = Buffer.from(this.answeredWaits.compact().serialize()).toString("base64");
    if (this.abandonedWaits) s.abandonedWaits = Buffer.from(this.abandonedWaits.compact().serialize()).toString("base64");
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
  return new TDigest({ compression: DIGEST_COMPRESSION, bufferSize: 500 });
}
