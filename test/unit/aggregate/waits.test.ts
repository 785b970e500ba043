import { test } from "node:test";
import assert from "node:assert/strict";
import { Bucket, waitsFromDigest } from "../../../src/aggregate/bucket.js";
import { binOf, binRange, EXACT_MAX, Waits } from "../../../src/aggregate/waits.js";
import { heavyTailedWaits, mulberry32 } from "../../../bench/waits.js";

const QS = [0.5, 0.9, 0.95, 0.99];

/** Nearest rank: the smallest value with at least q of all values at or below it. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length - 1e-9))) - 1];
}

/** Distance (fraction of n) from q to the rank interval of v in the sorted values. */
function rankError(sorted: number[], q: number, v: number): number {
  let below = 0;
  let atOrBelow = 0;
  for (const x of sorted) {
    if (x < v) below++;
    if (x <= v) atOrBelow++;
  }
  const a = below / sorted.length;
  const b = atOrBelow / sorted.length;
  return q < a ? a - q : q > b ? q - b : 0;
}

function msWaits(n: number, seed: number): number[] {
  return Array.from(heavyTailedWaits(n, seed), (s) => Math.round(s * 1000));
}

test("bins: every wait falls inside its bin, and no bin is wider than 1 ms or 0.1 % of its values", () => {
  const rnd = mulberry32(3);
  const values = [0, 1, 1023, 1024, 1025, 2047, 2048, 4095, 4096, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 12345, 0.5, 1023.9];
  for (let i = 0; i < 20_000; i++) values.push(Math.floor(Math.exp(rnd() * 30)));
  let previous = -1;
  for (const v of values.sort((a, b) => a - b)) {
    const k = binOf(v);
    const [low, width] = binRange(k);
    assert.ok(v >= low && v < low + width, `${v} outside bin ${k} [${low}, ${low + width})`);
    assert.ok(width === 1 || width <= low / 1024, `bin ${k} at ${low} is ${width} wide`);
    assert.ok(k >= previous, "bins ascend with the waits");
    previous = k;
  }
});

test("exact up to the limit: every percentile is the nearest-rank wait, max included", () => {
  const rnd = mulberry32(7);
  for (const n of [1, 2, 3, 10, 99, 100, 101, 500, EXACT_MAX]) {
    const w = new Waits();
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = Math.floor(rnd() * 600_000);
      values.push(v);
      w.add(v);
    }
    const sorted = values.slice().sort((a, b) => a - b);
    assert.ok(w.exact, `n=${n} stays exact`);
    assert.deepEqual(w.quantiles(QS), QS.map((q) => exact(sorted, q)), `n=${n}`);
    assert.equal(w.max, sorted[n - 1]);
    assert.equal(w.min, sorted[0]);
  }
});

test("past the limit: p50-p99 within 0.1 rank points and p99 within 0.5 % on heavy tails (100 to 100,000 waits)", () => {
  for (const [n, seed] of [[EXACT_MAX + 1, 1], [10_000, 2], [100_000, 3]] as const) {
    const values = msWaits(n, seed);
    const w = new Waits();
    for (const v of values) w.add(v);
    assert.equal(w.exact, false);
    const sorted = values.slice().sort((a, b) => a - b);
    const est = w.quantiles(QS);
    QS.forEach((q, i) => assert.ok(rankError(sorted, q, est[i]) <= 0.001, `n=${n} p${q * 100}: ${est[i]} vs ${exact(sorted, q)}`));
    const p99 = exact(sorted, 0.99);
    assert.ok(Math.abs(est[3] - p99) / p99 <= 0.005, `n=${n} p99 ${est[3]} vs ${p99}`);
    assert.equal(w.max, sorted[n - 1]);
    assert.equal(w.count, n);
  }
});

test("removing what was added leaves exactly the rest, in both forms", () => {
  const values = msWaits(6000, 11);
  const minutes: Waits[] = [];
  const sum = new Waits();
  for (let m = 0; m < 60; m++) {
    const w = new Waits();
    for (const v of values.slice(m * 100, m * 100 + 100)) w.add(v);
    minutes.push(w);
    sum.addAll(w);
  }
  assert.equal(sum.exact, false);
  for (let m = 0; m < 30; m++) sum.removeAll(minutes[m]);
  const rest = values.slice(3000).sort((a, b) => a - b);
  assert.equal(sum.count, 3000);
  const est = sum.quantiles(QS);
  QS.forEach((q, i) => assert.ok(rankError(rest, q, est[i]) <= 0.001, `p${q * 100}: ${est[i]} vs ${exact(rest, q)}`));
  // Exact form: the remaining minutes' values exactly.
  const small = new Waits();
  for (const w of minutes.slice(0, 5)) small.addAll(w);
  small.removeAll(minutes[0]);
  small.removeAll(minutes[3]);
  const kept = [...values.slice(100, 300), ...values.slice(400, 500)].sort((a, b) => a - b);
  assert.ok(small.exact);
  assert.deepEqual(small.quantiles(QS), QS.map((q) => exact(kept, q)));
  assert.equal(small.max, kept[kept.length - 1]);
});

test("state round trip keeps every figure; corrupt state is refused with a reason", () => {
  for (const n of [5, 50_000]) {
    const w = new Waits();
    for (const v of msWaits(n, 5)) w.add(v);
    const back = Waits.fromState(JSON.parse(JSON.stringify(w.toState())));
    assert.deepEqual(back.quantiles(QS), w.quantiles(QS));
    assert.equal(back.max, w.max);
    assert.equal(back.count, n);
  }
  assert.throws(() => Waits.fromState({ v: [1, Number.NaN] }), /bad value/);
  assert.throws(() => Waits.fromState({ k: [5, 3], c: [1, 1] }), /ascend/);
  assert.throws(() => Waits.fromState({ k: [5], c: [1, 2] }), /length/);
  assert.throws(() => new Waits().add(Number.POSITIVE_INFINITY), /finite/);
});

/** A t-digest in the byte form versions before 0.2 stored. */
function legacyDigest(centroids: [number, number][], min: number, max: number): string {
  const head = Buffer.alloc(25);
  head[0] = 0x54;
  head[1] = 2;
  head.writeUInt16LE(100, 2);
  head.writeUInt32LE(centroids.length, 4);
  head.writeDoubleLE(min, 8);
  head.writeDoubleLE(max, 16);
  const means = Buffer.alloc(centroids.length * 4);
  centroids.forEach(([m], i) => means.writeFloatLE(m, i * 4));
  const weights: number[] = [];
  for (const [, w] of centroids) {
    let x = w;
    while (x >= 128) {
      weights.push((x % 128) | 128);
      x = Math.floor(x / 128);
    }
    weights.push(x);
  }
  return Buffer.concat([head, means, Buffer.from(weights)]).toString("base64");
}

test("state written by 0.1 (t-digest bytes) still loads: single points exactly, heavier centroids at their mean", () => {
  const points = legacyDigest([[1000, 1], [5000, 1], [9000, 1]], 1000, 9000);
  const b = Bucket.fromState({ offered: 3, answered: 3, abandoned: 0, shortAbandoned: 0, flowout: 0, overSla: 0, answeredWaitMsSum: 15000, answeredWaits: points });
  assert.deepEqual(b.answeredWaits!.quantiles([0.5, 1]), [5000, 9000]);
  const heavy = waitsFromDigest(legacyDigest([[1000, 1], [20000, 300], [90000, 1]], 1000, 90000));
  assert.equal(heavy.count, 302);
  assert.equal(heavy.quantiles([0.5])[0], 20000);
  assert.throws(() => waitsFromDigest(Buffer.from("nonsense-nonsense-nonsense-nonsense").toString("base64")), /magic/);
});
