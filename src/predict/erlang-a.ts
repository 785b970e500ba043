/**
 * Erlang A (M/M/s+M: Poisson arrivals, exponential handle times, s agents, exponential patience)
 * for the forecasts. Three pieces, all pure:
 *
 * - WaitLaw: the time a caller with j callers ahead (all agents busy) waits until an agent takes
 *   the call, V_j = sum_{i=0..j} Exp(s mu + i gamma) (gamma = the rate each waiting caller leaves
 *   at: abandons + flow-outs), with the caller's own exit at rate gamma. Its mean is QLm. The law
 *   is read as a gamma distribution with the same mean and variance: exact for gamma = 0 (an
 *   Erlang law) and for j = 0, and close otherwise (a sum of exponentials whose rates lie in
 *   [s mu, s mu + j gamma]); the exact hypoexponential CDF has alternating coefficients that lose
 *   all precision for the long queues where it would matter. With exponential patience the
 *   served and exited probabilities then have closed forms in the regularized incomplete gamma
 *   function (jstat.lowRegGamma, about 0.5 us a call):
 *     P(served by t) = E[e^{-gamma V} 1{V <= t}] = (1 + gamma b)^{-a} P(a, t (1 + gamma b) / b)
 *     P(left by t)   = 1 - P(served by t) - e^{-gamma t} (1 - P(a, t / b))
 *   for shape a = m^2 / v and scale b = v / m.
 * - stationary(): the birth-death chain's stationary law (Mandelbaum & Zeltyn, "The Palm/Erlang-A
 *   queue", 2007): P(wait), E[queue], E[W], P(abandon) = theta E[W], and the share answered
 *   within a threshold.
 * - transient(): the same chain from a given state over time, by uniformization (Jensen's
 *   method: P(t) = sum_n Poisson(n; L t) p0 U^n, U = I + Q / L), in segments of constant arrival
 *   rate. Cost: about L t steps of O(K) for K states.
 *
 * Fractional agents (shared agents, see agents.ts) run the chain with c = round(s) servers of
 * rate mu s / c, which keeps the capacity s mu.
 */
import jstat from "jstat";

const { lowRegGamma } = jstat.jStat;

/** Chain servers and per-server rate for s agents (see the file comment). */
export function chainServers(agents: number, mu: number): { servers: number; perServerMu: number } {
  const servers = Math.max(1, Math.round(agents));
  return { servers, perServerMu: (mu * agents) / servers };
}

export class WaitLaw {
  private mean: number[] = [];
  private variance: number[] = [];

  /** `serviceRate` = s mu (all agents), `exitRate` = gamma, per second. */
  constructor(
    readonly serviceRate: number,
    readonly exitRate: number,
  ) {}

  private grow(j: number): void {
    for (let i = this.mean.length; i <= j; i++) {
      const r = this.serviceRate + i * this.exitRate;
      this.mean.push((i > 0 ? this.mean[i - 1] : 0) + 1 / r);
      this.variance.push((i > 0 ? this.variance[i - 1] : 0) + 1 / (r * r));
    }
  }

  /** E[V_j]: QLm with j ahead. */
  meanWait(j: number): number {
    if (j < 0) return 0;
    this.grow(j);
    return this.mean[j];
  }

  private shapeScale(j: number): [number, number] {
    this.grow(j);
    const m = this.mean[j];
    const v = this.variance[j];
    return [(m * m) / v, v / m];
  }

  /** P(an agent takes the call within t, before the caller leaves). j < 0: an agent is free. */
  served(j: number, t: number): number {
    if (j < 0) return t >= 0 ? 1 : 0;
    if (!(t > 0)) return 0;
    const [a, b] = this.shapeScale(j);
    const k = 1 + this.exitRate * b;
    const p = lowRegGamma(a, Math.min((t * k) / b, 1e12)) * Math.exp(-a * Math.log(k));
    return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0;
  }

  /** P(served at all) = E[e^{-gamma V}]. */
  servedEver(j: number): number {
    if (j < 0) return 1;
    const [a, b] = this.shapeScale(j);
    return Math.exp(-a * Math.log(1 + this.exitRate * b));
  }

  /** [P(served by t), P(left by t)] with two incomplete gammas (left() alone takes three). */
  servedAndLeft(j: number, t: number): [number, number] {
    if (j < 0) return [t >= 0 ? 1 : 0, 0];
    if (!(t > 0)) return [0, 0];
    const served = this.served(j, t);
    if (this.exitRate === 0) return [served, 0];
    const [a, b] = this.shapeScale(j);
    const stillWaiting = Math.exp(-this.exitRate * t) * (1 - lowRegGamma(a, Math.min(t / b, 1e12)));
    const left = 1 - served - stillWaiting;
    return [served, Number.isFinite(left) ? Math.min(1, Math.max(0, left)) : 0];
  }

  /** P(the caller leaves the queue (abandons or flows out) within t, before being served). */
  left(j: number, t: number): number {
    if (j < 0 || !(t > 0) || this.exitRate === 0) return 0;
    const [a, b] = this.shapeScale(j);
    const stillWaiting = Math.exp(-this.exitRate * t) * (1 - lowRegGamma(a, Math.min(t / b, 1e12)));
    const p = 1 - this.served(j, t) - stillWaiting;
    return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0;
  }
}

export interface StationaryErlangA {
  servers: number;
  perServerMu: number;
  /** P(k in the system), k = 0..K (truncated where the rest is below 1e-12). */
  probs: Float64Array;
  /** P(an arrival finds every agent busy) (PASTA). */
  pWait: number;
  meanQueue: number;
  /** E[W] over all arrivals (Little: E[queue] / lambda). */
  meanWait: number;
  /** theta E[W]. */
  pAbandon: number;
  law: WaitLaw;
  /** P(an arrival is answered with a wait <= t). */
  answeredWithin(t: number): number;
}

/**
 * The stationary law at `lambda`, `agents`, `mu`, `theta` (+ `phi` flow-outs, which leave like
 * abandons). Null when an input is missing or the queue is unstable (theta + phi = 0 and
 * lambda >= s mu). Cost O(K) (plus K incomplete gammas per answeredWithin).
 */
export function stationary(lambda: number, agents: number, mu: number, theta: number, phi = 0, maxStates = 20_000): StationaryErlangA | null {
  if (!(lambda >= 0) || !(agents > 0) || !(mu > 0) || !(theta >= 0) || !(phi >= 0)) return null;
  const gamma = theta + phi;
  const { servers: c, perServerMu: m } = chainServers(agents, mu);
  if (gamma === 0 && lambda >= c * m) return null;
  const logs: number[] = [0];
  let max = 0;
  for (let k = 1; k < maxStates; k++) {
    const death = m * Math.min(k, c) + gamma * Math.max(0, k - c);
    const l = lambda === 0 ? -Infinity : logs[k - 1] + Math.log(lambda / death);
    logs.push(l);
    if (l > max) max = l;
    if (k > c && lambda < death && l < max - 40) break;
  }
  const probs = new Float64Array(logs.length);
  let z = 0;
  for (let k = 0; k < logs.length; k++) z += probs[k] = Math.exp(logs[k] - max);
  let pWait = 0;
  let meanQueue = 0;
  for (let k = 0; k < probs.length; k++) {
    probs[k] /= z;
    if (k >= c) {
      pWait += probs[k];
      meanQueue += (k - c) * probs[k];
    }
  }
  const meanWait = lambda > 0 ? meanQueue / lambda : 0;
  const law = new WaitLaw(c * m, gamma);
  return {
    servers: c,
    perServerMu: m,
    probs,
    pWait,
    meanQueue,
    meanWait,
    pAbandon: theta * meanWait,
    law,
    answeredWithin(t: number): number {
      let p = 1 - pWait;
      for (let k = c; k < probs.length; k++) if (probs[k] > 1e-14) p += probs[k] * law.served(k - c, t);
      return p;
    },
  };
}

export interface Segment {
  seconds: number;
  /** Arrivals per second during the segment. */
  lambda: number;
}

/** Poisson mass left out at either end of a uniformization sum. */
const EPS = 1e-10;

/**
 * The chain's law at the end of each segment, from `p0` (its length = K + 1 states; arrivals
 * are refused at K). Death rate in state k: perServerMu min(k, c) + gamma max(k - c, 0).
 * Returns one distribution per segment, the time each state is occupied within each segment
 * (the integral of its probability: int_0^D P(t) dt = sum_n p0 U^n P(Poisson(L D) > n) / L), from
 * which the expected answers and abandons follow exactly, and the steps taken (the cost).
 */
export function transient(p0: Float64Array, segments: readonly Segment[], servers: number, perServerMu: number, gamma: number): { laws: Float64Array[]; occupancy: Float64Array[]; steps: number } {
  const K = p0.length - 1;
  const death = new Float64Array(K + 1);
  for (let k = 0; k <= K; k++) death[k] = perServerMu * Math.min(k, servers) + gamma * Math.max(0, k - servers);
  // Padded by one zero state on each side (index k + 1), so a step has no bounds tests.
  let p = new Float64Array(K + 3);
  let next = new Float64Array(K + 3);
  p.set(p0, 1);
  const stay = new Float64Array(K + 3);
  const down = new Float64Array(K + 3);
  const laws: Float64Array[] = [];
  const occupancy: Float64Array[] = [];
  let steps = 0;
  for (const seg of segments) {
    const lambda = Math.max(0, seg.lambda);
    const seconds = Math.max(0, seg.seconds);
    let rate = 0;
    for (let k = 0; k <= K; k++) rate = Math.max(rate, (k < K ? lambda : 0) + death[k]);
    const a = rate * seconds;
    if (a === 0) {
      laws.push(p.slice(1, K + 2));
      occupancy.push(p.slice(1, K + 2).map((v) => v * seconds));
      continue;
    }
    const up = lambda / rate;
    for (let k = 0; k <= K; k++) {
      stay[k + 1] = 1 - ((k < K ? lambda : 0) + death[k]) / rate;
      down[k + 1] = death[k] / rate;
    }
    // Support: states with mass (below 1e-18 of it is dropped), widening by one a step.
    let lo = 1;
    let hi = K + 1;
    while (lo < hi && p[lo] < 1e-18) lo++;
    while (hi > lo && p[hi] < 1e-18) hi--;
    p.fill(0, 0, lo);
    p.fill(0, hi + 1);
    const out = new Float64Array(K + 3);
    const occ = new Float64Array(K + 3);
    const last = Math.ceil(a + 10 * Math.sqrt(a) + 20);
    let logw = -a;
    let mass = 0;
    for (let n = 0; n <= last; n++) {
      if (n > 0) logw += Math.log(a / n);
      const w = Math.exp(logw);
      mass += w;
      // P(Poisson(a) > n) / rate: the time the chain spends at step n.
      const tail = (1 - mass) / rate;
      if (w > 1e-300) for (let k = lo; k <= hi; k++) out[k] += w * p[k];
      if (tail > 0) for (let k = lo; k <= hi; k++) occ[k] += tail * p[k];
      if (n > a && 1 - mass < EPS) break;
      // One step of U = I + Q / rate.
      if (lo > 1) lo--;
      if (hi < K + 1) hi++;
      for (let k = lo; k <= hi; k++) next[k] = p[k] * stay[k] + p[k - 1] * up + p[k + 1] * down[k + 1];
      // The refused arrivals at K: state K's own "up" is 0, so nothing leaves the padding.
      next[0] = 0;
      next[K + 2] = 0;
      const swap = p;
      p = next;
      next = swap;
      steps++;
    }
    const law = new Float64Array(K + 1);
    const time = new Float64Array(K + 1);
    let spent = 0;
    for (let k = 0; k <= K; k++) {
      law[k] = out[k + 1] / mass;
      spent += time[k] = occ[k + 1];
    }
    if (spent > 0) for (let k = 0; k <= K; k++) time[k] *= seconds / spent;
    laws.push(law);
    occupancy.push(time);
    p.fill(0);
    p.set(law, 1);
    next.fill(0);
  }
  return { laws, occupancy, steps };
}
