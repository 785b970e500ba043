/**
 * Forecasts of one queue x media from its state now:
 *  (a) the current interval's service level at the interval's end, and
 *  (b) the 15-minute answered-wait p90 fifteen minutes ahead (the p90 of the waits of calls
 *      answered in [now, now + 15 min], which the rolling 15-minute window will show then).
 *
 * Model: Erlang A (M/M/s+M), transient from the current queue state. Why: the next 15 to 30
 * minutes are dominated by the callers already waiting and the backlog they leave, which a
 * stationary law ignores (it forecasts the same figures for an empty queue and for 40 waiting),
 * and a fluid model has no wait distribution to read a p90 or a threshold share from. Erlang A
 * is the standard model with abandonment (Mandelbaum & Zeltyn), its inputs are the estimators'
 * (lambda with trend, s, mu, theta, phi), and its transient law is cheap by uniformization.
 *  - Answers and departures before a horizon: exact for the chain, from the time it spends in
 *    each state (erlang-a.ts transient's occupancy): agents take calls at lambda in a state with
 *    a free agent and at s mu in one with callers waiting; callers leave at gamma each.
 *  - Which of them wait less than the threshold (or abandon within the short-abandon time):
 *    callers waiting now, each with its age and place in line, by the Erlang-A wait law
 *    (erlang-a.ts WaitLaw); callers still to come, arriving at lambda(u) = lambda + trend u and
 *    finding the chain's transient state at u (uniformization from state busy + waiting, in
 *    segments of constant rate), by the same law. The arrival integral is a midpoint rule over
 *    `nodes` cells (default 12) of the longer horizon; arrivals with the whole threshold still
 *    ahead of the horizon share one law call per place in line.
 * (a) adds the expected rest of the interval (answered, answered within the threshold, abandoned,
 * short abandons, flow-outs that happen before the interval ends) to what the interval has so far,
 * and applies the service-level policy (aggregate/figures.ts serviceLevel): a ratio of expected
 * counts. (b) inverts the expected distribution of answered waits by bisection (to 0.5 s).
 *
 * Cost per call: uniformization about L T + 6 sqrt(L T / nodes) nodes steps over K states
 * (L = lambda + s mu + (K - s) gamma, T = the longer of the interval's rest and 15 minutes, K =
 * agents + the queue's plausible bound), plus (waiting + occupied states) wait-law calls (two
 * incomplete gammas at most each) for (a) and about 10 times that for (b). bench/predict.bench.ts
 * measures it: under a millisecond for 10 agents, a few for 100. ForecastCache
 * (forecast-cache.ts) keeps a series' forecast until its inputs change (and then at most every
 * `minRecomputeMs`), or `ttlMs` passes.
 */
import { serviceLevel, type ServiceLevelPolicy } from "../aggregate/figures.js";
import { chainServers, transient, WaitLaw, type Segment } from "./erlang-a.js";

export interface IntervalSoFar {
  answered: number;
  overSla: number;
  abandoned: number;
  shortAbandoned: number;
  flowout: number;
}

export interface ForecastInputs {
  now: number;
  /** Callers waiting now. */
  waiting: number | null;
  /** Their waits so far (s); without them they are spread evenly up to holSeconds (or 0). */
  waitingAges?: readonly number[] | null;
  holSeconds?: number | null;
  /** Interactions of this series in progress now (agents busy with it). */
  busy: number | null;
  /** s: agents who can answer (agents.ts). */
  agents: number | null;
  mu: number | null;
  theta: number | null;
  phi?: number | null;
  /** Arrivals per second now, and their trend (per second, per second). */
  lambda: number | null;
  lambdaTrend?: number | null;
  /** The current interval: its end (epoch ms) and its counts so far; null skips (a). */
  interval: { end: number; soFar: IntervalSoFar } | null;
  serviceLevelSeconds: number;
  shortAbandonSeconds: number;
  policy: ServiceLevelPolicy;
}

export interface Forecast {
  /** Ratio 0..1; null when an input is missing or nothing will count in the denominator. */
  intervalServiceLevel: number | null;
  /** Seconds; null when an input is missing or no call is expected to be answered. */
  answeredWaitP90In15m: number | null;
}

export interface ForecastOptions {
  /** Arrival-time quadrature points per horizon (default 12). */
  nodes?: number;
  /** Most waiting states the chain keeps beyond the agents (default 400). */
  maxQueue?: number;
  /** Horizon of (b) (s); default 900. */
  horizonSeconds?: number;
  /** Most uniformization work (steps x states) a call may take (default 30 million, ~50 ms). */
  maxWork?: number;
}

/** Beyond these the inputs are not a queue the model can say anything useful about quickly. */
const MAX_AGENTS = 10_000;
const MAX_WAITING = 10_000;
const MAX_HORIZON_S = 86_400;

/** What a call cost and what it expects for the rest of the interval (filled when passed in). */
export interface ForecastDetail {
  steps: number;
  states: number;
  lawCalls: number;
  /** Expected counts of the interval's rest: answered, answered within the threshold, abandoned, short abandons, flow-outs. */
  expectedRest?: { answered: number; within: number; abandoned: number; shortAbandoned: number; flowout: number };
  /** Why no forecast was made although every input was there (too large to compute in bounds). */
  refused?: string;
}

const ok = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
/** Arrival states lighter than this are left out of the mixtures. */
const LIGHT = 1e-7;

interface Caller {
  age: number;
  ahead: number;
}

/** One arrival node: its time from now, its expected arrivals, and the states it finds. */
interface Node {
  u: number;
  arrivals: number;
  free: number;
  /** [callers ahead, probability] for states with every agent busy. */
  queued: [number, number][];
}

export function forecast(x: ForecastInputs, opts: ForecastOptions = {}, cost?: ForecastDetail): Forecast {
  const none: Forecast = { intervalServiceLevel: null, answeredWaitP90In15m: null };
  if (!ok(x.waiting) || !ok(x.busy) || !ok(x.agents) || x.agents <= 0 || !ok(x.mu) || x.mu <= 0 || !ok(x.theta) || !ok(x.lambda)) return none;
  const phi = ok(x.phi) ? x.phi : 0;
  const gamma = x.theta + phi;
  const trend = typeof x.lambdaTrend === "number" && Number.isFinite(x.lambdaTrend) ? x.lambdaTrend : 0;
  const H = opts.horizonSeconds ?? 900;
  const R = x.interval ? Math.max(0, (x.interval.end - x.now) / 1000) : 0;
  const Q = Math.max(2, Math.floor(opts.nodes ?? 12));
  const tooLarge = x.agents > MAX_AGENTS ? "agents" : x.waiting > MAX_WAITING ? "waiting" : R > MAX_HORIZON_S || H > MAX_HORIZON_S ? "horizon" : null;
  if (tooLarge) {
    if (cost) cost.refused = `${tooLarge} beyond bounds`;
    return none;
  }
  const { servers: c, perServerMu: m } = chainServers(x.agents, x.mu);
  const law = new WaitLaw(c * m, gamma);
  const lambdaAt = (u: number) => Math.max(0, x.lambda! + trend * u);

  // Callers waiting now, oldest first, and their places in line.
  const n = Math.floor(x.waiting);
  const busy = Math.min(c, Math.round((x.busy * c) / x.agents));
  const free = c - busy;
  const ages = waitingAges(n, x.waitingAges, x.holSeconds);
  const callers: Caller[] = ages.map((age, i) => ({ age, ahead: i - free }));
  // Waiting callers with an agent free now (the chain starts them in service): answered at once.
  const atOnce = callers.filter((cl) => cl.ahead < 0).length;

  // The chain's states: agents + a queue bound that the horizon cannot plausibly pass.
  const T = Math.max(R, H);
  const maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 400));
  let peak = 0;
  for (const u of [0, T]) peak = Math.max(peak, lambdaAt(u));
  const K = c + Math.min(maxQueue, queueBound(n, peak, c, m, gamma, T));
  // Bounded cost: the steps uniformization will take (rate x time, plus each segment's tail).
  const rateBound = peak + m * c + gamma * (K - c);
  const work = (rateBound * T + 2 * Q * (6 * Math.sqrt((rateBound * T) / Q + 1) + 20)) * (K + 1);
  if (work > (opts.maxWork ?? 30_000_000)) {
    if (cost) cost.refused = `work ${Math.round(work)} beyond bounds`;
    return none;
  }
  const p0 = new Float64Array(K + 1);
  p0[Math.min(K, busy + n)] = 1;

  // Arrival nodes: midpoints of one grid of Q cells over the longer horizon (a horizon that ends
  // within a cell gets its part of it), so both forecasts share the chain's laws.
  const cell = T / Q;
  const nodesOf = (span: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let a = 0; a < span - 1e-9; a += cell) {
      const b = Math.min(a + cell, span);
      out.push([(a + b) / 2, b - a]);
    }
    return out;
  };
  const times = [...new Set([...nodesOf(R), ...nodesOf(H)].map(([u]) => u).concat([R, H]))].filter((u) => u > 0).sort((a, b) => a - b);
  const segments: Segment[] = [];
  let t = 0;
  for (const u of times) {
    segments.push({ seconds: u - t, lambda: lambdaAt((t + u) / 2) });
    t = u;
  }
  const { laws, occupancy, steps } = transient(p0, segments, c, m, gamma);
  const lawAt = new Map(times.map((u, i) => [u, laws[i]]));
  // Exact expected flows of the chain up to `until`: agents taking calls (an arrival finding one
  // free, or a completion with callers waiting) and callers leaving the queue.
  const flows = (until: number) => {
    let answered = 0;
    let waitingTime = 0;
    let from = 0;
    segments.forEach((seg, i) => {
      from += seg.seconds;
      if (from > until + 1e-9) return;
      const occ = occupancy[i];
      for (let k = 0; k < occ.length; k++) {
        answered += occ[k] * (k < c ? seg.lambda : k > c ? c * m : 0);
        if (k > c) waitingTime += occ[k] * (k - c);
      }
    });
    return { answered: answered + atOnce, left: gamma * waitingTime };
  };
  const node = ([u, width]: [number, number]): Node => {
    const p = lawAt.get(u)!;
    let freeP = 0;
    const queued: [number, number][] = [];
    for (let k = 0; k < p.length; k++) {
      if (k < c) freeP += p[k];
      else if (p[k] > LIGHT) queued.push([k - c, p[k]]);
    }
    return { u, arrivals: lambdaAt(u) * width, free: freeP, queued };
  };
  let lawCalls = 0;
  const served = (j: number, s: number) => {
    lawCalls++;
    return law.served(j, s);
  };
  const left = (j: number, s: number) => {
    lawCalls++;
    return law.left(j, s);
  };

  let intervalServiceLevel: number | null = null;
  if (x.interval) {
    const tau = x.serviceLevelSeconds;
    const short = x.shortAbandonSeconds;
    const share = gamma > 0 ? x.theta / gamma : 0;
    const f = flows(R);
    const rest = { answered: f.answered, within: 0, abandoned: f.left * share, shortAbandoned: 0, flowout: f.left * (1 - share) };
    for (const cl of callers) {
      if (cl.age <= tau) rest.within += served(cl.ahead, Math.min(R, tau - cl.age));
      if (share > 0 && cl.age < short) rest.shortAbandoned += share * left(cl.ahead, Math.min(R, short - cl.age));
    }
    // Arrivals: those with at least the threshold left before the interval ends all have the
    // same chance, so their weights are summed per place in line first (one law call per place).
    const atTau = new Map<number, number>();
    const atShort = new Map<number, number>();
    for (const nu of nodesOf(R)) {
      const nd = node(nu);
      const h = R - nd.u;
      rest.within += nd.arrivals * nd.free;
      for (const [j, pj] of nd.queued) {
        const w = nd.arrivals * pj;
        if (h >= tau) atTau.set(j, (atTau.get(j) ?? 0) + w);
        else rest.within += w * served(j, h);
        if (share > 0) {
          if (h >= short) atShort.set(j, (atShort.get(j) ?? 0) + w);
          else rest.shortAbandoned += w * share * left(j, h);
        }
      }
    }
    for (const [j, w] of atTau) rest.within += w * served(j, tau);
    for (const [j, w] of atShort) rest.shortAbandoned += w * share * left(j, short);
    rest.within = Math.min(rest.within, rest.answered);
    if (cost) cost.expectedRest = { ...rest };
    const s = x.interval.soFar;
    intervalServiceLevel = serviceLevel(
      {
        answered: s.answered + rest.answered,
        overSla: s.overSla + (rest.answered - rest.within),
        abandoned: s.abandoned + rest.abandoned,
        shortAbandoned: s.shortAbandoned + rest.shortAbandoned,
        flowout: s.flowout + rest.flowout,
      },
      x.policy,
    );
    if (intervalServiceLevel !== null) intervalServiceLevel = Math.min(1, Math.max(0, intervalServiceLevel));
  }

  // (b): expected calls answered in [now, now + H] with a wait <= w, against all of them.
  const nodesH = nodesOf(H).map(node);
  const total = flows(H).answered;
  const atHorizon = new Map<Node, number>();
  const answeredBy = (w: number): number => {
    let sum = 0;
    for (const cl of callers) if (cl.age <= w) sum += served(cl.ahead, Math.min(H, w - cl.age));
    // Arrivals with more than w left before the horizon: summed per place in line.
    const weights = new Map<number, number>();
    for (const nd of nodesH) {
      sum += nd.arrivals * nd.free;
      if (H - nd.u > w) {
        for (const [j, pj] of nd.queued) weights.set(j, (weights.get(j) ?? 0) + nd.arrivals * pj);
      } else {
        let v = atHorizon.get(nd);
        if (v === undefined) {
          v = 0;
          for (const [j, pj] of nd.queued) v += nd.arrivals * pj * served(j, H - nd.u);
          atHorizon.set(nd, v);
        }
        sum += v;
      }
    }
    for (const [j, wt] of weights) sum += wt * served(j, w);
    return sum;
  };
  let answeredWaitP90In15m: number | null = null;
  if (total > 1e-9) {
    let lo = 0;
    let hi = H + (ages.length > 0 ? ages[0] : 0);
    while (hi - lo > 1) {
      const mid = (lo + hi) / 2;
      if (answeredBy(mid) >= 0.9 * total) hi = mid;
      else lo = mid;
    }
    answeredWaitP90In15m = Math.round(((lo + hi) / 2) * 10) / 10;
  }
  if (cost) {
    cost.steps += steps;
    cost.states = Math.max(cost.states, K + 1);
    cost.lawCalls += lawCalls;
  }
  return { intervalServiceLevel, answeredWaitP90In15m };
}

/**
 * Waiting places the chain needs beyond the agents: the larger of where the queue starts (plus
 * what can arrive meanwhile) and the queue's 1 - 1e-9 stationary quantile at the peak rate; for
 * an overloaded queue without abandonment, its growth over the horizon.
 */
function queueBound(n: number, lambda: number, c: number, m: number, gamma: number, T: number): number {
  const cap = c * m;
  if (gamma === 0 && lambda >= cap) return Math.ceil(n + (lambda - cap) * T + 6 * Math.sqrt(lambda * T + 1) + 10);
  // Stationary queue law: q_j proportional to prod_{i=1..j} lambda / (c m + i gamma) (times P(all busy)).
  let term = 1;
  let sum = 1;
  const terms = [1];
  for (let j = 1; j < 5000; j++) {
    term *= lambda / (cap + j * gamma);
    terms.push(term);
    sum += term;
    if (term < 1e-12 * sum && lambda < cap + j * gamma) break;
  }
  let acc = 0;
  let q = terms.length - 1;
  for (let j = 0; j < terms.length; j++) {
    acc += terms[j];
    if (acc >= (1 - 1e-9) * sum) {
      q = j;
      break;
    }
  }
  return Math.max(q, n + Math.ceil(2 * Math.sqrt(n + 1))) + 10;
}

/** Ages of the n waiting callers, oldest first: the known ones, else spread evenly up to the longest wait. */
function waitingAges(n: number, known: readonly number[] | null | undefined, hol: number | null | undefined): number[] {
  if (known && known.length > 0) {
    const a = known.filter(ok).sort((x, y) => y - x);
    return a.slice(0, Math.max(n, 0)).concat(Array.from({ length: Math.max(0, n - a.length) }, () => 0));
  }
  const oldest = ok(hol) ? hol : 0;
  return Array.from({ length: n }, (_, i) => (n === 1 ? oldest : (oldest * (n - 1 - i)) / (n - 1)));
}
