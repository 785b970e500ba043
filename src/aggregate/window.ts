/**
 * A rolling window: the last `minutes` whole minutes up to and including minute `end`, kept as the
 * running sum of its minute buckets. Moving it one minute adds the minute that enters and takes
 * away the one that leaves, so a read after the minute turns costs a few merges, not sixty.
 */
import { Bucket } from "./bucket.js";
import { EXACT_AGAIN } from "./waits.js";

/** The ring's bucket for a minute, if it is still kept. */
export type MinuteLookup = (minute: number) => Bucket | undefined;

export class RollingWindow {
  sum = new Bucket();
  /** Last minute included; -Infinity until first moved. */
  private end = -Infinity;

  constructor(readonly minutes: number) {}

  covers(minute: number): boolean {
    return minute > this.end - this.minutes && minute <= this.end;
  }

  /** Moves the window to end at minute `to`. */
  moveTo(to: number, minuteAt: MinuteLookup): void {
    if (to === this.end) return;
    if (to < this.end || to - this.end >= this.minutes) {
      this.rebuild(to, minuteAt);
      return;
    }
    for (let m = this.end + 1; m <= to; m++) {
      const entering = minuteAt(m);
      if (entering) this.sum.addBucket(entering);
      const leaving = minuteAt(m - this.minutes);
      if (leaving) this.sum.removeBucket(leaving);
    }
    this.end = to;
    // Waits past the exact limit were binned; once few enough are left, exact values come back.
    const a = this.sum.answeredWaits;
    const b = this.sum.abandonedWaits;
    if ((a && !a.exact && a.count <= EXACT_AGAIN) || (b && !b.exact && b.count <= EXACT_AGAIN)) this.rebuild(to, minuteAt);
    else this.restoreExtremes(minuteAt);
  }

  /** A minute this window holds is being forgotten by the ring. */
  forget(minute: number, b: Bucket, minuteAt: MinuteLookup): void {
    if (!this.covers(minute)) return;
    this.sum.removeBucket(b);
    this.restoreExtremes((m) => (m === minute ? undefined : minuteAt(m)));
  }

  /** A binned sum loses its min and max when minutes leave; its minutes still know them exactly. */
  private restoreExtremes(minuteAt: MinuteLookup): void {
    for (const pick of [(b: Bucket) => b.answeredWaits, (b: Bucket) => b.abandonedWaits]) {
      const sum = pick(this.sum);
      if (!sum?.extremesLost) continue;
      let min = Infinity;
      let max = -Infinity;
      for (let m = this.end - this.minutes + 1; m <= this.end; m++) {
        const w = minuteAt(m) && pick(minuteAt(m)!);
        if (!w || w.count === 0) continue;
        min = Math.min(min, w.min);
        max = Math.max(max, w.max);
      }
      sum.setExtremes(min, max);
    }
  }

  private rebuild(to: number, minuteAt: MinuteLookup): void {
    this.sum = new Bucket();
    for (let m = to - this.minutes + 1; m <= to; m++) {
      const b = minuteAt(m);
      if (b) this.sum.addBucket(b);
    }
    this.end = to;
  }
}
