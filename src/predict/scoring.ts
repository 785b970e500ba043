/**
 * Online scoring of the wait predictors, per queue x media, and the choice of the one served.
 *
 * At each caller's arrival every predictor's prediction is kept, keyed by the visit; when the
 * visit ends it is scored against the wait the caller had (wait-prediction.md, "Scoring"):
 * - answered: the wait is a value; error = predicted - actual.
 * - abandoned or flowed out: the wait is right-censored, a lower bound of the wait the caller
 *   would have had. Only a prediction below it is an error, by how much it is below (negative);
 *   one at or above it scores 0. The bound counts in mean(actual) like a value.
 * Over the last hour of event time (5-minute slots, so 55 to 60 minutes): relative RMSE = sqrt(mean(error^2)) /
 * mean(actual) and bias = mean(error), per predictor, over the visits it made a prediction for.
 *
 * Bias correction (default on): the served wait is the chosen predictor's prediction less its
 * recent mean error, and predictors are ranked by the error that leaves (sqrt(mean e^2 - bias^2)
 * / mean actual), since RMSE^2 = variance + bias^2 and the bias is the part that can be taken
 * away (HOL, for one, runs short in every backtest scenario). With censored visits the mean
 * error leans negative, which moves predictions up: never an error for a caller who gave up later.
 *
 * Serving: a predictor is eligible once it has `minSamples` scored visits in the window. The one
 * served stays until an eligible challenger's error is lower by `hysteresis` (default 10 %) and
 * by more than the two errors' sampling noise: the challenger's error plus `switchStdErrors`
 * (default 1) standard errors must stay below the incumbent's less as many. On 10 to 30 visits
 * an RRMSE is uncertain by 15 to 30 %, and a fixed margin alone let a predictor that was lucky on
 * its first visits take over (the backtest: refined HOL chosen on 21 visits, where it served 2.7
 * times HOL's error). The fallback served before any was eligible counts as the incumbent (on a
 * tie it stays, as a chosen one would). Before any is eligible (and when the chosen one has no
 * prediction now) the delay-history predictors come first: HOL, LES, then QLm, QL, HOLr. The
 * published comparisons (Ibrahim & Whitt) favour queue-length predictors when the model holds,
 * but their inputs (mu, theta, the agents' share) are estimates that take the estimator window
 * to settle; on the backtest (bench/prediction.bench.ts) HOL is the best single predictor on two
 * scenarios of four, and scoring moves to QLm or QL where they are better.
 *
 * Bounded memory: predictions of visits that never end (lost end events) expire after
 * `pendingMaxAgeMs` (default 4 hours) and at most `maxPending` are kept (the oldest go first);
 * both are counted. The state is plain JSON.
 */
import type { VisitOutcome } from "./estimators.js";
import { PREDICTORS, type PredictorName, type Predictions } from "./predictors.js";
import { SlotWindow, type SlotWindowState } from "./window.js";

export interface ScoringOptions {
  /** Window of scores (ms); default one hour. */
  windowMs?: number;
  /** Slot of the score window (ms); default 5 minutes. */
  slotMs?: number;
  /** Scored visits before a predictor can be chosen (default 20). */
  minSamples?: number;
  /** Relative RRMSE margin a challenger needs to replace the served predictor (default 0.1). */
  hysteresis?: number;
  pendingMaxAgeMs?: number;
  maxPending?: number;
  /** Serve each predictor less its recent mean error, and choose by the error left (default true). */
  correctBias?: boolean;
  /** Standard errors by which a challenger's error must clear the incumbent's, each side (default 1; 0: the hysteresis alone). */
  switchStdErrors?: number;
}

export interface PredictorScore {
  /** null until it has samples (or while mean(actual) is 0). */
  rrmse: number | null;
  /** Mean error (s); null without samples. */
  bias: number | null;
  samples: number;
  censored: number;
  meanActualSeconds: number | null;
  /** The RRMSE left once the mean error is taken away: sqrt(mean e^2 - bias^2) / mean actual. */
  correctedRrmse: number | null;
  /**
   * The standard error of either RRMSE from the spread of the squared errors (delta method:
   * SE(mean e^2) / (2 sqrt(mean e^2) mean actual)); null with fewer than 2 samples.
   */
  rrmseStdError: number | null;
}

export interface ServedWait {
  waitSeconds: number | null;
  predictor: PredictorName | null;
  rrmse: number | null;
  samples: number;
}

export interface ScoreboardState {
  chosen: PredictorName | null;
  pending: [string, number, (number | null)[]][];
  windows: Partial<Record<PredictorName, SlotWindowState>>;
  counters: ScoreboardCounters;
}

export interface ScoreboardCounters {
  scored: number;
  expired: number;
  evicted: number;
  duplicate: number;
  unknownVisit: number;
  refused: number;
}

const FALLBACK: readonly PredictorName[] = ["HOL", "LES", "QLm", "QL", "HOLr"];
/** Sums per predictor and slot (see `windows`); state saved before the 4th-power sum was added has 5. */
const WIDTH = 6;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const value = (v: unknown): v is number => finite(v) && v >= 0;

export class PredictorScoreboard {
  readonly minSamples: number;
  readonly hysteresis: number;
  readonly pendingMaxAgeMs: number;
  readonly maxPending: number;
  readonly correctBias: boolean;
  readonly switchStdErrors: number;
  counters: ScoreboardCounters = { scored: 0, expired: 0, evicted: 0, duplicate: 0, unknownVisit: 0, refused: 0 };
  private chosen: PredictorName | null = null;
  /** visit -> [arrival time, predictions in PREDICTORS order]; insertion order = arrival order. */
  private readonly pending = new Map<string, [number, (number | null)[]]>();
  /** Per predictor: [count, sum error, sum error^2, sum actual, censored, sum error^4]. */
  private readonly windows = new Map<PredictorName, SlotWindow>();

  constructor(private readonly opts: ScoringOptions = {}) {
    this.minSamples = Math.max(1, opts.minSamples ?? 20);
    this.hysteresis = Math.max(0, opts.hysteresis ?? 0.1);
    this.pendingMaxAgeMs = opts.pendingMaxAgeMs ?? 4 * 3_600_000;
    this.maxPending = Math.max(1, opts.maxPending ?? 5000);
    this.correctBias = opts.correctBias ?? true;
    this.switchStdErrors = Math.max(0, opts.switchStdErrors ?? 1);
    for (const p of PREDICTORS) this.windows.set(p, this.newWindow());
  }

  private newWindow(): SlotWindow {
    return new SlotWindow(WIDTH, { spanMs: this.opts.windowMs ?? 3_600_000, slotMs: this.opts.slotMs ?? 300_000 });
  }

  /** Whether a prediction is kept for this visit (not yet scored). */
  has(visit: string): boolean {
    return this.pending.has(visit);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The predictions made at a caller's arrival. A second call for the same visit is ignored. */
  predict(visit: string, at: number, predictions: Predictions): void {
    if (!finite(at)) {
      this.counters.refused++;
      return;
    }
    if (this.pending.has(visit)) {
      this.counters.duplicate++;
      return;
    }
    this.expire(at);
    while (this.pending.size >= this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.counters.evicted++;
    }
    this.pending.set(
      visit,
      [at, PREDICTORS.map((p) => (value(predictions[p]) ? predictions[p] : null))],
    );
  }

  /** The visit ended at `at` after `waitSeconds`; false when no prediction was kept for it. */
  resolve(visit: string, at: number, outcome: VisitOutcome, waitSeconds: number): boolean {
    const entry = this.pending.get(visit);
    if (!entry) {
      this.counters.unknownVisit++;
      return false;
    }
    this.pending.delete(visit);
    if (!finite(at) || !value(waitSeconds) || (outcome !== "answered" && outcome !== "abandoned" && outcome !== "flowout")) {
      this.counters.refused++;
      return false;
    }
    const censored = outcome !== "answered";
    PREDICTORS.forEach((p, i) => {
      const pred = entry[1][i];
      if (pred === null) return;
      const error = censored ? Math.min(0, pred - waitSeconds) : pred - waitSeconds;
      const w = this.windows.get(p)!;
      w.add(at, 0, 1);
      w.add(at, 1, error);
      w.add(at, 2, error * error);
      w.add(at, 3, waitSeconds);
      if (censored) w.add(at, 4, 1);
      w.add(at, 5, error ** 4);
    });
    this.counters.scored++;
    return true;
  }

  /** Drops predictions older than the pending age limit; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [visit, [at]] of this.pending) {
      if (at >= now - this.pendingMaxAgeMs) break;
      this.pending.delete(visit);
      n++;
    }
    this.counters.expired += n;
    return n;
  }

  score(p: PredictorName, now: number): PredictorScore {
    const [n, sumE, sumE2, sumA, censored, sumE4] = this.windows.get(p)!.read(now);
    if (n <= 0) return { rrmse: null, bias: null, samples: 0, censored: 0, meanActualSeconds: null, correctedRrmse: null, rrmseStdError: null };
    const meanA = sumA / n;
    const bias = sumE / n;
    const mse = Math.max(0, sumE2 / n);
    const rrmse = meanA > 0 ? Math.sqrt(mse) / meanA : null;
    const correctedRrmse = meanA > 0 ? Math.sqrt(Math.max(0, mse - bias * bias)) / meanA : null;
    const seMse = n >= 2 ? Math.sqrt(Math.max(0, sumE4 / n - mse * mse) / (n - 1)) : null;
    const rrmseStdError = seMse === null || meanA <= 0 ? null : mse > 0 ? seMse / (2 * Math.sqrt(mse) * meanA) : 0;
    return { rrmse, bias, samples: n, censored, meanActualSeconds: meanA, correctedRrmse, rrmseStdError };
  }

  scores(now: number): Record<PredictorName, PredictorScore> {
    return Object.fromEntries(PREDICTORS.map((p) => [p, this.score(p, now)])) as Record<PredictorName, PredictorScore>;
  }

  /** The error a predictor is judged by: its RRMSE, or what is left of it after the bias correction. */
  private error(x: PredictorScore): number | null {
    return this.correctBias ? x.correctedRrmse : x.rrmse;
  }

  /** The predictor served now, after applying the hysteresis rule (see the file comment). */
  choose(now: number): PredictorName | null {
    const s = this.scores(now);
    const err = (p: PredictorName) => this.error(s[p]);
    const eligible = PREDICTORS.filter((p) => s[p].samples >= this.minSamples && err(p) !== null);
    if (eligible.length === 0) return this.chosen;
    const best = eligible.reduce((a, b) => (err(b)! < err(a)! ? b : a));
    // Until one is chosen, the first eligible fallback (the one served so far) is the incumbent a challenger must beat.
    const cur = this.chosen ?? FALLBACK.find((p) => eligible.includes(p)) ?? null;
    const se = (p: PredictorName) => this.switchStdErrors * (s[p].rrmseStdError ?? 0);
    const beats = cur !== null && err(best)! < err(cur)! * (1 - this.hysteresis) && err(best)! + se(best) < err(cur)! - se(cur);
    this.chosen = cur === null || !eligible.includes(cur) || beats ? best : cur;
    return this.chosen;
  }

  /** The wait to show for a caller arriving now, from the predictions made now. */
  serve(now: number, predictions: Predictions): ServedWait {
    const chosen = this.choose(now);
    const s = this.scores(now);
    const err = (p: PredictorName) => this.error(s[p]);
    const ranked = PREDICTORS.filter((p) => s[p].samples >= this.minSamples && err(p) !== null).sort((a, b) => err(a)! - err(b)!);
    const order = [...(chosen ? [chosen] : []), ...ranked, ...FALLBACK];
    for (const p of order) {
      const v = predictions[p];
      if (!value(v)) continue;
      // A scored predictor is served less its recent mean error; 0 (answered at once) stays 0.
      const bias = s[p].samples >= this.minSamples ? s[p].bias : null;
      if (this.correctBias && bias !== null && v > 0) return { waitSeconds: Math.max(0, v - bias), predictor: p, rrmse: err(p), samples: s[p].samples };
      return { waitSeconds: v, predictor: p, rrmse: err(p), samples: s[p].samples };
    }
    return { waitSeconds: null, predictor: null, rrmse: null, samples: 0 };
  }

  toState(): ScoreboardState {
    const windows: Partial<Record<PredictorName, SlotWindowState>> = {};
    for (const [p, w] of this.windows) windows[p] = w.toState();
    return { chosen: this.chosen, pending: [...this.pending].map(([v, [at, preds]]) => [v, at, [...preds]]), windows, counters: { ...this.counters } };
  }

  /** A scoreboard from saved state; null when it is not one. */
  static fromState(x: unknown, opts: ScoringOptions = {}): PredictorScoreboard | null {
    if (typeof x !== "object" || x === null) return null;
    const s = x as Partial<ScoreboardState>;
    if (!Array.isArray(s.pending) || typeof s.windows !== "object" || s.windows === null) return null;
    const b = new PredictorScoreboard(opts);
    if (s.chosen !== null && s.chosen !== undefined && !PREDICTORS.includes(s.chosen)) return null;
    b.chosen = s.chosen ?? null;
    for (const p of PREDICTORS) {
      const saved = (s.windows as Record<string, unknown>)[p];
      if (saved === undefined) continue;
      const w = SlotWindow.fromState(saved, WIDTH, 5);
      if (!w) return null;
      b.windows.set(p, w);
    }
    for (const e of s.pending) {
      if (!Array.isArray(e) || typeof e[0] !== "string" || !finite(e[1]) || !Array.isArray(e[2]) || e[2].length !== PREDICTORS.length) return null;
      if (!e[2].every((v: unknown) => v === null || value(v))) return null;
      b.pending.set(e[0], [e[1], e[2] as (number | null)[]]);
    }
    const c = s.counters;
    if (c && typeof c === "object") for (const k of Object.keys(b.counters) as (keyof ScoreboardCounters)[]) if (value(c[k])) b.counters[k] = c[k];
    while (b.pending.size > b.maxPending) {
      b.pending.delete(b.pending.keys().next().value as string);
      b.counters.evicted++;
    }
    return b;
  }
}
