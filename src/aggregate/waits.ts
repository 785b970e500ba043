/**
 * The waits (ms) of one slice of time: a minute, a rolling window, an interval, a day.
 *
 * Exact while small: up to EXACT_MAX values are kept themselves, so every percentile is an
 * observed wait (nearest rank) — small windows are where supervisors look. Past that the values
 * are counted in a log-linear histogram (HdrHistogram's layout: 1 ms bins below 1,024 ms, then
 * 1,024 bins per power of two, so no bin is wider than 0.1 % of its values) and read with linear
 * interpolation inside the bin. Both forms can remove what they added, which is what lets a
 * rolling window drop the minute that leaves it instead of re-merging sixty minutes at every read
 * (a t-digest cannot forget; this is why the merging t-digest was retired, see docs/metrics.md).
 *
 * Written by hand: hdr-histogram-js keeps a dense counts array per histogram (tens of KB each, and
 * a monitor holds hundreds of thousands of these slices) and is never exact for small counts.
 */

/** Largest number of waits kept exactly. */
export const EXACT_MAX = 2048;
/**
 * A binned rolling window that shrinks to this many waits goes back to exact values (rebuilt from
 * its minutes). No gap below EXACT_MAX: a few hundred binned waits would be a rank point off.
 */
export const EXACT_AGAIN = EXACT_MAX;

const SUB_BITS = 10;
const SUB = 1 << SUB_BITS;

/** Histogram bin of a wait (ms, >= 0). */
export function binOf(v: number): number {
  if (v < SUB) return Math.floor(v);
  let shift = (v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))) - SUB_BITS;
  let m = Math.floor(v / 2 ** shift);
  // log2 of huge values may round across a power of two: put the mantissa back in [SUB, 2 SUB).
  while (m >= 2 * SUB) m = Math.floor(v / 2 ** ++shift);
  while (m < SUB && shift > 0) m = Math.floor(v / 2 ** --shift);
  return shift * SUB + m;
}

/** Lower edge and width of a bin. */
export function binRange(k: number): [number, number] {
  if (k < 2 * SUB) return [k, 1];
  const shift = Math.floor(k / SUB) - 1;
  const scale = 2 ** shift;
  return [(k - shift * SUB) * scale, scale];
}

export interface WaitsState {
  /** Exact mode: the waits, sorted. */
  v?: number[];
  /** Binned mode: bins ascending, their counts, and the extremes seen. */
  k?: number[];
  c?: number[];
  min?: number;
  max?: number;
}

/** The binned form: bins ascending with their counts, and the extremes seen. */
class Bins {
  keys = new Int32Array(64);
  counts = new Uint32Array(64);
  len = 0;
  lo = Infinity;
  hi = -Infinity;
  /** False once a removal may have taken away the smallest or largest wait. */
  extremesExact = true;

  add(k: number, c: number): void {
    const keys = this.keys;
    const i = this.len > 0 && keys[this.len - 1] < k ? this.len : lowerBound(keys, this.len, k);
    if (i < this.len && keys[i] === k) {
      this.counts[i] += c;
      return;
    }
    if (this.len === keys.length) {
      const nk = new Int32Array(keys.length * 2);
      const nc = new Uint32Array(keys.length * 2);
      nk.set(keys);
      nc.set(this.counts);
      this.keys = nk;
      this.counts = nc;
    }
    this.keys.copyWithin(i + 1, i, this.len);
    this.counts.copyWithin(i + 1, i, this.len);
    this.keys[i] = k;
    this.counts[i] = c;
    this.len++;
  }

  remove(k: number, c: number): void {
    const i = lowerBound(this.keys, this.len, k);
    if (i >= this.len || this.keys[i] !== k) return; // never added: nothing to take away
    if (this.counts[i] > c) {
      this.counts[i] -= c;
      return;
    }
    this.keys.copyWithin(i, i + 1, this.len);
    this.counts.copyWithin(i, i + 1, this.len);
    this.len--;
  }

  widen(lo: number, hi: number): void {
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }
}

/** Waits of one slice: exact values (sorted prefix, then an unsorted tail) or bins. */
export class Waits {
  /** Exact form: sorted `vals[0..sorted)`, then values not yet sorted in; null when binned. */
  private vals: number[] | null = [];
  private sorted = 0;
  private bins: Bins | null = null;
  private n = 0;

  get count(): number {
    return this.n;
  }

  get exact(): boolean {
    return this.vals !== null;
  }

  /** Adds one wait. Negative waits count as 0; a non-finite one is refused (it would poison every figure). */
  add(v: number): void {
    if (!Number.isFinite(v)) throw new RangeError(`wait must be finite, got ${v}`);
    if (v < 0) v = 0;
    this.n++;
    if (this.vals) {
      this.vals.push(v);
      if (this.n > EXACT_MAX) this.toBinned();
      return;
    }
    this.bins!.add(binOf(v), 1);
    this.bins!.widen(v, v);
  }

  /** Adds every wait of another slice (a minute entering a window). */
  addAll(o: Waits): void {
    if (o.n === 0) return;
    if (this.vals && this.n + o.n > EXACT_MAX) this.toBinned();
    this.n += o.n;
    if (this.vals) {
      const a = this.settle();
      const ov = o.settle();
      const had = a.length;
      for (const v of ov) a.push(v);
      mergeBack(a, had, ov);
      this.sorted = a.length;
      return;
    }
    const bins = this.bins!;
    if (o.vals) {
      const ov = o.settle();
      for (const v of ov) bins.add(binOf(v), 1);
      bins.widen(ov[0], ov[ov.length - 1]);
    } else {
      const ob = o.bins!;
      for (let i = 0; i < ob.len; i++) bins.add(ob.keys[i], ob.counts[i]);
      bins.widen(ob.lo, ob.hi);
      if (!ob.extremesExact) bins.extremesExact = false;
    }
  }

  /** Removes every wait of a slice that was added before (a minute leaving a window). */
  removeAll(o: Waits): void {
    if (o.n === 0) return;
    if (this.vals && !o.vals) this.toBinned(); // cannot happen while o is part of this; stay consistent
    if (this.vals) {
      const a = this.settle();
      subtractSorted(a, o.settle());
      this.sorted = a.length;
      this.n = a.length;
      return;
    }
    this.n = Math.max(0, this.n - o.n);
    const bins = this.bins!;
    if (o.vals) {
      const ov = o.settle();
      for (const v of ov) bins.remove(binOf(v), 1);
      if (ov[0] <= bins.lo || ov[ov.length - 1] >= bins.hi) bins.extremesExact = false;
    } else {
      const ob = o.bins!;
      for (let i = 0; i < ob.len; i++) bins.remove(ob.keys[i], ob.counts[i]);
      if (ob.lo <= bins.lo || ob.hi >= bins.hi) bins.extremesExact = false;
    }
    if (this.n === 0) this.clear();
  }

  /** Forgets everything, back to the exact form. */
  clear(): void {
    this.vals = [];
    this.sorted = 0;
    this.bins = null;
    this.n = 0;
  }

  get min(): number {
    if (this.n === 0) return NaN;
    if (this.vals) return this.settle()[0];
    const b = this.bins!;
    return b.extremesExact ? b.lo : binRange(b.keys[0])[0];
  }

  get max(): number {
    if (this.n === 0) return NaN;
    if (this.vals) return this.settle()[this.n - 1];
    const b = this.bins!;
    if (b.extremesExact) return b.hi;
    const [low, width] = binRange(b.keys[b.len - 1]);
    return width === 1 ? low : low + width;
  }

  /**
   * Waits at the given quantiles (ascending, 0..1), nearest rank: the smallest wait with at least
   * q of all waits at or below it. The exact form answers an observed wait; the binned form
   * interpolates inside the bin holding that rank. NaN when empty.
   */
  quantiles(qs: readonly number[]): number[] {
    const n = this.n;
    if (n === 0) return qs.map(() => NaN);
    const rank = (q: number) => Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
    if (this.vals) {
      const v = this.settle();
      return qs.map((q) => v[rank(q) - 1]);
    }
    const { keys, counts, len, lo, hi, extremesExact } = this.bins!;
    const out: number[] = [];
    let i = 0;
    let before = 0;
    for (const q of qs) {
      const r = rank(q);
      while (i < len - 1 && before + counts[i] < r) before += counts[i++];
      const [low, width] = binRange(keys[i]);
      // 1 ms bins hold one integer wait: answer it rather than a fraction inside.
      let v = width === 1 ? low : low + (width * (r - before - 0.5)) / counts[i];
      if (extremesExact) v = Math.min(hi, Math.max(lo, v));
      out.push(v);
    }
    return out;
  }

  /** True when a removal may have taken away the smallest or largest wait (binned form only). */
  get extremesLost(): boolean {
    return this.bins !== null && !this.bins.extremesExact;
  }

  /** Sets the extremes of a binned form from its parts (a window knows them from its minutes). */
  setExtremes(min: number, max: number): void {
    if (!this.bins || !(min <= max)) return;
    this.bins.lo = min;
    this.bins.hi = max;
    this.bins.extremesExact = true;
  }

  /** A closed slice: sorted, and no spare capacity (thousands of closed minutes are kept). */
  trim(): void {
    if (this.vals) this.vals = this.settle().slice();
  }

  toState(): WaitsState {
    if (this.vals) return { v: this.settle().slice() };
    const b = this.bins!;
    return { k: Array.from(b.keys.subarray(0, b.len)), c: Array.from(b.counts.subarray(0, b.len)), min: this.min, max: this.max };
  }

  /** Throws a RangeError naming what is wrong with a corrupt state. */
  static fromState(s: WaitsState): Waits {
    const w = new Waits();
    if (s.v) {
      for (const v of s.v) if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`waits: bad value ${String(v)}`);
      w.vals = s.v.slice().sort((a, b) => a - b);
      w.sorted = w.vals.length;
      w.n = w.vals.length;
      if (w.n > EXACT_MAX) w.toBinned();
      return w;
    }
    const k = s.k ?? [];
    const c = s.c ?? [];
    if (k.length !== c.length) throw new RangeError("waits: bins and counts differ in length");
    const b = new Bins();
    for (let i = 0; i < k.length; i++) {
      if (!Number.isInteger(k[i]) || k[i] < 0 || (i > 0 && k[i] <= k[i - 1])) throw new RangeError(`waits: bins must ascend, got ${k[i]}`);
      if (!Number.isInteger(c[i]) || c[i] < 1) throw new RangeError(`waits: bad count ${c[i]}`);
      b.add(k[i], c[i]);
      w.n += c[i];
    }
    if (typeof s.min === "number" && typeof s.max === "number") b.widen(s.min, s.max);
    else b.extremesExact = false;
    if (w.n > 0) {
      w.vals = null;
      w.bins = b;
    }
    return w;
  }

  /**
   * Sorts pending values into the sorted prefix (values are added unsorted: adding is O(1)), in
   * place: windows are read every second, and a fresh array per read would churn the old space.
   */
  private settle(): number[] {
    const v = this.vals!;
    if (this.sorted < v.length) {
      const tail = v.slice(this.sorted).sort((a, b) => a - b);
      mergeBack(v, this.sorted, tail);
      this.sorted = v.length;
    }
    return v;
  }

  private toBinned(): void {
    const v = this.settle();
    const b = new Bins();
    for (const x of v) b.add(binOf(x), 1); // ascending: always appends or bumps the last bin
    if (v.length > 0) b.widen(v[0], v[v.length - 1]);
    this.vals = null;
    this.bins = b;
  }
}

function lowerBound(a: Int32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < k) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * Merges ascending `b` into `a`, whose first `had` values are ascending and whose length is
 * `had + b.length`: from the back, so nothing is overwritten before it is read.
 */
function mergeBack(a: number[], had: number, b: number[]): void {
  let i = had - 1;
  let j = b.length - 1;
  let k = a.length - 1;
  while (j >= 0) a[k--] = i >= 0 && a[i] > b[j] ? a[i--] : b[j--];
}

/** Removes the multiset `b` from `a` (both ascending), in place; values of `b` missing from `a` are ignored. */
function subtractSorted(a: number[], b: number[]): void {
  let j = 0;
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j] < a[i]) j++;
    if (j < b.length && b[j] === a[i]) j++;
    else a[w++] = a[i];
  }
  a.length = w;
}
