/**
 * Who is there to answer and what is coming, per queue x media: staffing merged from the
 * observations topic and query, the rolling estimates of the counted events, the predictors
 * scored online against the waits callers then had, and the Erlang-A forecasts. No I/O: the
 * monitor feeds it counted events, observations and staffing, and it fills in the `now.agents`,
 * `predicted` and `forecast` parts of the engine's snapshots. Its state is plain JSON (restored
 * after a restart, then refreshed by the observations query).
 *
 * Predictions are made for live offers only: an offer counted long after it happened (backfill)
 * would be predicted from what the queue looks like now. Its end still feeds the estimators.
 */
import type { Engine } from "../aggregate/engine.js";
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { AgentsNow } from "../domain/queue-outlook.js";
import { seriesKey, type QueueEvent } from "../domain/queue-event.js";
import { StaffingMerger, type Staffing, type StaffingUpdate } from "../normalize/staffing.js";
import { ms } from "../normalize/time.js";
import { agentShare, busyMembers, servingAgents } from "./agents.js";
import type { PredictionSettings } from "./config.js";
import { SeriesEstimators } from "./estimators.js";
import { ForecastCache } from "./forecast-cache.js";
import type { ForecastInputs } from "./forecast.js";
import { predictAll, type PredictionInputs, type Predictions } from "./predictors.js";
import { PredictorScoreboard, type PredictorScore, type ServedWait } from "./scoring.js";
import { LevelWindow } from "./window.js";

/**
 * Which scoreboard a caller's prediction goes to: nobody ahead (0) or callers ahead (1). The
 * predictors' accuracy differs most between the two (HOL says nothing with nobody ahead, and a
 * queue-length predictor's relative error is largest there, 1 / sqrt(n + 1)), so each context
 * serves the predictor that has done best in it.
 */
type Context = 0 | 1;
const contextOf = (waitingAhead: number | null): Context => (waitingAhead === null || waitingAhead > 0 ? 1 : 0);

interface SeriesOutlook {
  queueId: string;
  mediaType: string;
  estimators: SeriesEstimators;
  scoreboards: [PredictorScoreboard, PredictorScoreboard];
}

export interface OutlookState {
  version: 1;
  staffing: Staffing[];
  series: [queueId: string, mediaType: string, estimators: unknown, scoreboards: [unknown, unknown]][];
  busy: [queueId: string, window: unknown][];
}

export interface OutlookCounters {
  predicted: number;
  /** Offers counted too late to predict (backfilled). */
  notLive: number;
  staleStaffing: number;
  /** Saved series that could not be read back at a start. */
  unreadableState: number;
}

export class Outlook {
  private readonly staffingMerger = new StaffingMerger();
  private readonly series = new Map<string, SeriesOutlook>();
  /** Members busy (interacting + communicating) per queue, time-averaged: the shared-agent share's denominator. */
  private readonly busy = new Map<string, LevelWindow>();
  private readonly forecasts = new ForecastCache();
  readonly counters: OutlookCounters = { predicted: 0, notLive: 0, staleStaffing: 0, unreadableState: 0 };

  /** Told every prediction made at a live offer, with what was served then (the backtest bench scores them against the ground truth). */
  onPredicted: ((e: QueueEvent, predictions: Predictions, served: ServedWait) => void) | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly settings: PredictionSettings,
    private readonly now: () => number,
  ) {}

  private windowOptions() {
    return { spanMs: this.settings.estimatorWindowMinutes * 60_000 };
  }

  private scoringOptions() {
    return { windowMs: this.settings.scoringWindowMinutes * 60_000, minSamples: this.settings.minSamples, hysteresis: this.settings.hysteresis, correctBias: this.settings.correctBias };
  }

  private seriesOf(queueId: string, mediaType: string): SeriesOutlook {
    const key = seriesKey(queueId, mediaType);
    let s = this.series.get(key);
    if (!s) {
      s = { queueId, mediaType, estimators: SeriesEstimators.create(this.windowOptions()), scoreboards: [new PredictorScoreboard(this.scoringOptions()), new PredictorScoreboard(this.scoringOptions())] };
      this.series.set(key, s);
    }
    return s;
  }

  /** A counted (new, deduplicated) event: a pipeline observer. */
  counted(e: QueueEvent): void {
    const s = this.seriesOf(e.queueId, e.mediaType);
    const visit = `${e.conversationId}/${e.participantId}/${e.queueId}`;
    if (e.kind === "offered") {
      s.estimators.offered(e.time);
      if (e.time < this.now() - this.settings.liveOfferSeconds * 1000) {
        this.counters.notLive++;
        return;
      }
      // The engine has filed this offer already: the callers ahead are the others waiting.
      const x = this.inputs(s, e.time, true);
      const predictions = predictAll(x);
      const board = s.scoreboards[contextOf(x.waiting)];
      board.predict(visit, e.time, predictions);
      this.counters.predicted++;
      this.onPredicted?.(e, predictions, board.serve(e.time, predictions));
      return;
    }
    const waitSeconds = (e.waitMs ?? 0) / 1000;
    s.estimators.ended(e.time, e.kind, waitSeconds);
    const board = s.scoreboards.find((b) => b.has(visit));
    if (board) board.resolve(visit, e.time, e.kind, waitSeconds);
  }

  /** A merged "now" reading of a queue x media (interacting feeds Little's law and the agents' share). */
  observed(queueId: string, mediaType: string, at: number, interacting: number | null): void {
    this.seriesOf(queueId, mediaType).estimators.interactingNow(at, interacting);
  }

  staffing(u: StaffingUpdate): void {
    const merged = this.staffingMerger.merge(u);
    if (!merged) {
      this.counters.staleStaffing++;
      return;
    }
    let w = this.busy.get(u.queueId);
    if (!w) {
      w = new LevelWindow(this.windowOptions());
      this.busy.set(u.queueId, w);
    }
    w.set(merged.at, busyMembers(merged));
  }

  /** A queue left the selection: its staffing must not show if it comes back. */
  forget(queueId: string): void {
    this.staffingMerger.forget(queueId);
    this.busy.delete(queueId);
  }

  agents(queueId: string): AgentsNow {
    const st = this.staffingMerger.get(queueId);
    if (!st) return { members: null, onQueue: null, idle: null, interacting: null, notResponding: null, offQueue: null };
    const busy = busyMembers(st) ?? st.interacting;
    return { members: st.members, onQueue: st.onQueue, idle: st.idle, interacting: busy, notResponding: st.notResponding, offQueue: st.offQueue ?? st.offQueueStatus };
  }

  /** The predictors' inputs for a caller arriving at `at`. `justOffered`: the engine already counts that caller as waiting. */
  private inputs(s: SeriesOutlook, at: number, justOffered: boolean): PredictionInputs & { busy: number | null; trend: number | null } {
    const nowFig = this.engine.nowOf(s.queueId, s.mediaType);
    const rates = s.estimators.rates(at);
    const st = this.staffingMerger.get(s.queueId);
    const share = agentShare(rates.averageInteracting, this.busy.get(s.queueId)?.average(at) ?? null);
    const serving = servingAgents(st, share);
    const waiting = nowFig ? Math.max(0, nowFig.waiting - (justOffered ? 1 : 0)) : null;
    return {
      waiting,
      agents: serving?.agents ?? null,
      // Any idle member answers a new caller at once, whatever share of its time the series takes.
      idle: serving && st?.idle != null ? Math.min(st.idle, Math.ceil(serving.agents)) : null,
      mu: rates.mu,
      theta: rates.exits.theta,
      phi: rates.exits.phi,
      lambda: rates.arrivals?.now ?? null,
      holSeconds: nowFig?.longestWaitingSeconds ?? null,
      lesSeconds: rates.exits.lastAnswered?.waitSeconds ?? null,
      busy: nowFig?.interacting ?? null,
      trend: rates.arrivals?.trend ?? null,
    };
  }

  /** The engine's snapshots with staffing, the served prediction and the forecasts filled in. */
  enrich(snapshots: SeriesSnapshot[]): SeriesSnapshot[] {
    const now = this.now();
    const policy = this.engine.settings.serviceLevel;
    const shortAbandonSeconds = this.engine.settings.shortAbandonSeconds;
    return snapshots.map((snap) => {
      const agents = this.agents(snap.queueId);
      const s = this.series.get(seriesKey(snap.queueId, snap.mediaType));
      if (!s) return { ...snap, now: { ...snap.now, agents } };
      const x = this.inputs(s, now, false);
      const predicted = s.scoreboards[contextOf(x.waiting)].serve(now, predictAll(x));
      const cur = snap.intervals.current;
      const end = ms(cur.end);
      const fin: ForecastInputs = {
        now,
        waiting: x.waiting,
        holSeconds: x.holSeconds,
        busy: x.busy ?? agents.interacting,
        agents: x.agents,
        mu: x.mu,
        theta: x.theta,
        phi: x.phi,
        lambda: x.lambda,
        lambdaTrend: x.trend,
        interval: end === undefined ? null : { end, soFar: { answered: cur.answered, overSla: cur.overSla, abandoned: cur.abandoned, shortAbandoned: cur.shortAbandoned, flowout: cur.flowout } },
        serviceLevelSeconds: snap.serviceLevelTarget.thresholdSeconds,
        shortAbandonSeconds,
        policy,
      };
      const forecast = this.forecasts.get(seriesKey(snap.queueId, snap.mediaType), fin);
      return { ...snap, now: { ...snap.now, agents }, predicted, forecast };
    });
  }

  /** Every predictor's score, with nobody ahead and with callers ahead, and what each says now (for tests and benches). */
  predictors(queueId: string, mediaType: string): { predictions: Predictions; nobodyAhead: Record<string, PredictorScore>; callersAhead: Record<string, PredictorScore> } | null {
    const s = this.series.get(seriesKey(queueId, mediaType));
    if (!s) return null;
    const now = this.now();
    return { predictions: predictAll(this.inputs(s, now, false)), nobodyAhead: s.scoreboards[0].scores(now), callersAhead: s.scoreboards[1].scores(now) };
  }

  toState(): OutlookState {
    const staffing: Staffing[] = [];
    for (const q of this.busy.keys()) {
      const st = this.staffingMerger.get(q);
      if (st) staffing.push(st);
    }
    return {
      version: 1,
      staffing,
      series: [...this.series.values()].map((s) => [s.queueId, s.mediaType, s.estimators.toState(), [s.scoreboards[0].toState(), s.scoreboards[1].toState()]]),
      busy: [...this.busy].map(([q, w]) => [q, w.toState()]),
    };
  }

  /** Restores saved state; unreadable parts are skipped and counted (they start empty). */
  restore(x: unknown): void {
    if (typeof x !== "object" || x === null || (x as OutlookState).version !== 1) {
      if (x !== undefined) this.counters.unreadableState++;
      return;
    }
    const st = x as Partial<OutlookState>;
    for (const e of Array.isArray(st.series) ? st.series : []) {
      const est = Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string" ? SeriesEstimators.fromState(e[2]) : null;
      const saved = est && Array.isArray(e[3]) ? e[3] : [];
      const b0 = PredictorScoreboard.fromState(saved[0], this.scoringOptions());
      const b1 = PredictorScoreboard.fromState(saved[1], this.scoringOptions());
      if (!est || !b0 || !b1) {
        this.counters.unreadableState++;
        continue;
      }
      this.series.set(seriesKey(e[0], e[1]), { queueId: e[0], mediaType: e[1], estimators: est, scoreboards: [b0, b1] });
    }
    for (const e of Array.isArray(st.busy) ? st.busy : []) {
      const w = Array.isArray(e) && typeof e[0] === "string" ? LevelWindow.fromState(e[1]) : null;
      if (w) this.busy.set(e[0], w);
      else this.counters.unreadableState++;
    }
    for (const s of Array.isArray(st.staffing) ? st.staffing : []) {
      if (s && typeof s.queueId === "string" && Number.isFinite(s.at)) {
        const { queueId, at, ...counts } = s;
        const update: StaffingUpdate = { queueId, at };
        for (const [k, v] of Object.entries(counts)) if (typeof v === "number" && Number.isFinite(v) && v >= 0) (update as unknown as Record<string, number>)[k] = v;
        this.staffingMerger.merge(update);
        if (!this.busy.has(queueId)) this.busy.set(queueId, new LevelWindow(this.windowOptions()));
      } else this.counters.unreadableState++;
    }
  }
}
