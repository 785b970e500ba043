import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultLagSettings, LagTracker } from "../../../../../src/sources/genesys/backfill/lag.js";

const MIN = 60_000;

test("a fact first returned after an earlier pass covered it without it is a lag sample between the two passes", () => {
  const lag = new LagTracker(defaultLagSettings(30_000));
  assert.equal(lag.firstSeen("q", 1000, 5 * MIN), null, "no earlier pass: nothing is known of its lag");
  lag.passed({ queueIds: new Set(["q"]), from: 0, to: 10 * MIN, at: 10 * MIN });
  lag.passed({ queueIds: new Set(["other"]), from: 0, to: 30 * MIN, at: 30 * MIN });
  const s = lag.firstSeen("q", 2 * MIN, 40 * MIN);
  assert.deepEqual(s, { at: 40 * MIN, lo: 8 * MIN, hi: 38 * MIN }, "the pass over another queue does not count");
  assert.equal(lag.firstSeen("q", 11 * MIN, 40 * MIN), null, "an event time no pass covered");
  // The value is the certain lower bound, raised by at most a quarter: 10 minutes, not 38.
  assert.equal(lag.maxRecent(40 * MIN), 10 * MIN);
  assert.equal(lag.horizonMs(40 * MIN), 15 * MIN, "1.5 times the largest lag");
  const v = lag.view(40 * MIN);
  assert.deepEqual([v.samples, v.maxSeconds, v.settleHorizonSeconds, v.guessSeconds], [1, 600, 900, 30]);
});

test("the horizon never goes below the guess, forgets old samples, and comes back from its state", () => {
  const lag = new LagTracker({ ...defaultLagSettings(60_000), windowMs: 60 * MIN });
  assert.equal(lag.horizonMs(0), 60_000);
  lag.add({ at: 0, lo: 10_000, hi: 12_000 });
  assert.equal(lag.horizonMs(0), 60_000, "a small lag: the guess stays");
  lag.add({ at: 0, lo: 120_000, hi: 130_000 });
  assert.equal(lag.horizonMs(1), 195_000);
  assert.equal(lag.horizonMs(61 * MIN), 60_000, "samples older than the window no longer count");
  const back = new LagTracker(defaultLagSettings(60_000));
  back.restore(JSON.parse(JSON.stringify(lag.toState())));
  assert.equal(back.horizonMs(1), 195_000);
  back.restore([{ at: 1, lo: -5, hi: 0 }, "x", null, { at: 2, lo: 1, hi: 2 }]);
  assert.equal(back.view(3).samples, 1, "unreadable samples are left out");
});

test("the pass spacing cannot feed back into the horizon that sets it", () => {
  const L = 60_000; // the true lag
  const lag = new LagTracker(defaultLagSettings(30_000));
  let now = 0;
  for (let round = 0; round < 50; round++) {
    const t = now + 1000;
    // Passes a horizon apart, as settling schedules them, until one sees the fact (visible from t + L).
    let at = t + 1000;
    for (;;) {
      if (at >= t + L) {
        lag.firstSeen("q", t, at);
        lag.passed({ queueIds: null, from: t - 1, to: t + 1, at });
        break;
      }
      lag.passed({ queueIds: null, from: t - 1, to: t + 1, at });
      at += lag.horizonMs(at);
    }
    now = at;
  }
  const h = lag.horizonMs(now);
  assert.ok(h >= L, `covers the true lag: ${h}`);
  assert.ok(h <= 1.5 * 1.25 * L + 1, `no runaway growth: ${h} ms`);
});
