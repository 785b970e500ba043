/**
 * Rolling estimators against ground truth: exact window sums on hand-placed events, and the
 * M/M/s+M simulation's known lambda, mu and theta (estimates within their sampling error);
 * serialisation round trips that read the same figures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ArrivalEstimator, HandleTimeEstimator, lineRates, SeriesEstimators, WaitExitEstimator } from "../../../src/predict/estimators.js";
import { LevelWindow, SlotWindow } from "../../../src/predict/window.js";
import { simulateMmsm } from "../../helpers/mmsm.js";
import { mulberry32, exponential } from "../../../src/util/random.js";

const MIN = 60_000;

test("slot window: sums over (now - span, now], late values refused and counted", () => {
  const w = new SlotWindow(2, { spanMs: 10 * MIN, slotMs: MIN, since: 0 });
  for (let m = 0; m < 30; m++) {
    w.add(m * MIN + 1000, 0, 1);
    w.add(m * MIN + 2000, 1, m);
  }
  // Slots 20..29 are in the window at minute 29.5.
  assert.deepEqual(w.read(29.5 * MIN), [10, (20 + 29) * 5]);
  assert.deepEqual(w.read(25.5 * MIN), [6, 20 + 21 + 22 + 23 + 24 + 25]);
  assert.equal(w.coveredMs(29.5 * MIN), 9.5 * MIN);
  assert.equal(w.add(5 * MIN, 0, 1), false);
  assert.equal(w.late, 1);
  assert.equal(new SlotWindow(1, { since: 1000 }).coveredMs(61_000), 60_000);
  assert.equal(new SlotWindow(1).coveredMs(5), 0);
});

test("level window: the time-weighted average, unknown time left out", () => {
  const l = new LevelWindow({ spanMs: 60 * MIN });
  l.set(0, 2);
  l.set(10 * MIN, 6);
  assert.equal(l.average(20 * MIN), 4);
  l.set(20 * MIN, null);
  assert.equal(l.average(40 * MIN), 4, "unknown time does not count");
  l.set(40 * MIN, 1);
  assert.equal(l.average(50 * MIN), (2 * 10 + 6 * 10 + 1 * 10) / 30);
  l.set(45 * MIN, 3);
  assert.equal(l.outOfOrder, 0);
  l.set(44 * MIN, 9);
  assert.equal(l.outOfOrder, 1);
  assert.equal(new LevelWindow().average(0), null);
});

test("arrival rate of a Poisson stream: within sampling error; no trend reported on most reads", () => {
  const lambda = 0.5;
  let trends = 0;
  let reads = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const rng = mulberry32(seed);
    const a = ArrivalEstimator.create({ since: 0 });
    let t = 0;
    for (;;) {
      t += exponential(rng, 1000 / lambda);
      if (t > 60 * MIN) break;
      a.offered(t);
    }
    const r = a.rate(60 * MIN)!;
    // Slot-aligned: 29 whole minutes plus the current minute, which has just begun.
    assert.equal(r.coveredSeconds, 1740);
    // 900 expected arrivals: sd 3.3 %; 4 sd.
    assert.ok(Math.abs(r.mean - lambda) / lambda < 0.133, `seed ${seed}: ${r.mean}`);
    reads++;
    if (r.trend !== 0) trends++;
  }
  assert.ok(trends <= 4, `${trends} of ${reads} stationary reads reported a trend`);
});

test("arrival trend of a linear ramp: slope and the rate now within 25 %", () => {
  // lambda(t) = 0.1 + 0.0004 t (per s): from 0.1 to 1.54 over an hour.
  const slope = 0.0004;
  const sim = simulateMmsm({ servers: 1000, mu: 1, theta: 0, lambda: (t) => 0.1 + slope * t, lambdaMax: 2, seconds: 3600, seed: 9 });
  const a = ArrivalEstimator.create({ since: 0 });
  for (const c of sim.callers) a.offered(c.arrival * 1000);
  const r = a.rate(3600_000)!;
  assert.ok(Math.abs(r.trend - slope) / slope < 0.25, `trend ${r.trend}`);
  const truthNow = 0.1 + slope * 3600;
  assert.ok(Math.abs(r.now - truthNow) / truthNow < 0.1, `now ${r.now} vs ${truthNow}`);
  // The window mean lags: it is the rate about 15 minutes ago.
  assert.ok(Math.abs(r.mean - (0.1 + slope * 2700)) / (0.1 + slope * 2700) < 0.1);
});

test("handle time: answered legs only; missed alerts and bad values are counted, not averaged", () => {
  const h = HandleTimeEstimator.create({ since: 0 });
  h.leg(1000, 100, true);
  h.leg(2000, 300, true);
  h.leg(3000, 5, false);
  h.leg(4000, -1, true);
  h.leg(5000, Number.NaN, true);
  assert.deepEqual(h.aht(6000), { seconds: 200, samples: 2 });
  assert.equal(h.unanswered, 1);
  assert.equal(h.refused, 2);
});

test("M/M/s+M run: theta, mu and the Little's-law cross-check recover the simulated parameters", () => {
  const spec = { servers: 12, mu: 1 / 240, theta: 1 / 90, lambda: 0.06, seconds: 8 * 3600, seed: 5 };
  const sim = simulateMmsm(spec);
  const e = SeriesEstimators.create({ spanMs: 9 * 3600_000, slotMs: 5 * MIN, since: 0 });
  const now = spec.seconds * 1000;
  // What the monitor has seen by now: nothing after it.
  for (const c of sim.callers) {
    e.offered(c.arrival * 1000);
    if (c.end * 1000 <= now) e.ended(c.end * 1000, c.outcome!, c.wait);
  }
  for (const [s, end] of sim.services) if (end * 1000 <= now) e.handled(end * 1000, s, true);
  for (const [t, busy] of sim.busyLevels) if (t * 1000 <= now) e.interactingNow(t * 1000, busy);
  const r = e.rates(now);
  const rel = (a: number, b: number) => Math.abs(a - b) / b;
  assert.ok(rel(r.exits.theta!, spec.theta) < 0.1, `theta ${r.exits.theta} vs ${spec.theta} (${r.exits.abandoned} abandons)`);
  assert.ok(r.exits.abandoned > 100);
  assert.equal(r.muSource, "handle");
  assert.ok(rel(r.mu!, spec.mu) < 0.05, `mu ${r.mu}`);
  assert.ok(rel(r.littleHandleSeconds!, 1 / spec.mu) < 0.1, `Little ${r.littleHandleSeconds}`);
  assert.ok(rel(r.arrivals!.mean, spec.lambda) < 0.05);
  // LES: the last caller to reach an agent by now.
  const last = sim.callers.filter((c) => c.outcome === "answered" && c.end * 1000 <= now).reduce((a, b) => (b.end >= a.end ? b : a));
  assert.deepEqual(r.exits.lastAnswered, { at: last.end * 1000, waitSeconds: last.wait });
  // P(abandon) = theta E[W] holds in the sample exactly.
  const waits = sim.callers.filter((c) => c.end * 1000 <= now);
  const totalWait = waits.reduce((s, c) => s + c.wait, 0);
  assert.ok(Math.abs(r.exits.totalWaitSeconds - totalWait) < 1e-6 * totalWait);
});

test("mu falls back to Little's law until there are enough handle samples", () => {
  const e = SeriesEstimators.create({ since: 0, minHandleSamples: 5 });
  for (let i = 0; i < 30; i++) e.ended(i * 60_000, "answered", 10);
  e.interactingNow(0, 4);
  e.handled(1000, 100, true);
  const r = e.rates(30 * MIN);
  // 30 answered in 30 min = 1/60 per s; 4 interacting on average: E[handle] = 240 s.
  assert.equal(r.muSource, "little");
  assert.ok(Math.abs(r.littleHandleSeconds! - 240) < 1e-9);
  assert.ok(Math.abs(r.mu! - 1 / 240) < 1e-12);
});

test("a line's rates: counts and levels add up, theta from the summed exits and waiting, mu from Little's law on the sums", () => {
  const voice = SeriesEstimators.create({ since: 0 });
  const chat = SeriesEstimators.create({ since: 0 });
  // 10 minutes. Voice: 20 offers, 16 answered after 30 s, 4 abandoned after 60 s; 2 interacting.
  // Chat: 10 offers, 10 answered after 90 s, last at 9.5 min; 3 interacting.
  for (let i = 0; i < 20; i++) {
    voice.offered(i * 30_000);
    voice.ended(i * 30_000 + 1000, i < 16 ? "answered" : "abandoned", i < 16 ? 30 : 60);
  }
  for (let i = 0; i < 10; i++) {
    chat.offered(i * 57_000);
    chat.ended(i * 57_000 + 2000, "answered", 90);
  }
  voice.interactingNow(0, 2);
  chat.interactingNow(0, 3);
  const now = 10 * MIN;
  const [v, c] = [voice.rates(now), chat.rates(now)];
  const line = lineRates([v, c]);
  assert.equal(line.arrivals!.arrivals, 30);
  assert.ok(Math.abs(line.arrivals!.mean - (v.arrivals!.mean + c.arrivals!.mean)) < 1e-12);
  assert.deepEqual([line.exits.answered, line.exits.abandoned, line.exits.totalWaitSeconds], [26, 4, 16 * 30 + 4 * 60 + 10 * 90]);
  assert.equal(line.exits.theta, 4 / (16 * 30 + 4 * 60 + 10 * 90));
  assert.equal(line.averageInteracting, 5);
  // Little's law on the sums: 5 interacting / (26 answered per 600 s) = 115.4 s, not either series' own.
  assert.ok(Math.abs(line.littleHandleSeconds! - 5 / (26 / 600)) < 1e-9, String(line.littleHandleSeconds));
  assert.equal(line.muSource, "little");
  assert.ok(Math.abs(line.mu! - 1 / line.littleHandleSeconds!) < 1e-15);
  assert.deepEqual(line.exits.lastAnswered, { at: 9 * 57_000 + 2000, waitSeconds: 90 }, "LES: the latest answer of either");
  assert.equal(lineRates([v]), v, "a line of one series is that series");
  // Handle times, once enough: the answered-weighted mean.
  for (let i = 0; i < 6; i++) voice.handled(i * 60_000, 100, true);
  for (let i = 0; i < 2; i++) chat.handled(i * 60_000, 300, true);
  const handled = lineRates([voice.rates(now), chat.rates(now)]);
  assert.deepEqual([handled.muSource, handled.handle], ["handle", { seconds: 150, samples: 8 }]);
});

test("serialisation: JSON round trip reads the same figures; corrupt states are refused", () => {
  const e = SeriesEstimators.create({ since: 0 });
  const rng = mulberry32(3);
  for (let i = 0; i < 500; i++) {
    const t = i * 4000;
    e.offered(t);
    e.ended(t + 500, rng() < 0.2 ? "abandoned" : rng() < 0.1 ? "flowout" : "answered", rng() * 60);
    e.handled(t + 700, 100 + rng() * 200, rng() < 0.9);
    e.interactingNow(t, Math.floor(rng() * 8));
  }
  const now = 2_000_000;
  const copy = SeriesEstimators.fromState(JSON.parse(JSON.stringify(e.toState())))!;
  assert.deepEqual(copy.rates(now), e.rates(now));
  assert.deepEqual(copy.toState(), e.toState());
  copy.offered(now);
  e.offered(now);
  assert.deepEqual(copy.rates(now + 1000), e.rates(now + 1000));
  const s = JSON.parse(JSON.stringify(e.toState()));
  assert.equal(SeriesEstimators.fromState(null), null);
  assert.equal(SeriesEstimators.fromState({ ...s, handle: { ...s.handle, width: 3 } }), null);
  assert.equal(SeriesEstimators.fromState({ ...s, exits: { ...s.exits, data: [[1, ["x", 0, 0, 0]]] } }), null);
  assert.equal(SeriesEstimators.fromState({ ...s, interacting: { ...s.interacting, level: "7" } }), null);
  assert.ok(WaitExitEstimator.create().exits(0).theta === null);
});
