/**
 * The wait predictors against ground truth: the M/M/s+M simulation's potential waits (the wait
 * until an agent takes the call, which QLm predicts) and the closed forms they reduce to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hol, holRefined, les, predictAll, ql, qlm } from "../../../src/predict/predictors.js";
import { simulateMmsm, type SimCaller } from "../../helpers/mmsm.js";

/** Mean error of a predictor over the callers who found every agent busy, relative to the mean potential wait. */
function relativeBias(callers: SimCaller[], predict: (c: SimCaller) => number | null): { bias: number; samples: number } {
  let err = 0;
  let actual = 0;
  let n = 0;
  for (const c of callers) {
    const p = predict(c);
    if (p === null || c.potentialWait === null) continue;
    err += p - c.potentialWait;
    actual += c.potentialWait;
    n++;
  }
  return { bias: err / actual, samples: n };
}

test("heavy abandonment: QLm is unbiased on the potential wait, QL is biased high", (t) => {
  // 5 agents, AHT 120 s, mean patience 30 s, offered load 1.9x capacity: most callers abandon.
  const spec = { servers: 5, mu: 1 / 120, theta: 1 / 30, lambda: 0.08, seconds: 200_000, seed: 1 };
  const sim = simulateMmsm(spec);
  const warm = sim.callers.filter((c) => c.arrival > 3600 && c.busyAtArrival === spec.servers);
  assert.ok(warm.length > 10_000, `${warm.length} callers who had to wait`);
  const abandoned = sim.callers.filter((c) => c.outcome === "abandoned").length / sim.callers.length;
  assert.ok(abandoned > 0.3, `abandon share ${abandoned.toFixed(2)}`);
  const m = relativeBias(warm, (c) => qlm(c.ahead, spec.servers, spec.mu, spec.theta));
  const q = relativeBias(warm, (c) => ql(c.ahead, spec.servers, spec.mu));
  t.diagnostic(`${m.samples} waiting callers, ${(abandoned * 100).toFixed(0)} % abandon: QLm bias ${(m.bias * 100).toFixed(2)} %, QL bias ${(q.bias * 100).toFixed(1)} %`);
  assert.ok(Math.abs(m.bias) < 0.03, `QLm relative bias ${(m.bias * 100).toFixed(2)} %`);
  assert.ok(q.bias > 0.3, `QL relative bias ${(q.bias * 100).toFixed(1)} %`);
});

test("no abandonment (M/M/s): QL and QLm agree and are both unbiased", () => {
  const spec = { servers: 8, mu: 1 / 200, theta: 0, lambda: 0.036, seconds: 400_000, seed: 2 };
  const sim = simulateMmsm(spec);
  const waited = sim.callers.filter((c) => c.arrival > 3600 && c.busyAtArrival === spec.servers);
  assert.ok(waited.length > 10_000);
  for (const c of waited.slice(0, 100)) assert.equal(qlm(c.ahead, spec.servers, spec.mu, 0), ql(c.ahead, spec.servers, spec.mu));
  const q = relativeBias(waited, (c) => ql(c.ahead, spec.servers, spec.mu));
  assert.ok(Math.abs(q.bias) < 0.03, `QL relative bias ${(q.bias * 100).toFixed(2)} %`);
});

test("closed forms: QLm is the sum of the stage means; QL's (n+1)/(s mu); refined HOL at w = 0 is QL(0)", () => {
  const [s, mu, theta] = [4, 1 / 100, 1 / 50];
  // With n = 2 ahead: stages of rate s mu + 2 theta, s mu + theta, s mu.
  assert.ok(Math.abs(qlm(2, s, mu, theta)! - (1 / (0.04 + 0.04) + 1 / (0.04 + 0.02) + 1 / 0.04)) < 1e-12);
  assert.equal(ql(2, s, mu), 3 / 0.04);
  assert.equal(holRefined(0.1, 0, s, mu), ql(0, s, mu));
  assert.equal(holRefined(0.1, 30, s, mu), (0.1 * 30 + 1) / 0.04);
  assert.equal(hol(42), 42);
  assert.equal(les(7), 7);
});

test("missing inputs give null; no agents give null (not Infinity); free agents give 0", () => {
  assert.equal(ql(3, 0, 0.01), null);
  assert.equal(qlm(3, 0, 0.01, 0.02), null);
  assert.equal(ql(null, 2, 0.01), null);
  assert.equal(qlm(3, 2, 0.01, null), null);
  assert.equal(holRefined(null, 10, 2, 0.01), null);
  assert.equal(hol(null), null);
  assert.equal(les(Number.NaN), null);
  const base = { waiting: 2, agents: 3, mu: 0.01, theta: 0.02, lambda: 0.1, holSeconds: 40, lesSeconds: 25 };
  assert.deepEqual(predictAll({ ...base, idle: 3 }), { QL: 0, QLm: 0, HOL: 0, HOLr: 0, LES: 0 });
  const p = predictAll({ ...base, idle: 0 });
  assert.deepEqual(p, { QL: ql(2, 3, 0.01), QLm: qlm(2, 3, 0.01, 0.02), HOL: 40, HOLr: holRefined(0.1, 40, 3, 0.01), LES: 25 });
  // Flow-outs shorten the line ahead like abandons.
  assert.equal(predictAll({ ...base, phi: 0.01 }).QLm, qlm(2, 3, 0.01, 0.03));
  // Nobody waiting: no head of line, refined HOL reads 0.
  const empty = predictAll({ ...base, waiting: 0, holSeconds: null });
  assert.equal(empty.HOL, null);
  assert.equal(empty.HOLr, ql(0, 3, 0.01));
  assert.deepEqual(predictAll({ waiting: 2, agents: 0, mu: 0.01, theta: 0, lambda: 0.1, holSeconds: 40, lesSeconds: null }), { QL: null, QLm: null, HOL: 40, HOLr: null, LES: null });
});

test("delay history in steady state: HOL and LES are close to each other and to the mean wait", () => {
  const spec = { servers: 10, mu: 1 / 180, theta: 1 / 300, lambda: 0.06, seconds: 200_000, seed: 4 };
  const sim = simulateMmsm(spec);
  const waited = sim.callers.filter((c) => c.arrival > 3600 && c.busyAtArrival === spec.servers && c.holAtArrival !== null && c.lesAtArrival !== null);
  assert.ok(waited.length > 5000);
  const h = relativeBias(waited, (c) => c.holAtArrival);
  const l = relativeBias(waited, (c) => c.lesAtArrival);
  // Ibrahim & Whitt: "the HOL and LES values fall on top of each other".
  assert.ok(Math.abs(h.bias - l.bias) < 0.1, `HOL ${h.bias.toFixed(3)} LES ${l.bias.toFixed(3)}`);
});
