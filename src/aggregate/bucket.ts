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

/**
 * A wait-time digest that lives as a TDigest while its bucket is open and as its serialized
 * bytes (~6 B per centroid instead of 16 plus two array headers) once the bucket is sealed:
 * a queue keeps ~120 closed minute digests, which is what keeps it within its memory budget.
 * Reads of a sealed slot materialize a transient digest; a late point re-opens it.
 */
class DigestSlot {
  private live: TDigest | null = null;
  private bytes: Uint8Array | null = null;
  /** Bytes are known to be compacted (set by seal, unknown after a restore). */
  private sealed = false;

  add(x: number): void {
    if (!this.live) {
      this.live = this.bytes ? TDigest.deserialize(this.bytes) : newDigest();
      this.bytes = null;
      this.sealed = false;
    }
    this.live.add(x);
  }

  /** The digest to read; for a sealed slot a fresh copy, so callers may not keep adding to it. */
  read(): TDigest | null {
    return this.live ?? (this.bytes ? TDigest.deserialize(this.bytes) : null);
  }

  seal(): void {
    if (this.live) {
      this.bytes = this.live.compact().serialize();
      this.live = null;
    } else if (this.bytes && !this.sealed) {
      this.bytes = TDigest.deserialize(this.bytes).compact().serialize();
    }
    this.sealed = true;
  }

  toBase64(): string | undefined {
    const bytes = this.live ? this.live.serialize() : this.bytes;
    return bytes ? Buffer.from(bytes).toString("base64") : undefined;
  }

  static of(d: TDigest): DigestSlot {
    const slot = new DigestSlot();
    slot.live = d;
    return slot;
  }

  static fromBase64(b64: string | undefined): DigestSlot | null {
    if (!b64) return null;
    const slot = new DigestSlot();
    slot.bytes = new Uint8Array(Buffer.from(b64, "base64"));
    TDigest.deserialize(slot.bytes); // validate now: a corrupt state file fails at load, not later
    return slot;
  }
}

export class Bucket implements BucketCounts {
  offered = 0;
  answered = 0;
  abandoned = 0;
  shortAbandoned = 0;
  flowout = 0;
  overSla = 0;
  answeredWaitMsSum = 0;
  private answeredSlot: DigestSlot | null = null;
  private abandonedSlot: DigestSlot | null = null;
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
        (this.answeredSlot ??= new DigestSlot()).add(w);
        return;
      }
      case "abandoned": {
        const w = e.waitMs ?? 0;
        this.abandoned++;
        if (w < th.shortAbandonMs) this.shortAbandoned++;
        (this.abandonedSlot ??= new DigestSlot()).add(w);
        return;
      }
      case "flowout":
        this.flowout++;
        return;
    }
  }

  /** Answered waits (ms); a sealed bucket returns a fresh copy. */
  get answeredWaits(): TDigest | null {
    return this.answeredSlot?.read() ?? null;
  }

  /** Abandoned waits (ms); a sealed bucket returns a fresh copy. */
  get abandonedWaits(): TDigest | null {
    return this.abandonedSlot?.read() ?? null;
  }

  /**
   * Sum of several buckets, given with their digests already read (a sealed bucket's digests
   * are bytes; reading them once per query is the caller's job). Digests merge in one pass.
   */
  static merged(parts: { bucket: Bucket; answered: TDigest | null; abandoned: TDigest | null }[]): Bucket {
    const out = new Bucket();
    const answered: TDigest[] = [];
    const abandoned: TDigest[] = [];
    for (const { bucket: p, answered: a, abandoned: b } of parts) {
      out.offered += p.offered;
      out.answered += p.answered;
      out.abandoned += p.abandoned;
      out.shortAbandoned += p.shortAbandoned;
      out.flowout += p.flowout;
      out.overSla += p.overSla;
      out.answeredWaitMsSum += p.answeredWaitMsSum;
      if (a) answered.push(a);
      if (b) abandoned.push(b);
    }
    if (answered.length > 0) out.answeredSlot = DigestSlot.of(newDigest().merge(...answered));
    if (abandoned.length > 0) out.abandonedSlot = DigestSlot.of(newDigest().merge(...abandoned));
    return out;
  }

  /** A closed bucket gets no more points (except rare late ones): drop insert buffers, compact. */
  seal(): void {
    this.answeredSlot?.seal();
    this.abandonedSlot?.seal();
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
    const answered = this.answeredSlot?.toBase64();
    const abandoned = this.abandonedSlot?.toBase64();
    if (answered) s.answeredWaits = answered;
    if (abandoned) s.abandonedWaits = abandoned;
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
    b.answeredSlot = DigestSlot.fromBase64(s.answeredWaits);
    b.abandonedSlot = DigestSlot.fromBase64(s.abandonedWaits);
    return b;
  }
}

function newDigest(): TDigest {
  // A small insert buffer: thousands of buckets are open at once and most see few points a minute.
  return new TDigest({ compression: DIGEST_COMPRESSION, bufferSize: 200 });
}
