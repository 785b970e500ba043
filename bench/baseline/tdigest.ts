/**
 * Kept for comparison only (bench/percentiles.bench.ts): the sketch the engine served percentiles
 * from before 0.2, replaced because a rolling window must forget minutes and a digest cannot.
 *
 * Merging t-digest (Dunning & Ertl; reference: tdunning/t-digest MergingDigest.java).
 *
 * Written by hand because npm has no maintained merging t-digest: `tdigest` is the older
 * clustering variant (a red-black tree, ~3x slower, no merge, no serialization).
 *
 * Invariants this file keeps:
 *  1. Centroids `mean[0..n)` are sorted ascending by mean; `weight[i] >= 1`; their weights sum to
 *     `centroidWeight`; `totalWeight = centroidWeight + pending` (unmerged buffered points).
 *  2. Scale function k2: k(q) = norm * ln(q / (1 - q)), norm = c / (4 ln(W / c) + 24). A merge pass
 *     closes a centroid as soon as absorbing the next one would grow k by more than 1, so the
 *     tails hold small (exact-ish) centroids and the middle large ones. This bounds the number of
 *     centroids by about c.
 *  3. Two compressions: points are merged at the working compression (2 x the stored one, the
 *     reference's accuracy trick); `compact()` (called before storage) re-merges at the stored one.
 *  4. Every merge pass alternates its direction (ascending, then descending), which removes the
 *     left-to-right bias a one-directional greedy pass leaves in the centroid sizes.
 *  5. The first and last centroid of each pass are never merged with their neighbour, and exact
 *     `min` / `max` are kept, so quantile(0) and quantile(1) are exact and the tails interpolate
 *     towards the true extremes.
 *  6. Buffered points have weight 1 and live in a Float64Array; `add` only appends (the hot path),
 *     sorting and merging happen once per full buffer.
 */

import { sortFloat64 } from "./float-sort.js";

const MAGIC = 0x54; // 'T'
const VERSION = 2;
const HEADER = 25;
const Q_EPS = 1e-15;

export interface TDigestOptions {
  /** Stored compression (centroids kept when compacted are about half of it). Default 200. */
  compression?: number;
  /** Points buffered before a merge pass. Default 10 x working compression. */
  bufferSize?: number;
}

export class TDigest {
  /** Stored compression; merges run at twice this. */
  readonly compression: number;
  private readonly working: number;

  private mean: Float64Array;
  private weight: Float64Array;
  private n = 0;
  private centroidWeight = 0;

  private buf: Float64Array;
  private bufN = 0;
  private readonly bufferSize: number;

  private minV = Infinity;
  private maxV = -Infinity;
  private mergeCount = 0;

  constructor(options: TDigestOptions = {}) {
    const c = options.compression ?? 200;
    if (!(c >= 10 && c <= 10_000)) throw new RangeError(`t-digest compression must be 10..10000, got ${c}`);
    this.compression = c;
    this.working = 2 * c;
    this.mean = new Float64Array(0);
    this.weight = new Float64Array(0);
    this.bufferSize = options.bufferSize ?? this.working * 10;
    // The insert buffer is allocated on first add: closed buckets and restored digests need none.
    this.buf = NO_BUFFER;
  }

  /** Number of points added (sum of weights). */
  get count(): number {
    return this.centroidWeight + this.bufN;
  }

  get min(): number {
    this.flush();
    return this.n === 0 ? NaN : this.minV;
  }

  get max(): number {
    this.flush();
    return this.n === 0 ? NaN : this.maxV;
  }

  /** Adds one value. Non-finite values are refused: a NaN would poison every quantile. */
  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`t-digest: value must be finite, got ${x}`);
    if (this.bufN === this.buf.length) {
      this.flush();
      if (this.buf.length === 0) this.buf = new Float64Array(this.bufferSize);
    }
    this.buf[this.bufN++] = x;
  }

  /**
   * Merges other digests into this one (their centroids are re-merged, as the reference does).
   * Each digest's centroids are already sorted, so they are combined by merging sorted runs
   * (O(n log k)) rather than sorting everything again.
   */
  merge(...others: TDigest[]): this {
    this.flush();
    const runs: [Float64Array, Float64Array][] = [];
    if (this.n > 0) runs.push([this.mean, this.weight]);
    for (const o of others) {
      o.flush();
      if (o.n === 0) continue;
      runs.push([o.mean.subarray(0, o.n), o.weight.subarray(0, o.n)]);
      this.centroidWeight += o.centroidWeight;
      if (o.minV < this.minV) this.minV = o.minV;
      if (o.maxV > this.maxV) this.maxV = o.maxV;
    }
    if (runs.length === 0 || (runs.length === 1 && this.n > 0)) return this;
    // Fresh arrays: the merge pass compacts them in place, and they must not be anyone's centroids.
    const [sm, sw] = mergeSortedRuns(runs);
    this.n = 0;
    this.mergePass(sm, sw, sm.length, this.working);
    return this;
  }

  /** Re-merges at the stored compression: fewer centroids, for storage and long-lived buckets. */
  compact(): this {
    this.flush();
    if (this.n > 1) {
      const m = this.mean.slice(0, this.n);
      const w = this.weight.slice(0, this.n);
      const n = this.n;
      this.n = 0;
      this.mergePass(m, w, n, this.compression);
    }
    return this;
  }

  /** Value at quantile q (0..1); NaN when empty. Interpolates as MergingDigest.quantile does. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
    this.flush();
    const n = this.n;
    if (n === 0) return NaN;
    const mean = this.mean;
    const weight = this.weight;
    if (n === 1) return mean[0];
    const total = this.centroidWeight;
    const index = q * total;
    if (index < 1) return this.minV;
    if (weight[0] > 1 && index < weight[0] / 2) {
      return this.minV + ((index - 1) / (weight[0] / 2 - 1)) * (mean[0] - this.minV);
    }
    if (index > total - 1) return this.maxV;
    if (weight[n - 1] > 1 && total - index <= weight[n - 1] / 2) {
      return this.maxV - ((total - index - 1) / (weight[n - 1] / 2 - 1)) * (this.maxV - mean[n - 1]);
    }
    let soFar = weight[0] / 2;
    for (let i = 0; i < n - 1; i++) {
      const dw = (weight[i] + weight[i + 1]) / 2;
      if (soFar + dw > index) {
        let leftUnit = 0;
        if (weight[i] === 1) {
          if (index - soFar < 0.5) return mean[i];
          leftUnit = 0.5;
        }
        let rightUnit = 0;
        if (weight[i + 1] === 1) {
          if (soFar + dw - index <= 0.5) return mean[i + 1];
          rightUnit = 0.5;
        }
        const z1 = index - soFar - leftUnit;
        const z2 = soFar + dw - index - rightUnit;
        return weightedAverage(mean[i], z2, mean[i + 1], z1);
      }
      soFar += dw;
    }
    const z1 = index - total - weight[n - 1] / 2;
    const z2 = weight[n - 1] / 2 - z1;
    return weightedAverage(mean[n - 1], z1, this.maxV, z2);
  }

  /**
   * Compact binary form of the centroids as they are (call `compact()` first for the smaller,
   * coarser stored form): [magic u8][version u8][compression u16][n u32][min f64][max f64]
   * [flags u8: bit 0 = next merge pass runs descending], then n means as float32 and n weights
   * as unsigned LEB128 varints: about 25 + 6n bytes. The direction bit makes a restored digest
   * evolve exactly as the original would.
   * float32 keeps integer milliseconds below 2^24 (4.6 h) exact and others to 6e-8 relative,
   * far inside the digest's own error; min and max stay exact (f64).
   */
  serialize(): Uint8Array {
    this.flush();
    const n = this.n;
    const out = new Uint8Array(HEADER + n * 4 + n * 8);
    const view = new DataView(out.buffer);
    view.setUint8(0, MAGIC);
    view.setUint8(1, VERSION);
    view.setUint16(2, this.compression, true);
    view.setUint32(4, n, true);
    view.setFloat64(8, n === 0 ? 0 : this.minV, true);
    view.setFloat64(16, n === 0 ? 0 : this.maxV, true);
    view.setUint8(24, this.mergeCount & 1);
    let p = HEADER;
    for (let i = 0; i < n; i++, p += 4) view.setFloat32(p, this.mean[i], true);
    for (let i = 0; i < n; i++) {
      // Weights are whole numbers (sums of unit points) below 2^53.
      let w = this.weight[i];
      while (w >= 128) {
        out[p++] = (w % 128) | 128;
        w = Math.floor(w / 128);
      }
      out[p++] = w;
    }
    return out.slice(0, p);
  }

  /** Inverse of `serialize`; throws a RangeError naming what is wrong on corrupt input. */
  static deserialize(bytes: Uint8Array): TDigest {
    if (bytes.length < HEADER) throw new RangeError(`t-digest: ${bytes.length} bytes is too short`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint8(0) !== MAGIC || view.getUint8(1) !== VERSION) {
      throw new RangeError("t-digest: bad magic or version");
    }
    const d = new TDigest({ compression: view.getUint16(2, true) });
    const n = view.getUint32(4, true);
    if (HEADER + n * 5 > bytes.length) throw new RangeError(`t-digest: truncated (${n} centroids)`);
    d.mean = new Float64Array(n);
    d.weight = new Float64Array(n);
    d.mergeCount = view.getUint8(24) & 1;
    let p = HEADER;
    for (let i = 0; i < n; i++, p += 4) d.mean[i] = view.getFloat32(p, true);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let w = 0;
      let mul = 1;
      for (;;) {
        if (p >= bytes.length) throw new RangeError("t-digest: truncated weights");
        const b = bytes[p++];
        w += (b & 127) * mul;
        if (b < 128) break;
        mul *= 128;
      }
      d.weight[i] = w;
      total += w;
    }
    d.n = n;
    d.centroidWeight = total;
    if (n > 0) {
      d.minV = view.getFloat64(8, true);
      d.maxV = view.getFloat64(16, true);
      // float32 rounding must not push the end centroids past the exact extremes.
      d.mean[0] = Math.max(d.mean[0], d.minV);
      d.mean[n - 1] = Math.min(d.mean[n - 1], d.maxV);
    }
    return d;
  }

  /** A deep copy. */
  clone(): TDigest {
    this.flush();
    const d = new TDigest({ compression: this.compression });
    d.mean = this.mean.slice(0, this.n);
    d.weight = this.weight.slice(0, this.n);
    d.n = this.n;
    d.centroidWeight = this.centroidWeight;
    d.minV = this.minV;
    d.maxV = this.maxV;
    d.mergeCount = this.mergeCount;
    return d;
  }

  /** Sorts the buffer and merges it with the centroids in one pass. */
  private flush(): void {
    const m = this.bufN;
    if (m === 0) return;
    const b = this.buf;
    sortFloat64(b, m);
    if (b[0] < this.minV) this.minV = b[0];
    if (b[m - 1] > this.maxV) this.maxV = b[m - 1];
    // Two-way merge of sorted centroids and sorted points.
    const n = this.n;
    const total = n + m;
    const sm = new Float64Array(total);
    const sw = new Float64Array(total);
    let i = 0;
    let j = 0;
    let k = 0;
    const { mean, weight } = this;
    while (i < n && j < m) {
      if (mean[i] <= b[j]) {
        sm[k] = mean[i];
        sw[k++] = weight[i++];
      } else {
        sm[k] = b[j++];
        sw[k++] = 1;
      }
    }
    while (i < n) {
      sm[k] = mean[i];
      sw[k++] = weight[i++];
    }
    while (j < m) {
      sm[k] = b[j++];
      sw[k++] = 1;
    }
    this.centroidWeight += m;
    this.bufN = 0;
    this.n = 0;
    this.mergePass(sm, sw, total, this.working);
  }

  /**
   * One greedy pass over sorted (sm, sw), compacting them in place (the write index never passes
   * the read index), then keeping an exact-size copy as the centroids. Alternates direction each
   * call (invariant 4); keeps the end centroids unmerged (invariant 5).
   */
  private mergePass(sm: Float64Array, sw: Float64Array, count: number, compression: number): void {
    const reverse = (this.mergeCount++ & 1) === 1;
    if (reverse) {
      sm.subarray(0, count).reverse();
      sw.subarray(0, count).reverse();
    }
    const total = this.centroidWeight;
    const norm = compression / (4 * Math.log(Math.max(total / compression, 1.0000001)) + 24);
    let last = 0;
    let wSoFar = 0;
    let wLimit = total * qOfK(kOfQ(0, norm) + 1, norm);
    for (let i = 1; i < count; i++) {
      const proposed = sw[last] + sw[i];
      if (wSoFar + proposed <= wLimit && i !== 1 && i !== count - 1) {
        sm[last] += ((sm[i] - sm[last]) * sw[i]) / proposed;
        sw[last] = proposed;
      } else {
        wSoFar += sw[last];
        wLimit = total * qOfK(kOfQ(wSoFar / total, norm) + 1, norm);
        last++;
        sm[last] = sm[i];
        sw[last] = sw[i];
      }
    }
    const n = last + 1;
    if (reverse) {
      sm.subarray(0, n).reverse();
      sw.subarray(0, n).reverse();
    }
    this.mean = sm.slice(0, n);
    this.weight = sw.slice(0, n);
    this.n = n;
  }
}

/** k2 scale function. */
function kOfQ(q: number, norm: number): number {
  const qq = q < Q_EPS ? Q_EPS : q > 1 - Q_EPS ? 1 - Q_EPS : q;
  return norm * Math.log(qq / (1 - qq));
}

/** Inverse of k2. */
function qOfK(k: number, norm: number): number {
  const e = Math.exp(k / norm);
  return e / (1 + e);
}

function weightedAverage(x1: number, w1: number, x2: number, w2: number): number {
  const lo = Math.min(x1, x2);
  const hi = Math.max(x1, x2);
  const v = (x1 * w1 + x2 * w2) / (w1 + w2);
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Merges runs of (mean, weight), each sorted by mean, into one sorted pair of fresh arrays:
 * bottom-up pairwise merging between two ping-pong buffers (log2(k) passes, four allocations).
 */
function mergeSortedRuns(runs: [Float64Array, Float64Array][]): [Float64Array, Float64Array] {
  let total = 0;
  for (const [m] of runs) total += m.length;
  let srcM = new Float64Array(total);
  let srcW = new Float64Array(total);
  let bounds = [0];
  for (const [m, w] of runs) {
    const at = bounds[bounds.length - 1];
    srcM.set(m, at);
    srcW.set(w, at);
    bounds.push(at + m.length);
  }
  if (runs.length === 1) return [srcM, srcW];
  let dstM = new Float64Array(total);
  let dstW = new Float64Array(total);
  while (bounds.length > 2) {
    const next = [0];
    for (let r = 0; r + 1 < bounds.length; r += 2) {
      const lo = bounds[r];
      const mid = bounds[r + 1];
      const hi = r + 2 < bounds.length ? bounds[r + 2] : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (srcM[i] <= srcM[j]) {
          dstM[k] = srcM[i];
          dstW[k++] = srcW[i++];
        } else {
          dstM[k] = srcM[j];
          dstW[k++] = srcW[j++];
        }
      }
      while (i < mid) {
        dstM[k] = srcM[i];
        dstW[k++] = srcW[i++];
      }
      while (j < hi) {
        dstM[k] = srcM[j];
        dstW[k++] = srcW[j++];
      }
      next.push(hi);
    }
    [srcM, dstM] = [dstM, srcM];
    [srcW, dstW] = [dstW, srcW];
    bounds = next;
  }
  return [srcM, srcW];
}

/** Shared by every digest without an insert buffer (closed buckets, restored digests). */
const NO_BUFFER = new Float64Array(0);
