import { test } from "node:test";
import assert from "node:assert/strict";
import { TDigest } from "../src/aggregate/tdigest.js";
import { sortFloat64 } from "../src/aggregate/float-sort.js";
import { heavyTailedWaits, mulberry32 } from "../bench/waits.js";

/** Exact quantile by the same "lower nearest rank" convention the errors are measured against. */
function rankOf(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] < v) lo = m + 1;
    else hi = m;
  }
  let hi2 = lo;
  while (hi2 < sorted.length && sorted[hi2] === v) hi2++;
  return (lo + hi2) / 2 / sorted.length; // mid-rank of ties
}

function digestOf(values: ArrayLike<number>, compression = 200): TDigest {
  const d = new TDigest({ compression });
  for (let i = 0; i < values.length; i++) d.add(values[i]);
  return d;
}

/** Asserts the rank error of each estimated quantile stays within `tol` (fraction of n). */
function assertRanks(values: Float64Array, d: TDigest, qs: number[], tol: number): void {
  const sorted = Float64Array.from(values).sort();
  for (const q of qs) {
    const est = d.quantile(q);
    assert.ok(est >= sorted[0] && est <= sorted[sorted.length - 1], `q${q} estimate ${est} outside data range`);
    const lo = rankOf(sorted, est);
    // With ties the estimate may sit anywhere inside the tie block.
    let first = 0;
    while (first < sorted.length && sorted[first] < est) first++;
    let last = first;
    while (last < sorted.length && sorted[last] === est) last++;
    const err = q < first / sorted.length ? first / sorted.length - q : q > last / sorted.length ? q - last / sorted.length : 0;
    assert.ok(err <= tol, `q${q}: rank error ${err} (mid-rank ${lo}) > ${tol}`);
  }
}

test("heavy-tailed waits with zeros and huge outliers: p99 value within 0.3 %, p50 rank within 500 ppm", () => {
  const values = heavyTailedWaits(1_000_000, 7);
  const d = digestOf(values);
  const sorted = Float64Array.from(values).sort();
  const exact99 = sorted[Math.floor(0.99 * (sorted.length - 1))];
  assert.ok(Math.abs(d.quantile(0.99) - exact99) / exact99 <= 0.003, `p99 ${d.quantile(0.99)} vs ${exact99}`);
  assertRanks(values, d, [0.5], 500e-6);
  assertRanks(values, d, [0.01, 0.1, 0.25, 0.75, 0.9, 0.95, 0.999], 0.002);
  assert.equal(d.quantile(0), sorted[0]);
  assert.equal(d.quantile(1), sorted[sorted.length - 1]);
  assert.equal(d.count, values.length);
});

test("all-equal values give that value at every quantile", () => {
  const d = digestOf(new Float64Array(50_000).fill(42));
  for (const q of [0, 0.01, 0.5, 0.99, 1]) assert.equal(d.quantile(q), 42);
});

test("sorted and reverse-sorted input are as accurate as shuffled input", () => {
  const n = 200_000;
  const asc = Float64Array.from({ length: n }, (_, i) => i);
  const desc = Float64Array.from({ length: n }, (_, i) => n - 1 - i);
  for (const values of [asc, desc]) assertRanks(values, digestOf(values), [0.001, 0.01, 0.5, 0.9, 0.99, 0.999], 0.001);
});

test("tiny n: exact min, max and one value", () => {
  const empty = new TDigest();
  assert.ok(Number.isNaN(empty.quantile(0.5)));
  const one = digestOf([5]);
  assert.equal(one.quantile(0), 5);
  assert.equal(one.quantile(0.99), 5);
  const three = digestOf([3, 1, 2]);
  assert.equal(three.quantile(0), 1);
  assert.equal(three.quantile(1), 3);
  assert.equal(three.quantile(0.5), 2);
  const two = digestOf([10, 20]);
  assert.ok(two.quantile(0.5) >= 10 && two.quantile(0.5) <= 20);
});

test("merging digests keeps accuracy and exact extremes", () => {
  const values = heavyTailedWaits(300_000, 3);
  const parts = [0, 1, 2, 3, 4, 5].map((k) => digestOf(values.subarray(k * 50_000, (k + 1) * 50_000)));
  const merged = new TDigest().merge(...parts);
  assert.equal(merged.count, values.length);
  assertRanks(values, merged, [0.5, 0.9, 0.99], 0.002);
  const sorted = Float64Array.from(values).sort();
  assert.equal(merged.min, sorted[0]);
  assert.equal(merged.max, sorted[sorted.length - 1]);
});

test("serialized bytes stay under 2 KB and keep the accuracy targets after a round trip", () => {
  const values = heavyTailedWaits(1_000_000, 11);
  const d = digestOf(values);
  const bytes = d.serialize();
  assert.ok(bytes.length <= 2048, `${bytes.length} bytes`);
  const back = TDigest.deserialize(bytes);
  for (const q of [0, 0.5, 0.9, 0.99, 1]) {
    const a = d.quantile(q);
    assert.ok(Math.abs(back.quantile(q) - a) <= Math.abs(a) * 1e-6, `q${q}: ${back.quantile(q)} vs ${a}`);
  }
  assert.equal(back.count, d.count);
  assert.equal(back.min, d.min, "min is exact");
  assert.equal(back.max, d.max, "max is exact");
  const sorted = Float64Array.from(values).sort();
  const exact99 = sorted[Math.floor(0.99 * (sorted.length - 1))];
  assert.ok(Math.abs(back.quantile(0.99) - exact99) / exact99 <= 0.003);
  assertRanks(values, back, [0.5], 500e-6);
  // Compacting first gives the smaller stored form.
  assert.ok(d.clone().compact().serialize().length < bytes.length);
  // Integer milliseconds survive exactly.
  const ms = digestOf([1, 20_000, 16_000_000]);
  assert.deepEqual([0, 0.5, 1].map((q) => TDigest.deserialize(ms.serialize()).quantile(q)), [1, 20_000, 16_000_000]);
  assert.throws(() => TDigest.deserialize(bytes.subarray(0, 30)), /truncated/);
  assert.throws(() => TDigest.deserialize(new Uint8Array(30)), /magic/);
});

test("non-finite values are refused with a message naming them", () => {
  assert.throws(() => new TDigest().add(NaN), /finite, got NaN/);
  assert.throws(() => new TDigest().quantile(1.5), /0..1/);
});

test("radix float sort agrees with the built-in sort, including negatives and packed values", () => {
  const rnd = mulberry32(5);
  const cases = [
    Float64Array.from({ length: 5000 }, () => (rnd() - 0.5) * 1e6),
    Float64Array.from({ length: 5000 }, () => 1 + rnd() * 1e-9), // all share a high word: fallback path
    Float64Array.from({ length: 5000 }, () => Math.floor(rnd() * 100)),
    Float64Array.from({ length: 5000 }, () => [0, -0.5, 3e300, -3e300, 1e-300][Math.floor(rnd() * 5)]),
  ];
  for (const c of cases) {
    const expected = Float64Array.from(c).sort();
    sortFloat64(c, c.length);
    assert.deepEqual(c, expected);
  }
});
