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

export class Waits {
  /** Exact mode: sorted prefix `vals[0..sorted)`, then values not yet sorted in. Null when binned. */
  private vals: number[] | null = [];
  private sorted = 0;
  /** Binned mode. */
  private keys: Int32Array | null = null;
  private counts: Uint32Array | null = null;
  private bins = 0;
  private n = 0;
  /** Extremes in binned mode; exact unless a removal took one away (then the bin edges are used). */
  private lo = Infinity;
  private hi = -Infinity;
  private extremesExact = true;

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
    this.addBin(binOf(v), 1);
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Adds every wait of another slice (a minute entering a window). */
  addAll(o: Waits): void {
    if (o.n === 0) return;
    if (this.vals && this.n + o.n > EXACT_MAX) this.toBinned();
    if (this.vals) {
      this.settle();
      o.settle();
      this.vals = mergeSorted(this.vals, o.vals!);
      this.sorted = this.vals.length;
      this.n += o.n;
      return;
    }
    this.n += o.n;
    if (o.vals) {
      o.settle();
      for (const v of o.vals) this.addBin(binOf(v), 1);
      this.widen(o.vals[0], o.vals[o.vals.length - 1]);
    } else {
      for (let i = 0; i < o.bins; i++) this.addBin(o.keys![i], o.counts![i]);
      this.widen(o.lo, o.hi);
      if (!o.extremesExact) this.extremesExact = false;
    }
  }

  /** Removes every wait of a slice that was added before (a minute leaving a window). */
  removeAll(o: Waits): void {
    if (o.n === 0) return;
    if (this.vals && !o.vals) this.toBinned(); // cannot happen while o is part of this; stay consistent
    this.n = Math.max(0, this.n - o.n);
    if (this.vals) {
      this.settle();
      o.settle();
      this.vals = subtractSorted(this.vals, o.vals!);
      this.sorted = this.vals.length;
      this.n = this.vals.length;
      return;
    }
    if (o.vals) {
      o.settle();
      for (const v of o.vals) this.removeBin(binOf(v), 1);
      if (o.vals[0] <= this.lo || o.vals[o.vals.length - 1] >= this.hi) this.extremesExact = false;
    } else {
      for (let i = 0; i < o.bins; i++) this.removeBin(o.keys![i], o.counts![i]);
      if (o.lo <= this.lo || o.hi >= this.hi) this.extremesExact = false;
    }
    if (this.n === 0) this.clear();
  }

  /** Forgets everything, back to exact mode. */
  clear(): void {
    this.vals = [];
    this.sorted = 0;
    this.keys = null;
    this.counts = null;
    this.bins = 0;
    this.n = 0;
    this.lo = Infinity;
    this.hi = -Infinity;
    this.extremesExact = true;
  }

  get min(): number {
    if (this.n === 0) return NaN;
    if (this.vals) return this.settle()[0];
    return this.extremesExact ? this.lo : binRange(this.keys![0])[0];
  }

  get max(): number {
    if (this.n === 0) return NaN;
    if (this.vals) return this.settle()[this.n - 1];
    if (this.extremesExact) return this.hi;
    const [low, width] = binRange(this.keys![this.bins - 1]);
    return width === 1 ? low : low + width;
  }

  /**
   * Waits at the given quantiles (ascending, 0..1), nearest rank: the smallest wait with at least
   * q of all waits at or below it. Exact mode answers an observed wait; binned mode interpolates
   * inside the bin holding that rank. NaN when empty.
   */
  quantiles(qs: readonly number[]): number[] {
    const n = this.n;
    if (n === 0) return qs.map(() => NaN);
    const rank = (q: number) => Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
    if (this.vals) {
      const v = this.settle();
      return qs.map((q) => v[rank(q) - 1]);
    }
    const keys = this.keys!;
    const counts = this.counts!;
    const out: number[] = [];
    let i = 0;
    let before = 0;
    for (const q of qs) {
      const r = rank(q);
      while (i < this.bins - 1 && before + counts[i] < r) before += counts[i++];
      const [low, width] = binRange(keys[i]);
      // 1 ms bins hold one integer wait: answer it rather than a fraction inside.
      let v = width === 1 ? low : low + (width * (r - before - 0.5)) / counts[i];
      if (this.extremesExact) v = Math.min(this.hi, Math.max(this.lo, v));
      out.push(v);
    }
    return out;
  }

  /** True when a removal may have taken away the smallest or largest wait (binned form only). */
  get extremesLost(): boolean {
    return !this.vals && !this.extremesExact;
  }

  /** Sets the extremes of a binned form from its parts (a window knows them from its minutes). */
  setExtremes(min: number, max: number): void {
    if (this.vals || !(min <= max)) return;
    this.lo = min;
    this.hi = max;
    this.extremesExact = true;
  }

  /** Releases spare capacity (a closed minute keeps only what it holds). */
  trim(): void {
    if (this.vals) this.settle();
  }

  toState(): WaitsState {
    if (this.vals) return { v: this.settle().slice() };
    return { k: Array.from(this.keys!.subarray(0, this.bins)), c: Array.from(this.counts!.subarray(0, this.bins)), min: this.min, max: this.max };
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
    w.vals = null;
    w.keys = new Int32Array(Math.max(8, k.length));
    w.counts = new Uint32Array(w.keys.length);
    for (let i = 0; i < k.length; i++) {
      if (!Number.isInteger(k[i]) || k[i] < 0 || (i > 0 && k[i] <= k[i - 1])) throw new RangeError(`waits: bins must ascend, got ${k[i]}`);
      if (!Number.isInteger(c[i]) || c[i] < 1) throw new RangeError(`waits: bad count ${c[i]}`);
      w.keys[i] = k[i];
      w.counts[i] = c[i];
      w.n += c[i];
    }
    w.bins = k.length;
    if (typeof s.min === "number" && typeof s.max === "number") {
      w.lo = s.min;
      w.hi = s.max;
    } else {
      w.extremesExact = false;
    }
    if (w.n === 0) w.clear();
    return w;
  }

  /** Sorts pending values into the sorted prefix (values are added unsorted: adding is O(1)). */
  private settle(): number[] {
    const v = this.vals!;
    if (this.sorted < v.length) {
      const tail = v.splice(this.sorted).sort((a, b) => a - b);
      this.vals = this.sorted === 0 ? tail : mergeSorted(v, tail);
      this.sorted = this.vals.length;
    }
    return this.vals!;
  }

  private toBinned(): void {
    const v = this.settle();
    this.vals = null;
    this.keys = new Int32Array(256);
    this.counts = new Uint32Array(256);
    this.bins = 0;
    this.lo = v.length > 0 ? v[0] : Infinity;
    this.hi = v.length > 0 ? v[v.length - 1] : -Infinity;
    this.extremesExact = true;
    for (const x of v) this.addBin(binOf(x), 1); // ascending: always appends or bumps the last bin
  }

  private widen(lo: number, hi: number): void {
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }

  private addBin(k: number, c: number): void {
    const keys = this.keys!;
    const i = this.bins > 0 && keys[this.bins - 1] < k ? this.bins : lowerBound(keys, this.bins, k);
    if (i < this.bins && keys[i] === k) {
      this.counts![i] += c;
      return;
    }
    if (this.bins === keys.length) {
      const nk = new Int32Array(keys.length * 2);
      const nc = new Uint32Array(keys.length * 2);
      nk.set(keys);
      nc.set(this.counts!);
      this.keys = nk;
      this.counts = nc;
    }
    this.keys!.copyWithin(i + 1, i, this.bins);
    this.counts!.copyWithin(i + 1, i, this.bins);
    this.keys![i] = k;
    this.counts![i] = c;
    this.bins++;
  }

  private removeBin(k: number, c: number): void {
    const i = lowerBound(this.keys!, this.bins, k);
    if (i >= this.bins || this.keys![i] !== k) return; // never added: nothing to take away
    if (this.counts![i] > c) {
      this.counts![i] -= c;
      return;
    }
    this.keys!.copyWithin(i, i + 1, this.bins);
    this.counts!.copyWithin(i, i + 1, this.bins);
    this.bins--;
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

/** Merges two ascending arrays into a new one. */
function mergeSorted(a: number[], b: number[]): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/** `a` minus the multiset `b` (both ascending); values of `b` missing from `a` are ignored. */
function subtractSorted(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j] < a[i]) j++;
    if (j < b.length && b[j] === a[i]) j++;
    else out.push(a[i]);
  }
  return out;
}
