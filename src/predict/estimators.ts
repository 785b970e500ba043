/**
 * Rolling estimates of one queue x media's rates over an event-time window (window.ts): the
 * inputs of the wait predictors and forecasts (wait-prediction.md, "Estimating the inputs").
 * Pure: fed values with their event times, read at a time passed in; state is plain JSON.
 *
 * - Arrival rate lambda: offers per second over the window, and a least-squares trend over its
 *   slots (used only when it stands out of the noise: |slope| >= 2 standard errors).
 * - Handle time: answered legs only. Agents who miss an alert get handle and wrap-up segments
 *   too (real weekly aggregates: 817 "handled" against 787 answered), so a leg that was not
 *   answered is refused here and counted, whoever feeds it.
 * - Little's law cross-check: E[handle] = average interacting / answered per second over the
 *   same window. oInteracting counts talk and hold but not wrap-up, so it reads lower than the
 *   handle time when agents do after-call work.
 * - Abandonment rate theta: in Erlang A P(abandon) = theta E[W], so theta = abandons / total
 *   waiting time, the waits of every caller (answered, abandoned, flowed out). Flow-outs give
 *   phi = flow-outs / total waiting time the same way (the rate callers leave for other routes).
 * - LES: the wait of the last caller who reached an agent (by answer time).
 */
import { LevelWindow, SlotWindow, type WindowOptions } from "./window.js";

export type VisitOutcome = "answered" | "abandoned" | "flowout";

export interface EstimatorOptions extends WindowOptions {
  /** Handle samples below which mu falls back to Little's law (default 5). */
  minHandleSamples?: number;
}

/** A value that cannot be a duration of one visit (negative, not finite, over a day). */
const badSeconds = (s: number) => !Number.isFinite(s) || s < 0 || s > 86_400;

export interface ArrivalRate {
  /** Mean offers per second over the covered window. */
  mean: number;
  /** The trend line's value at `now` (mean when the trend is not significant); >= 0. */
  now: number;
  /** Slope (offers per second, per second); 0 unless significant. */
  trend: number;
  /** The fitted slope and its standard error, before the significance test. */
  fittedTrend: number;
  trendStdError: number | null;
  arrivals: number;
  coveredSeconds: number;
}

export class ArrivalEstimator {
  constructor(readonly w: SlotWindow = new SlotWindow(1)) {}

  static create(opts: WindowOptions = {}): ArrivalEstimator {
    return new ArrivalEstimator(new SlotWindow(1, opts));
  }

  offered(at: number): void {
    this.w.add(at, 0, 1);
  }

  /** Null until the window covers some time. */
  rate(now: number): ArrivalRate | null {
    const covered = this.w.coveredMs(now);
    if (covered <= 0) return null;
    const [arrivals] = this.w.read(now);
    const mean = arrivals / (covered / 1000);
    // Weighted least squares of each slot's rate on its mid time (weight = its exposure), empty
    // slots included: a quiet minute is a real zero.
    const start = this.w.windowStart(now);
    const counts = new Map(this.w.series(now).map(([t, [c]]) => [t, c]));
    let sw = 0;
    let st = 0;
    let sy = 0;
    let stt = 0;
    let sty = 0;
    let slots = 0;
    const pts: [number, number, number][] = [];
    for (let t0 = Math.floor(start / this.w.slotMs) * this.w.slotMs; t0 <= now; t0 += this.w.slotMs) {
      const a = Math.max(t0, start);
      const b = Math.min(t0 + this.w.slotMs, now);
      if (b <= a) continue;
      const exposure = (b - a) / 1000;
      const mid = (a + b) / 2000 - now / 1000;
      const y = (counts.get(t0) ?? 0) / exposure;
      pts.push([mid, y, exposure]);
      sw += exposure;
      st += exposure * mid;
      sy += exposure * y;
      stt += exposure * mid * mid;
      sty += exposure * mid * y;
      slots++;
    }
    let fitted = 0;
    let se: number | null = null;
    const sxx = stt - (st * st) / sw;
    if (slots >= 4 && sxx > 0) {
      fitted = (sty - (st * sy) / sw) / sxx;
      const intercept = sy / sw - (fitted * st) / sw;
      let rss = 0;
      for (const [t, y, e] of pts) rss += e * (y - intercept - fitted * t) ** 2;
      se = Math.sqrt(rss / (slots - 2) / sxx);
    }
    const trend = se !== null && Math.abs(fitted) >= 2 * se && se > 0 ? fitted : 0;
    // The line through the weighted mean point, read at now (t = 0).
    const atNow = trend === 0 ? mean : Math.max(0, mean - (trend * st) / sw);
    return { mean, now: atNow, trend, fittedTrend: fitted, trendStdError: se, arrivals, coveredSeconds: covered / 1000 };
  }
}

export interface HandleTime {
  seconds: number;
  samples: number;
}

export class HandleTimeEstimator {
  /** Legs refused because they were not answered (missed alerts), and bad durations. */
  unanswered = 0;
  refused = 0;

  constructor(readonly w: SlotWindow = new SlotWindow(2)) {}

  static create(opts: WindowOptions = {}): HandleTimeEstimator {
    return new HandleTimeEstimator(new SlotWindow(2, opts));
  }

  /** One agent leg's handle time (talk + hold + wrap-up) ending at `at`. */
  leg(at: number, seconds: number, answered: boolean): void {
    if (!answered) {
      this.unanswered++;
      return;
    }
    if (badSeconds(seconds) || !this.w.add(at, 0, 1)) {
      this.refused++;
      return;
    }
    this.w.add(at, 1, seconds);
  }

  aht(now: number): HandleTime | null {
    const [n, sum] = this.w.read(now);
    return n > 0 ? { seconds: sum / n, samples: n } : null;
  }
}

export interface WaitExits {
  /** Abandons per second of waiting; null when no waiting time was seen. */
  theta: number | null;
  /** Flow-outs per second of waiting. */
  phi: number | null;
  answered: number;
  abandoned: number;
  flowout: number;
  totalWaitSeconds: number;
  /** Answered per second of covered time (for Little's law). */
  answeredPerSecond: number | null;
  /** LES: the wait of the last caller who reached an agent, and when (epoch ms); null before any. */
  lastAnswered: { at: number; waitSeconds: number } | null;
}

const OUTCOME_INDEX: Record<VisitOutcome, number> = { answered: 0, abandoned: 1, flowout: 2 };

export class WaitExitEstimator {
  refused = 0;
  /** The caller who last reached an agent (by answer time): LES reads its wait. */
  lastAnswered: { at: number; waitSeconds: number } | null = null;

  constructor(readonly w: SlotWindow = new SlotWindow(4)) {}

  static create(opts: WindowOptions = {}): WaitExitEstimator {
    return new WaitExitEstimator(new SlotWindow(4, opts));
  }

  /** A visit left the queue at `at` after waiting `waitSeconds`. */
  ended(at: number, outcome: VisitOutcome, waitSeconds: number): void {
    const i = OUTCOME_INDEX[outcome];
    if (i === undefined || badSeconds(waitSeconds) || !this.w.add(at, i, 1)) {
      this.refused++;
      return;
    }
    this.w.add(at, 3, waitSeconds);
    if (outcome === "answered" && (this.lastAnswered === null || at >= this.lastAnswered.at)) this.lastAnswered = { at, waitSeconds };
  }

  exits(now: number): WaitExits {
    const [answered, abandoned, flowout, wait] = this.w.read(now);
    const covered = this.w.coveredMs(now) / 1000;
    return {
      theta: wait > 0 ? abandoned / wait : null,
      phi: wait > 0 ? flowout / wait : null,
      answered,
      abandoned,
      flowout,
      totalWaitSeconds: wait,
      answeredPerSecond: covered > 0 ? answered / covered : null,
      lastAnswered: this.lastAnswered && { ...this.lastAnswered },
    };
  }
}

/** Everything the predictors and forecasts take from the estimators, per second. */
export interface SeriesRates {
  arrivals: ArrivalRate | null;
  handle: HandleTime | null;
  /** Little's law: average interacting / answered per second (seconds); null without both. */
  littleHandleSeconds: number | null;
  averageInteracting: number | null;
  /** 1 / handle time; from Little's law while handle samples are fewer than the minimum. */
  mu: number | null;
  muSource: "handle" | "little" | null;
  exits: WaitExits;
}

export interface SeriesEstimatorsState {
  arrivals: unknown;
  handle: unknown;
  exits: unknown;
  interacting: unknown;
  counters: { unanswered: number; refusedHandle: number; refusedEnds: number };
  lastAnswered?: { at: number; waitSeconds: number } | null;
}

/**
 * mu from the handle times when there are enough of them, else from Little's law (average
 * interacting / answered per second); the one rule for a series and for a line.
 */
function withServiceRate(r: Omit<SeriesRates, "littleHandleSeconds" | "mu" | "muSource">, minHandleSamples: number): SeriesRates {
  const little = r.averageInteracting !== null && r.exits.answeredPerSecond ? r.averageInteracting / r.exits.answeredPerSecond : null;
  if (r.handle && r.handle.samples >= minHandleSamples && r.handle.seconds > 0) return { ...r, littleHandleSeconds: little, mu: 1 / r.handle.seconds, muSource: "handle" };
  if (little !== null && little > 0) return { ...r, littleHandleSeconds: little, mu: 1 / little, muSource: "little" };
  return { ...r, littleHandleSeconds: little, mu: null, muSource: null };
}

const sum = (xs: (number | null | undefined)[]): number | null => {
  const known = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
};

/**
 * The rates of a line that several series join (a queue's media types, routed to the same agents
 * longest waiting first): counts, levels and rates add up, so each series weighs by its traffic;
 * theta and phi are re-read from the summed exits and waiting time, mu from the summed handle
 * times or Little's law on the summed levels, LES is the latest answer of any series.
 */
export function lineRates(parts: readonly SeriesRates[], minHandleSamples = 5): SeriesRates {
  if (parts.length === 1) return parts[0];
  const arrivalParts = parts.flatMap((p) => (p.arrivals ? [p.arrivals] : []));
  const errors = arrivalParts.map((a) => a.trendStdError);
  const arrivals: ArrivalRate | null =
    arrivalParts.length === 0
      ? null
      : {
          mean: sum(arrivalParts.map((a) => a.mean))!,
          now: sum(arrivalParts.map((a) => a.now))!,
          trend: sum(arrivalParts.map((a) => a.trend))!,
          fittedTrend: sum(arrivalParts.map((a) => a.fittedTrend))!,
          trendStdError: errors.every((e) => e !== null) ? Math.sqrt(errors.reduce((a, e) => a + e! * e!, 0)) : null,
          arrivals: sum(arrivalParts.map((a) => a.arrivals))!,
          coveredSeconds: Math.max(...arrivalParts.map((a) => a.coveredSeconds)),
        };
  const handleParts = parts.flatMap((p) => (p.handle ? [p.handle] : []));
  const handleSamples = sum(handleParts.map((h) => h.samples)) ?? 0;
  const handle = handleSamples > 0 ? { seconds: sum(handleParts.map((h) => h.seconds * h.samples))! / handleSamples, samples: handleSamples } : null;
  const ex = parts.map((p) => p.exits);
  const abandoned = sum(ex.map((e) => e.abandoned)) ?? 0;
  const flowout = sum(ex.map((e) => e.flowout)) ?? 0;
  const totalWaitSeconds = sum(ex.map((e) => e.totalWaitSeconds)) ?? 0;
  const latest = ex.reduce<WaitExits["lastAnswered"]>((a, e) => (e.lastAnswered && (a === null || e.lastAnswered.at > a.at) ? e.lastAnswered : a), null);
  const exits: WaitExits = {
    theta: totalWaitSeconds > 0 ? abandoned / totalWaitSeconds : null,
    phi: totalWaitSeconds > 0 ? flowout / totalWaitSeconds : null,
    answered: sum(ex.map((e) => e.answered)) ?? 0,
    abandoned,
    flowout,
    totalWaitSeconds,
    answeredPerSecond: sum(ex.map((e) => e.answeredPerSecond)),
    lastAnswered: latest && { ...latest },
  };
  return withServiceRate({ arrivals, handle, averageInteracting: sum(parts.map((p) => p.averageInteracting)), exits }, minHandleSamples);
}

/** The estimators of one queue x media over one window. */
export class SeriesEstimators {
  readonly minHandleSamples: number;

  constructor(
    readonly arrivals: ArrivalEstimator,
    readonly handle: HandleTimeEstimator,
    readonly exitsEstimator: WaitExitEstimator,
    readonly interacting: LevelWindow,
    minHandleSamples = 5,
  ) {
    this.minHandleSamples = minHandleSamples;
  }

  static create(opts: EstimatorOptions = {}): SeriesEstimators {
    return new SeriesEstimators(ArrivalEstimator.create(opts), HandleTimeEstimator.create(opts), WaitExitEstimator.create(opts), new LevelWindow(opts), opts.minHandleSamples ?? 5);
  }

  offered(at: number): void {
    this.arrivals.offered(at);
  }

  ended(at: number, outcome: VisitOutcome, waitSeconds: number): void {
    this.exitsEstimator.ended(at, outcome, waitSeconds);
  }

  handled(at: number, seconds: number, answered: boolean): void {
    this.handle.leg(at, seconds, answered);
  }

  /** oInteracting of this queue x media from `at` on (null: unknown, e.g. while disconnected). */
  interactingNow(at: number, count: number | null): void {
    this.interacting.set(at, count);
  }

  rates(now: number): SeriesRates {
    const handle = this.handle.aht(now);
    const exits = this.exitsEstimator.exits(now);
    const averageInteracting = this.interacting.average(now);
    return withServiceRate({ arrivals: this.arrivals.rate(now), handle, averageInteracting, exits }, this.minHandleSamples);
  }

  toState(): SeriesEstimatorsState {
    return {
      arrivals: this.arrivals.w.toState(),
      handle: this.handle.w.toState(),
      exits: this.exitsEstimator.w.toState(),
      interacting: this.interacting.toState(),
      counters: { unanswered: this.handle.unanswered, refusedHandle: this.handle.refused, refusedEnds: this.exitsEstimator.refused },
      lastAnswered: this.exitsEstimator.lastAnswered,
    };
  }

  /** Estimators from saved state; null when any part is not a valid state. */
  static fromState(x: unknown, minHandleSamples = 5): SeriesEstimators | null {
    if (typeof x !== "object" || x === null) return null;
    const s = x as Partial<SeriesEstimatorsState>;
    const a = SlotWindow.fromState(s.arrivals, 1);
    const h = SlotWindow.fromState(s.handle, 2);
    const e = SlotWindow.fromState(s.exits, 4);
    const i = LevelWindow.fromState(s.interacting);
    if (!a || !h || !e || !i) return null;
    const out = new SeriesEstimators(new ArrivalEstimator(a), new HandleTimeEstimator(h), new WaitExitEstimator(e), i, minHandleSamples);
    const c = s.counters;
    const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
    out.handle.unanswered = n(c?.unanswered);
    out.handle.refused = n(c?.refusedHandle);
    out.exitsEstimator.refused = n(c?.refusedEnds);
    const la = s.lastAnswered;
    if (la && typeof la === "object" && Number.isFinite(la.at) && n(la.waitSeconds) === la.waitSeconds) out.exitsEstimator.lastAnswered = { at: la.at, waitSeconds: la.waitSeconds };
    return out;
  }
}
