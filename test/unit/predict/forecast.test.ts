/**
 * Forecasts against the M/M/s+M simulation: the interval's service level at its end, from
 * snapshots taken within intervals of a long stationary run and from a congested start; the p90
 * of answered waits in the next 15 minutes by calibration (90 % of those waits fall below it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forecast, type ForecastDetail, type ForecastInputs } from "../../../src/predict/forecast.js";
import { ForecastCache } from "../../../src/predict/forecast-cache.js";
import { defaultServiceLevelPolicy, serviceLevel } from "../../../src/aggregate/figures.js";
import { simulateMmsm, type SimCaller } from "../../helpers/mmsm.js";

const TAU = 20;
const SHORT = 5;

/** Callers ordered by their end, for counting ends in a span. */
const byEnd = (callers: SimCaller[]) => [...callers].sort((x, y) => x.end - y.end);

function firstEndAtOrAfter(sorted: SimCaller[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].end < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Interval counts of the ends in [a, b) (an answer counts when answered, an abandon when it happens). */
function counts(sorted: SimCaller[], a: number, b: number) {
  const c = { answered: 0, overSla: 0, abandoned: 0, shortAbandoned: 0, flowout: 0 };
  for (let i = firstEndAtOrAfter(sorted, a); i < sorted.length && sorted[i].end < b; i++) {
    const x = sorted[i];
    if (x.outcome === null) continue;
    if (x.outcome === "answered") {
      c.answered++;
      if (x.wait > TAU) c.overSla++;
    } else {
      c.abandoned++;
      if (x.wait < SHORT) c.shortAbandoned++;
    }
  }
  return c;
}

// 86 % load. 400 intervals: at this load busy periods make a shorter run's realized SL drift by a
// few points from its expectation.
const spec = { servers: 10, mu: 1 / 180, theta: 1 / 200, lambda: 0.048, seconds: 400 * 1800, seed: 31, snapshotEvery: 600 };

test("stationary run: the interval SL forecast is within 2 points on average and beats 'SL so far'", (t) => {
  const sim = simulateMmsm(spec);
  const sorted = byEnd(sim.callers);
  let n = 0;
  let sumForecast = 0;
  let sumRealized = 0;
  let absForecast = 0;
  let absSoFar = 0;
  for (const snap of sim.snapshots) {
    const start = Math.floor(snap.t / 1800) * 1800;
    if (snap.t - start !== 600 || start < 1800 || start + 1800 > spec.seconds) continue;
    const soFar = counts(sorted, start, snap.t);
    const realized = serviceLevel(counts(sorted, start, start + 1800), defaultServiceLevelPolicy);
    const f = forecast({
      now: snap.t * 1000,
      waiting: snap.waitingAges.length,
      waitingAges: snap.waitingAges,
      busy: snap.busy,
      agents: spec.servers,
      mu: spec.mu,
      theta: spec.theta,
      lambda: spec.lambda,
      interval: { end: (start + 1800) * 1000, soFar },
      serviceLevelSeconds: TAU,
      shortAbandonSeconds: SHORT,
      policy: defaultServiceLevelPolicy,
    });
    const sl = serviceLevel(soFar, defaultServiceLevelPolicy);
    if (realized === null || f.intervalServiceLevel === null || sl === null) continue;
    n++;
    sumForecast += f.intervalServiceLevel;
    sumRealized += realized;
    absForecast += Math.abs(f.intervalServiceLevel - realized);
    absSoFar += Math.abs(sl - realized);
  }
  assert.ok(n > 350, `${n} intervals`);
  const bias = (sumForecast - sumRealized) / n;
  t.diagnostic(`${n} intervals: mean forecast ${(sumForecast / n).toFixed(3)}, realized ${(sumRealized / n).toFixed(3)}; mean abs error ${(absForecast / n).toFixed(3)} ('so far' ${(absSoFar / n).toFixed(3)})`);
  assert.ok(Math.abs(bias) < 0.02, `mean forecast ${(sumForecast / n).toFixed(3)} vs realized ${(sumRealized / n).toFixed(3)}`);
  assert.ok(absForecast < absSoFar * 0.9, `mean abs error ${(absForecast / n).toFixed(3)} vs 'so far' ${(absSoFar / n).toFixed(3)}`);
});

test("congested start: forecast SL of the first half hour equals the pooled simulated SL within 2 points", (t) => {
  const s0 = { servers: 8, mu: 1 / 150, theta: 1 / 150, lambda: 0.05, seconds: 1800, initial: 30 };
  const total = { answered: 0, overSla: 0, abandoned: 0, shortAbandoned: 0, flowout: 0 };
  for (let seed = 1; seed <= 400; seed++) {
    const sim = simulateMmsm({ ...s0, seed });
    // The 8 callers in service at 0 were answered before the forecast; the 22 waiting were not.
    const c = counts(byEnd(sim.callers.filter((x) => x.seq >= s0.servers)), 0, 1800);
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
  }
  const pooled = serviceLevel(total, defaultServiceLevelPolicy)!;
  const f = forecast({ now: 0, waiting: 22, waitingAges: new Array(22).fill(0), busy: 8, agents: 8, mu: s0.mu, theta: s0.theta, lambda: s0.lambda, interval: { end: 1800_000, soFar: { answered: 0, overSla: 0, abandoned: 0, shortAbandoned: 0, flowout: 0 } }, serviceLevelSeconds: TAU, shortAbandonSeconds: SHORT, policy: defaultServiceLevelPolicy });
  t.diagnostic(`forecast ${f.intervalServiceLevel!.toFixed(3)}, simulated ${pooled.toFixed(3)} (400 runs)`);
  assert.ok(Math.abs(f.intervalServiceLevel! - pooled) < 0.02, `forecast ${f.intervalServiceLevel!.toFixed(3)} vs simulated ${pooled.toFixed(3)}`);
  // Starting congested matters: the same queue from empty forecasts a clearly higher SL.
  const empty = forecast({ now: 0, waiting: 0, busy: 0, agents: 8, mu: s0.mu, theta: s0.theta, lambda: s0.lambda, interval: { end: 1800_000, soFar: { answered: 0, overSla: 0, abandoned: 0, shortAbandoned: 0, flowout: 0 } }, serviceLevelSeconds: TAU, shortAbandonSeconds: SHORT, policy: defaultServiceLevelPolicy });
  assert.ok(empty.intervalServiceLevel! > f.intervalServiceLevel! + 0.1);
});

test("p90 of answered waits in the next 15 minutes is calibrated: 90 % (+-3) of those waits fall below it", (t) => {
  const sim = simulateMmsm({ ...spec, seconds: 100 * 1800, seed: 32 });
  const answered = sim.callers.filter((c) => c.outcome === "answered").sort((a, b) => a.end - b.end);
  let below = 0;
  let all = 0;
  let forecasts = 0;
  for (const snap of sim.snapshots) {
    if (snap.t < 1800 || snap.t + 900 > 100 * 1800) continue;
    const f = forecast({ now: snap.t * 1000, waiting: snap.waitingAges.length, waitingAges: snap.waitingAges, busy: snap.busy, agents: spec.servers, mu: spec.mu, theta: spec.theta, lambda: spec.lambda, interval: null, serviceLevelSeconds: TAU, shortAbandonSeconds: SHORT, policy: defaultServiceLevelPolicy });
    assert.equal(f.intervalServiceLevel, null);
    const p90 = f.answeredWaitP90In15m!;
    forecasts++;
    for (const c of answered) {
      if (c.end < snap.t) continue;
      if (c.end >= snap.t + 900) break;
      all++;
      if (c.wait <= p90) below++;
    }
  }
  assert.ok(forecasts > 200 && all > 5000);
  const share = below / all;
  t.diagnostic(`${forecasts} forecasts: ${(share * 100).toFixed(1)} % of ${all} answered waits at or below the forecast p90`);
  assert.ok(Math.abs(share - 0.9) < 0.03, `${(share * 100).toFixed(1)} % of ${all} answered waits below the forecast p90`);
});

const base: ForecastInputs = { now: 0, waiting: 3, busy: 5, agents: 5, mu: 1 / 120, theta: 1 / 60, lambda: 0.05, interval: { end: 900_000, soFar: { answered: 10, overSla: 2, abandoned: 1, shortAbandoned: 0, flowout: 0 } }, serviceLevelSeconds: 20, shortAbandonSeconds: 5, policy: defaultServiceLevelPolicy };

test("missing inputs give nulls; no arrivals and nobody waiting leave the interval as it is", () => {
  for (const k of ["waiting", "busy", "agents", "mu", "theta", "lambda"] as const) assert.deepEqual(forecast({ ...base, [k]: null }), { intervalServiceLevel: null, answeredWaitP90In15m: null }, k);
  assert.deepEqual(forecast({ ...base, agents: 0 }), { intervalServiceLevel: null, answeredWaitP90In15m: null });
  const quiet = forecast({ ...base, waiting: 0, busy: 0, lambda: 0 });
  assert.ok(Math.abs(quiet.intervalServiceLevel! - 8 / 11) < 1e-12);
  assert.equal(quiet.answeredWaitP90In15m, null, "no call will be answered");
  // An interval that ends now is what it has.
  assert.ok(Math.abs(forecast({ ...base, waiting: 0, busy: 5, interval: { ...base.interval!, end: 0 } }).intervalServiceLevel! - 8 / 11) < 1e-12);
});

test("callers waiting while agents are free are answered at once, within the threshold if young enough", () => {
  const d: ForecastDetail = { steps: 0, states: 0, lawCalls: 0 };
  // 3 waiting (ages 30, 10, 0), 2 agents of 5 free, nobody arriving: two are answered at once,
  // the third waits for one of the 5 busy agents (rate 5/120) and its own patience (1/60).
  forecast({ ...base, lambda: 0, busy: 3, waitingAges: [30, 10, 0] }, {}, d);
  const r = d.expectedRest!;
  const served = (5 / 120 / (5 / 120 + 1 / 60)) * (1 - Math.exp(-(5 / 120 + 1 / 60) * 900));
  assert.ok(Math.abs(r.answered - (2 + served)) < 1e-3, `answered ${r.answered}`);
  const within = (5 / 120 / (5 / 120 + 1 / 60)) * (1 - Math.exp(-(5 / 120 + 1 / 60) * 20));
  assert.ok(Math.abs(r.within - (1 + within)) < 1e-6, `within ${r.within}`);
});

test("inputs too large to compute in bounds give nulls and say why, quickly", () => {
  const began = Date.now();
  for (const [k, v] of [["agents", 1e6], ["waiting", 1e9], ["lambda", 1e4]] as const) {
    const d: ForecastDetail = { steps: 0, states: 0, lawCalls: 0 };
    assert.deepEqual(forecast({ ...base, [k]: v }, {}, d), { intervalServiceLevel: null, answeredWaitP90In15m: null }, k);
    assert.ok(d.refused, k);
  }
  assert.deepEqual(forecast({ ...base, interval: { ...base.interval!, end: 1e12 } }).intervalServiceLevel, null);
  assert.ok(Date.now() - began < 1000);
});

test("the cache reuses a forecast while inputs stand still and recomputes on change or age", () => {
  const cache = new ForecastCache({ ttlMs: 30_000, minRecomputeMs: 2000 });
  const a = cache.get("q/voice", base);
  assert.deepEqual(cache.get("q/voice", { ...base, now: 10_000 }), a);
  assert.equal(cache.computed, 1);
  cache.get("q/voice", { ...base, now: 11_000, waiting: 9 });
  assert.equal(cache.computed, 2);
  cache.get("q/voice", { ...base, now: 12_000, waiting: 10 });
  assert.equal(cache.computed, 2, "changed again within 2 s: reused");
  cache.get("q/voice", { ...base, now: 42_000, waiting: 10 });
  assert.equal(cache.computed, 3);
  assert.equal(cache.reused, 2);
});

test("rising arrivals: with the trend the forecast stays within 2 points; without it, it is too high", (t) => {
  // Within each half hour arrivals rise from 0.03 to 0.07 per second (86 % load on average).
  const slope = 0.04 / 1800;
  const rate = (s: number) => 0.03 + slope * (s % 1800);
  const sim = simulateMmsm({ ...spec, lambda: rate, lambdaMax: 0.07, seconds: 300 * 1800, seed: 33 });
  const sorted = byEnd(sim.callers);
  let n = 0;
  let withTrend = 0;
  let without = 0;
  let realizedSum = 0;
  for (const snap of sim.snapshots) {
    const start = Math.floor(snap.t / 1800) * 1800;
    if (snap.t - start !== 600 || start < 1800 || start + 1800 > 300 * 1800) continue;
    const soFar = counts(sorted, start, snap.t);
    const realized = serviceLevel(counts(sorted, start, start + 1800), defaultServiceLevelPolicy);
    const x: ForecastInputs = { now: snap.t * 1000, waiting: snap.waitingAges.length, waitingAges: snap.waitingAges, busy: snap.busy, agents: spec.servers, mu: spec.mu, theta: spec.theta, lambda: rate(snap.t), lambdaTrend: slope, interval: { end: (start + 1800) * 1000, soFar }, serviceLevelSeconds: TAU, shortAbandonSeconds: SHORT, policy: defaultServiceLevelPolicy };
    const a = forecast(x).intervalServiceLevel;
    const b = forecast({ ...x, lambdaTrend: 0 }).intervalServiceLevel;
    if (realized === null || a === null || b === null) continue;
    n++;
    realizedSum += realized;
    withTrend += a;
    without += b;
  }
  t.diagnostic(`${n} intervals: realized ${(realizedSum / n).toFixed(3)}, with trend ${(withTrend / n).toFixed(3)}, without ${(without / n).toFixed(3)}`);
  assert.ok(n > 250);
  assert.ok(Math.abs(withTrend - realizedSum) / n < 0.02);
  assert.ok((without - realizedSum) / n > 0.04, "ignoring the trend overestimates the SL");
});
