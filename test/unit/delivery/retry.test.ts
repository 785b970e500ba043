/** The one delay implementation: capped exponential, full jitter, a floor, Retry-After honoured and capped. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, backoffOf, delayMs, retryDelayMs } from "../../../src/delivery/retry.js";

const o = { baseMs: 100, capMs: 1000, minMs: 30, maxRetryAfterMs: 5000 };

test("the draw stays in [floor, min(cap, base * 2^attempt)] for every attempt, huge ones included", () => {
  let seed = 1;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  for (let a = 0; a < 2000; a++) {
    const d = delayMs(a, o, null, rnd);
    assert.ok(d >= 30 && d <= Math.min(1000, 100 * 2 ** a), `${a}: ${d}`);
  }
  assert.equal(delayMs(0, o, null, () => 0), 30, "never below the floor");
  assert.equal(delayMs(50, o, null, () => 0.999999), 999, "never above the cap");
});

test("Retry-After wins over the draw, capped at maxRetryAfterMs, with under 100 ms of jitter", () => {
  assert.equal(delayMs(0, o, 2000, () => 0), 2000);
  assert.equal(delayMs(7, o, 2000, () => 0.5), 2050);
  assert.equal(delayMs(0, o, 3_600_000, () => 0), 5000, "an hour asked: the cap");
  assert.equal(delayMs(0, { baseMs: 100, capMs: 1000 }, 3_600_000, () => 0), 1000, "no maxRetryAfterMs: capped at capMs");
  assert.equal(delayMs(0, o, 0, () => 0.9), 30, "0 asked: the floor, no jitter added");
  assert.equal(retryDelayMs(0, { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 }, "6"), null, "inside a request, longer than the cap is not waited for");
});

test("a Backoff counts its attempts, honours Retry-After and starts over after reset()", () => {
  const b = new Backoff(o, () => 1);
  assert.deepEqual([b.next(), b.next(), b.next(null), b.next(2500)], [100, 200, 400, 2600]);
  assert.equal(b.attempts, 4);
  assert.equal(b.next(), 1000, "the retry-after attempt counted too");
  b.reset();
  assert.equal(b.next(), 100);
  assert.deepEqual(backoffOf({ maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, minDelayMs: 1, maxRetryAfterMs: 9, timeoutMs: 1 }), { baseMs: 5, capMs: 50, minMs: 1, maxRetryAfterMs: 9 });
});
