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
 *  - Callers waiting now: each with its age and place in line; its chance to be answered within
 *    the time left (and within the threshold minus its age), or to leave, from the Erlang-A
 *    wait law (erlang-a.ts WaitLaw).
 *  - Callers still to come: arrivals at lambda(u) = lambda + trend u (u from now), each finding
 *    the chain's transient state at u (uniformization from state busy + waiting, in segments of
 *    constant rate), then the same wait law. The arrival integral is a midpoint rule with
 *    `nodes` points (default 12).
 * (a) adds the expected rest of the interval (answered, answered within the threshold, abandoned,
 * short abandons, flow-outs that happen before the interval ends) to what the interval has so far,
 * and applies the service-level policy (aggregate/figures.ts serviceLevel): a ratio of expected
 * counts. (b) inverts the expected distribution of answered waits by bisection (0.5 s).
 *
 * Cost per call: uniformization L T steps over K states (L = lambda + s mu + K gamma, T = the
 * longer of the interval's rest and 15 minutes), plus about (waiting + nodes x occupied states)
 * incomplete gammas for (a) and 12 times that for (b); bench/predict.bench.ts measures it.
 * ForecastCache keeps a series' forecast until its inputs change (and then at most every
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
}

/** What a call cost and what it expects for the rest of the interval (filled when passed in). */
export interface ForecastDetail {
  steps: number;
  states: number;
  lawCalls: number;
  /** Expected counts of the interval's rest: answered, answered within the threshold, abandoned, short abandons, flow-outs. */
  expectedRest?: { answered: number; within: number; abandoned: number; shortAbandoned: number; flowout: number };
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
  const { servers: c, perServerMu: m } = chainServers(x.agents, x.mu);
  const law = new WaitLaw(c * m, gamma);
  const lambdaAt = (u: number) => Math.max(0, x.lambda! + trend * u);

  // Callers waiting now, oldest first, and their places in line.
  const n = Math.floor(x.waiting);
  const busy = Math.min(c, Math.round((x.busy * c) / x.agents));
  const free = c - busy;
  const ages = waitingAges(n, x.waitingAges, x.holSeconds);
  const callers: Caller[] = ages.map((age, i) => ({ age, ahead: i - free }));

  // The chain's states: agents + a queue bound that the horizon cannot plausibly pass.
  const T = Math.max(R, H);
  const maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 400));
  let peak = 0;
  for (const u of [0, T]) peak = Math.max(peak, lambdaAt(u));
  const drift = gamma > 0 ? Math.max(0, peak - c * m) / gamma : Math.max(0, peak - c * m) * T;
  const K = c + Math.min(maxQueue, Math.ceil(Math.max(n, drift) * 1.5 + 8 * Math.sqrt(Math.max(n, drift, peak / Math.max(c * m, 1e-9)) + 1) + 30));
  const p0 = new Float64Array(K + 1);
  p0[Math.min(K, busy + n)] = 1;

  // Node times of both horizons, then the chain's law at each.
  const nodeTimes = (span: number) => Array.from({ length: span > 0 ? Q : 0 }, (_, q) => ((q + 0.5) * span) / Q);
  const times = [...new Set([...nodeTimes(R), ...nodeTimes(H)])].sort((a, b) => a - b);
  const segments: Segment[] = [];
  let t = 0;
  for (const u of times) {
    segments.push({ seconds: u - t, lambda: lambdaAt((t + u) / 2) });
    t = u;
  }
  const { laws, steps } = transient(p0, segments, c, m, gamma);
  const lawAt = new Map(times.map((u, i) => [u, laws[i]]));
  const node = (u: number, span: number): Node => {
    const p = lawAt.get(u)!;
    let freeP = 0;
    const queued: [number, number][] = [];
    for (let k = 0; k < p.length; k++) {
      if (k < c) freeP += p[k];
      else if (p[k] > LIGHT) queued.push([k - c, p[k]]);
    }
    return { u, arrivals: (lambdaAt(u) * span) / Q, free: freeP, queued };
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
    const rest = { answered: 0, within: 0, abandoned: 0, shortAbandoned: 0, flowout: 0 };
    const share = gamma > 0 ? x.theta / gamma : 0;
    const add = (w: number, ahead: number, age: number, h: number) => {
      const ans = served(ahead, h);
      rest.answered += w * ans;
      if (age <= tau) rest.within += w * (ahead < 0 ? 1 : served(ahead, Math.min(h, tau - age)));
      if (gamma > 0) {
        const out = left(ahead, h);
        rest.abandoned += w * out * share;
        rest.flowout += w * out * (1 - share);
        if (age < short) rest.shortAbandoned += w * share * left(ahead, Math.min(h, short - age));
      }
    };
    for (const cl of callers) add(1, cl.ahead, cl.age, R);
    for (const u of nodeTimes(R)) {
      const nd = node(u, R);
      rest.answered += nd.arrivals * nd.free;
      rest.within += nd.arrivals * nd.free;
      for (const [j, pj] of nd.queued) add(nd.arrivals * pj, j, 0, R - u);
    }
    if (cost) cost.expectedRest = { ...rest };
    const s = x.interval.soFar;
    const answered = s.answered + rest.answered;
    intervalServiceLevel = serviceLevel(
      {
        answered,
        overSla: s.overSla + (rest.answered - rest.within),
        abandoned: s.abandoned + rest.abandoned,
        shortAbandoned: s.shortAbandoned + rest.shortAbandoned,
        flowout: s.flowout + rest.flowout,
      },
      x.policy,
    );
    if (intervalServiceLevel !== null) intervalServiceLevel = Math.min(1, Math.max(0, intervalServiceLevel));
  }

  // (b): expected answered calls in [now, now + H] with wait <= w, over all of them.
  const nodesH = nodeTimes(H).map((u) => node(u, H));
  const total = answeredBy(Infinity, callers, nodesH, H, served);
  let answeredWaitP90In15m: number | null = null;
  if (total > 1e-9) {
    let lo = 0;
    let hi = H + (ages.length > 0 ? ages[0] : 0);
    while (hi - lo > 0.5) {
      const mid = (lo + hi) / 2;
      if (answeredBy(mid, callers, nodesH, H, served) >= 0.9 * total) hi = mid;
      else lo = mid;
    }
    answeredWaitP90In15m = Math.round(hi * 10) / 10;
  }
  if (cost) {
    cost.steps += steps;
    cost.states = Math.max(cost.states, K + 1);
    cost.lawCalls += lawCalls;
  }
  return { intervalServiceLevel, answeredWaitP90In15m };
}

/** Expected calls answered within the horizon with a wait of at most `w` seconds. */
function answeredBy(w: number, callers: Caller[], nodes: Node[], H: number, served: (j: number, s: number) => number): number {
  let sum = 0;
  for (const c of callers) if (c.age <= w) sum += served(c.ahead, Math.min(H, w - c.age));
  for (const nd of nodes) {
    sum += nd.arrivals * nd.free;
    const h = Math.min(H - nd.u, w);
    for (const [j, pj] of nd.queued) sum += nd.arrivals * pj * served(j, h);
  }
  return sum;
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

export interface ForecastCacheOptions {
  /** A forecast older than this is recomputed (default 30 s). */
  ttlMs?: number;
  /** Changed inputs recompute at most this often (default 2 s). */
  minRecomputeMs?: number;
  forecast?: ForecastOptions;
}

/**
 * Forecasts per series, recomputed when their inputs change (rounded: rates to 3 significant
 * digits) but not more often than `minRecomputeMs`, and at least every `ttlMs`.
 */
export class ForecastCache {
  private readonly entries = new Map<string, { at: number; sig: string; value: Forecast }>();
  computed = 0;
  reused = 0;

  constructor(private readonly opts: ForecastCacheOptions = {}) {}

  get(series: string, x: ForecastInputs): Forecast {
    const sig = signature(x);
    const e = this.entries.get(series);
    const age = e ? x.now - e.at : Infinity;
    if (e && age >= 0 && age < (this.opts.ttlMs ?? 30_000) && (e.sig === sig || age < (this.opts.minRecomputeMs ?? 2000))) {
      this.reused++;
      return e.value;
    }
    const value = forecast(x, this.opts.forecast);
    this.entries.set(series, { at: x.now, sig, value });
    this.computed++;
    return value;
  }

  forget(series: string): void {
    this.entries.delete(series);
  }

  get size(): number {
    return this.entries.size;
  }
}

function signature(x: ForecastInputs): string {
  const r = (v: number | null | undefined) => (typeof v === "number" && Number.isFinite(v) ? v.toPrecision(3) : "-");
  const s = x.interval?.soFar;
  return [x.waiting, x.busy, r(x.agents), r(x.mu), r(x.theta), r(x.phi), r(x.lambda), r(x.lambdaTrend), r(x.holSeconds), x.interval?.end ?? "-", s ? `${s.answered},${s.overSla},${s.abandoned},${s.shortAbandoned},${s.flowout}` : "-"].join("|");
}
