/**
 * Erlang-A figures against closed forms (Erlang distribution, Erlang C, M/M/inf from empty),
 * against an exact numerical solution of the tagged caller's chain, and against the M/M/s+M
 * simulation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { stationary, transient, WaitLaw } from "../../../src/predict/erlang-a.js";
import { qlm } from "../../../src/predict/predictors.js";
import { simulateMmsm } from "../../helpers/mmsm.js";

/** P(Erlang(k, r) <= t) = 1 - sum_{i<k} e^{-rt} (rt)^i / i!. */
function erlangCdf(k: number, r: number, t: number): number {
  let term = Math.exp(-r * t);
  let sum = term;
  for (let i = 1; i < k; i++) {
    term *= (r * t) / i;
    sum += term;
  }
  return 1 - sum;
}

/** Erlang C: P(wait) for c servers and offered load a. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a));
  return top / (sum + top);
}

/**
 * The tagged caller's chain solved exactly by small Euler steps (states: i ahead, served, left):
 * from i ahead it moves on at s mu + i gamma and leaves at gamma.
 */
function taggedExact(j: number, r: number, gamma: number, t: number): { served: number; left: number } {
  const p = new Float64Array(j + 1);
  p[j] = 1;
  let served = 0;
  let left = 0;
  const dt = 0.01;
  for (let s = 0; s < t / dt; s++) {
    served += p[0] * r * dt;
    for (let i = 0; i <= j; i++) {
      left += p[i] * gamma * dt;
      const move = p[i] * (r + i * gamma) * dt;
      const out = p[i] * gamma * dt;
      p[i] -= move + out;
      if (i > 0) p[i - 1] += move;
    }
  }
  return { served, left };
}

test("wait law without abandonment is the Erlang law exactly", () => {
  const law = new WaitLaw(0.05, 0);
  for (const j of [0, 1, 4, 20, 80]) {
    for (const t of [1, 20, 100, 400, 2000]) {
      assert.ok(Math.abs(law.served(j, t) - erlangCdf(j + 1, 0.05, t)) < 1e-9, `j ${j} t ${t}`);
    }
    assert.ok(Math.abs(law.meanWait(j) - (j + 1) / 0.05) < 1e-9);
    assert.equal(law.left(j, 100), 0);
  }
  assert.equal(law.served(-1, 0), 1);
  assert.equal(law.served(3, 0), 0);
});

test("wait law with abandonment: within 0.01 of the exact tagged chain; its mean is QLm", () => {
  const [r, gamma] = [0.05, 1 / 60];
  const law = new WaitLaw(r, gamma);
  let worst = 0;
  for (const j of [0, 1, 3, 8, 20]) {
    assert.ok(Math.abs(law.meanWait(j) - qlm(j, 5, 0.01, gamma)!) < 1e-9);
    for (const t of [10, 40, 120, 400]) {
      const exact = taggedExact(j, r, gamma, t);
      worst = Math.max(worst, Math.abs(law.served(j, t) - exact.served), Math.abs(law.left(j, t) - exact.left));
    }
    // Served at all: exact for j = 0 (r / (r + gamma)).
    if (j === 0) assert.ok(Math.abs(law.servedEver(0) - r / (r + gamma)) < 1e-12);
  }
  assert.ok(worst < 0.01, `largest difference ${worst.toFixed(4)}`);
});

test("stationary law without abandonment is Erlang C", () => {
  const [c, mu, lambda] = [10, 1 / 180, 0.045];
  const e = stationary(lambda, c, mu, 0)!;
  const C = erlangC(c, lambda / mu);
  assert.ok(Math.abs(e.pWait - C) < 1e-9, `${e.pWait} vs ${C}`);
  for (const t of [0, 20, 60, 180]) {
    const expected = 1 - C * Math.exp(-(c * mu - lambda) * t);
    assert.ok(Math.abs(e.answeredWithin(t) - expected) < 1e-6, `t ${t}`);
  }
  assert.ok(Math.abs(e.meanWait - C / (c * mu - lambda)) < 1e-6);
  assert.equal(stationary(0.2, 10, 1 / 180, 0), null, "unstable without abandonment");
  assert.equal(stationary(0.1, 0, 1 / 180, 0.01), null);
});

test("stationary Erlang A matches the simulation: P(wait), P(abandon), answered within 20 s, E[W]", () => {
  // 2,000,000 s (120,000 callers): busy periods make the shares vary by about +-1 point across seeds.
  const spec = { servers: 10, mu: 1 / 180, theta: 1 / 120, lambda: 0.06, seconds: 2_000_000, seed: 21 };
  const sim = simulateMmsm(spec);
  const e = stationary(spec.lambda, spec.servers, spec.mu, spec.theta)!;
  const cs = sim.callers.filter((c) => c.arrival > 3600);
  const share = (f: (c: (typeof cs)[number]) => boolean) => cs.filter(f).length / cs.length;
  const simWait = share((c) => c.busyAtArrival === spec.servers);
  const simAb = share((c) => c.outcome === "abandoned");
  const simWithin = share((c) => c.outcome === "answered" && c.wait <= 20);
  const simMeanWait = cs.reduce((s, c) => s + c.wait, 0) / cs.length;
  assert.ok(Math.abs(e.pWait - simWait) < 0.015, `P(wait) ${e.pWait.toFixed(3)} vs ${simWait.toFixed(3)}`);
  assert.ok(Math.abs(e.pAbandon - simAb) < 0.01, `P(ab) ${e.pAbandon.toFixed(3)} vs ${simAb.toFixed(3)}`);
  assert.ok(Math.abs(e.answeredWithin(20) - simWithin) < 0.015, `within 20 s ${e.answeredWithin(20).toFixed(3)} vs ${simWithin.toFixed(3)}`);
  assert.ok(Math.abs(e.meanWait - simMeanWait) / simMeanWait < 0.05, `E[W] ${e.meanWait} vs ${simMeanWait}`);
});

test("transient law: M/M/inf from empty is Poisson with mean (lambda / mu)(1 - e^{-mu t})", () => {
  const [lambda, mu, K] = [0.5, 1 / 60, 120];
  const p0 = new Float64Array(K + 1);
  p0[0] = 1;
  const { laws } = transient(p0, [{ seconds: 30, lambda }, { seconds: 90, lambda }, { seconds: 600, lambda }], K, mu, 0);
  let t = 0;
  for (const [i, dt] of [30, 90, 600].entries()) {
    t += dt;
    const mean = (lambda / mu) * (1 - Math.exp(-mu * t));
    let term = Math.exp(-mean);
    let worst = 0;
    for (let k = 0; k <= K; k++) {
      if (k > 0) term *= mean / k;
      worst = Math.max(worst, Math.abs(laws[i][k] - term));
    }
    assert.ok(worst < 1e-8, `t ${t}: ${worst}`);
  }
});

test("transient law converges to the stationary law, from a full queue as from an empty one", () => {
  const [lambda, c, mu, theta] = [0.06, 10, 1 / 180, 1 / 120];
  const st = stationary(lambda, c, mu, theta)!;
  const K = 80;
  for (const start of [0, 40]) {
    const p0 = new Float64Array(K + 1);
    p0[start] = 1;
    const { laws } = transient(p0, [{ seconds: 20_000, lambda }], c, mu, theta);
    let worst = 0;
    for (let k = 0; k <= K; k++) worst = Math.max(worst, Math.abs(laws[0][k] - (st.probs[k] ?? 0)));
    assert.ok(worst < 1e-6, `from ${start}: ${worst}`);
    const total = laws[0].reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
  }
});

test("transient law from a congested state matches the simulation's queue 10 minutes later", () => {
  const spec = { servers: 6, mu: 1 / 150, theta: 1 / 100, lambda: 0.05, seconds: 600, seed: 0, initial: 20 };
  const K = 60;
  const p0 = new Float64Array(K + 1);
  p0[20] = 1;
  const { laws } = transient(p0, [{ seconds: 600, lambda: spec.lambda }], spec.servers, spec.mu, spec.theta);
  const model = laws[0].reduce((s, p, k) => s + k * p, 0);
  let sum = 0;
  const runs = 2000;
  for (let seed = 1; seed <= runs; seed++) {
    const sim = simulateMmsm({ ...spec, seed, snapshotEvery: 600 });
    const snap = sim.snapshots.find((s) => s.t === 600)!;
    sum += snap.busy + snap.waitingAges.length;
  }
  const simMean = sum / runs;
  assert.ok(Math.abs(model - simMean) < 0.25, `E[in system at 10 min] ${model.toFixed(2)} vs simulated ${simMean.toFixed(2)}`);
});
