/**
 * Wait predictors for a caller who arrives now (wait-prediction.md, "Predictors"), per queue x
 * media. Pure; every input may be unknown (null) and a predictor whose inputs are missing says
 * null rather than guess.
 *
 * No agents (s = 0): QL and QLm are null, not Infinity. In the model the wait is unbounded, but
 * Infinity is neither JSON nor scorable, and the served figure then falls back to a delay-history
 * predictor (HOL, LES), which still says something true about the queue.
 *
 * Answered at once: when fewer callers wait than agents are idle (`idle` > n), the new caller
 * gets an agent without waiting, so every predictor says 0 (the model-based ones assume all
 * agents are busy: QL for n = 0 would say 1 / (s mu)).
 */

export type PredictorName = "QL" | "QLm" | "HOL" | "HOLr" | "LES";
export const PREDICTORS: readonly PredictorName[] = ["QL", "QLm", "HOL", "HOLr", "LES"];

export interface PredictionInputs {
  /** n: callers waiting ahead of the new caller. */
  waiting: number | null;
  /** s: agents who can answer (may be fractional for shared agents). */
  agents: number | null;
  /** Agents idle now; > waiting means the caller is answered at once. */
  idle?: number | null;
  /** mu: service rate of one agent, per second (1 / AHT). */
  mu: number | null;
  /** theta: abandonment rate per second of waiting. */
  theta: number | null;
  /** phi: flow-out rate per second of waiting (callers ahead who leave for another route); default 0. */
  phi?: number | null;
  /** lambda: arrival rate now, per second. */
  lambda: number | null;
  /** w_HOL: elapsed wait of the oldest waiting caller (s); null when nobody waits or unknown. */
  holSeconds: number | null;
  /** The wait of the last caller who reached an agent (s). */
  lesSeconds: number | null;
}

export type Predictions = Record<PredictorName, number | null>;

const known = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const positive = (v: number | null | undefined): v is number => known(v) && v > 0;

/**
 * QL: `(n + 1) / (s mu)`. The M/M/s conditional mean wait given n ahead, all agents busy; its
 * conditional variance is (n + 1) / (s mu)^2. Source: Ibrahim & Whitt, M&SOM 11(3), 2009.
 */
export function ql(n: number | null, s: number | null, mu: number | null): number | null {
  if (!known(n) || !positive(s) || !positive(mu)) return null;
  return (Math.floor(n) + 1) / (s * mu);
}

/**
 * QLm (Erlang A, M/M/s+M): `sum_{i=0..n} 1 / (s mu + i theta)`. With i callers ahead, the next
 * one moves on at rate s mu (an agent frees) + i theta (one ahead abandons); the caller's own
 * patience does not count (this is the wait until an agent takes the call). Equals QL at theta = 0.
 * Source: Ibrahim & Whitt, Management Science 55(10), 2009; Mandelbaum & Zeltyn (2007).
 * `exitRate` = theta (+ phi when flow-outs also leave from the queue ahead).
 */
export function qlm(n: number | null, s: number | null, mu: number | null, exitRate: number | null): number | null {
  if (!known(n) || !positive(s) || !positive(mu) || !known(exitRate)) return null;
  const r = s * mu;
  let sum = 0;
  for (let i = Math.floor(n); i >= 0; i--) sum += 1 / (r + i * exitRate);
  return sum;
}

/**
 * HOL: the elapsed wait of the caller at the head of the line now. Needs no model; biased when
 * arrivals change within the hour. Source: Ibrahim & Whitt, M&SOM 11(3), 2009.
 */
export function hol(holSeconds: number | null): number | null {
  return known(holSeconds) ? holSeconds : null;
}

/**
 * Refined HOL: `(lambda w_HOL + 1) / (s mu)`: QL with n estimated from the oldest wait (callers
 * arrived during it). Source: Ibrahim & Whitt, Operations Research 59(5), 2011.
 */
export function holRefined(lambda: number | null, holSeconds: number | null, s: number | null, mu: number | null): number | null {
  if (!known(lambda) || !known(holSeconds) || !positive(s) || !positive(mu)) return null;
  return (lambda * holSeconds + 1) / (s * mu);
}

/**
 * LES: the wait of the last caller to enter service. Lags behind changes; about as good as HOL
 * in steady state. Source: Ibrahim & Whitt, M&SOM 11(3), 2009.
 */
export function les(lesSeconds: number | null): number | null {
  return known(lesSeconds) ? lesSeconds : null;
}

/** Every predictor for the same inputs (see the file comment for the answered-at-once rule). */
export function predictAll(x: PredictionInputs): Predictions {
  const n = known(x.waiting) ? Math.floor(x.waiting) : null;
  if (n !== null && known(x.idle) && Math.floor(x.idle) > n) return { QL: 0, QLm: 0, HOL: 0, HOLr: 0, LES: 0 };
  const exit = known(x.theta) ? x.theta + (known(x.phi) ? x.phi : 0) : null;
  return {
    QL: ql(n, x.agents, x.mu),
    QLm: qlm(n, x.agents, x.mu, exit),
    // With nobody waiting there is no head of the line to read; refined HOL then reads w_HOL = 0.
    HOL: n === 0 ? null : hol(x.holSeconds),
    HOLr: holRefined(x.lambda, n === 0 ? 0 : x.holSeconds, x.agents, x.mu),
    LES: les(x.lesSeconds),
  };
}
