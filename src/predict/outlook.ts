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
 *
 * The line: Genesys routes a queue's interactions of every media type to the queue's members,
 * longest waiting first, so a new caller waits behind the queue's callers of every media type,
 * for the queue's agents. The predictors read that line (`prediction.line: queue`): the callers
 * ahead, the head of the line, the last caller to reach an agent, and the rates, summed over the
 * queue's media types; and each line has one pair of scoreboards. The backtest measured the
 * queue-length predictors' error halved by it (per media type, the agents' share and mu read low,
 * and callers of other media ahead were missed). `line: mediaType` keeps a line per queue x
 * media, for queues whose agents take one media type each. Estimators and forecasts stay per
 * queue x media (the interval figures are).
 */
import type { Engine } from "../aggregate/engine.js";
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { AgentsNow } from "../domain/queue-outlook.js";
import { seriesKey, type QueueEvent } from "../domain/queue-event.js";
import { StaffingMerger, type Staffing, type StaffingUpdate } from "../normalize/staffing.js";
import { ms } from "../normalize/time.js";
import { agentShare, busyMembers, servingAgents } from "./agents.js";
import type { PredictionSettings } from "./config.js";
import { lineRates, SeriesEstimators, type SeriesRates } from "./estimators.js";
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

/** The callers who wait for the same agents in turn (see the file comment), and how well each predictor has done for them. */
interface Line {
  readonly key: string;
  readonly members: SeriesOutlook[];
  scoreboards: [PredictorScoreboard, PredictorScoreboard];
}

interface SeriesOutlook {
  queueId: string;
  mediaType: string;
  estimators: SeriesEstimators;
  line: Line;
}

export interface OutlookState {
  version: 2;
  staffing: Staffing[];
  series: [queueId: string, mediaType: string, estimators: unknown][];
  lines: [key: string, scoreboards: [unknown, unknown]][];
  busy: [queueId: string, window: unknown][];
}

/** Version 1 kept a pair of scoreboards per queue x media. */
type SeriesStateV1 = [queueId: string, mediaType: string, estimators: unknown, scoreboards: [unknown, unknown]];

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
  private readonly lines = new Map<string, Line>();
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
    return { windowMs: this.settings.scoringWindowMinutes * 60_000, minSamples: this.settings.minSamples, hysteresis: this.settings.hysteresis, switchStdErrors: this.settings.switchStdErrors, correctBias: this.settings.correctBias };
  }

  private lineKey(queueId: string, mediaType: string): string {
    return this.settings.line === "queue" ? queueId : seriesKey(queueId, mediaType);
  }

  private lineOf(key: string): Line {
    let line = this.lines.get(key);
    if (!line) {
      line = { key, members: [], scoreboards: [new PredictorScoreboard(this.scoringOptions()), new PredictorScoreboard(this.scoringOptions())] };
      this.lines.set(key, line);
    }
    return line;
  }

  private addSeries(queueId: string, mediaType: string, estimators: SeriesEstimators): SeriesOutlook {
    const known = this.series.get(seriesKey(queueId, mediaType));
    if (known) {
      known.estimators = estimators;
      return known;
    }
    const line = this.lineOf(this.lineKey(queueId, mediaType));
    const s: SeriesOutlook = { queueId, mediaType, estimators, line };
    line.members.push(s);
    this.series.set(seriesKey(queueId, mediaType), s);
    return s;
  }

  private seriesOf(queueId: string, mediaType: string): SeriesOutlook {
    return this.series.get(seriesKey(queueId, mediaType)) ?? this.addSeries(queueId, mediaType, SeriesEstimators.create(this.windowOptions()));
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
      const x = this.lineInputs(s.line, e.time, true);
      const predictions = predictAll(x);
      const board = s.line.scoreboards[contextOf(x.waiting)];
      board.predict(visit, e.time, predictions);
      this.counters.predicted++;
      this.onPredicted?.(e, predictions, board.serve(e.time, predictions));
      return;
    }
    const waitSeconds = (e.waitMs ?? 0) / 1000;
    s.estimators.ended(e.time, e.kind, waitSeconds);
    const board = s.line.scoreboards.find((b) => b.has(visit));
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

  /**
   * The predictors' inputs for a caller arriving at `at` in `line`: its callers, rates and agents.
   * `justOffered`: the engine already counts that caller as waiting. `ratesOf` reads a member's
   * rates (enrich reads each series' once for its line and its forecast).
   */
  private lineInputs(line: Line, at: number, justOffered: boolean, ratesOf = (m: SeriesOutlook) => m.estimators.rates(at)): PredictionInputs {
    const { members } = line;
    const rates = lineRates(members.map(ratesOf), members[0].estimators.minHandleSamples);
    const known = members.map((m) => this.engine.nowOf(m.queueId, m.mediaType)).filter((f) => f !== null);
    const waiting = known.length > 0 ? Math.max(0, known.reduce((a, f) => a + f.waiting, 0) - (justOffered ? 1 : 0)) : null;
    const heads = known.flatMap((f) => (f.longestWaitingSeconds === null ? [] : [f.longestWaitingSeconds]));
    return this.withAgents(members[0].queueId, at, rates, waiting, heads.length > 0 ? Math.max(...heads) : null);
  }

  /** The inputs from one series' own figures, for its forecasts (per queue x media, as the interval figures are). */
  private inputs(s: SeriesOutlook, at: number, rates: SeriesRates): PredictionInputs & { busy: number | null; trend: number | null } {
    const nowFig = this.engine.nowOf(s.queueId, s.mediaType);
    const waiting = nowFig ? nowFig.waiting : null;
    return { ...this.withAgents(s.queueId, at, rates, waiting, nowFig?.longestWaitingSeconds ?? null), busy: nowFig?.interacting ?? null, trend: rates.arrivals?.trend ?? null };
  }

  /** Inputs from rates and the line's callers, with the agents who serve them: the queue's staffing x the share of the members' busy time these rates take. */
  private withAgents(queueId: string, at: number, rates: SeriesRates, waiting: number | null, holSeconds: number | null): PredictionInputs {
    const st = this.staffingMerger.get(queueId);
    const share = agentShare(rates.averageInteracting, this.busy.get(queueId)?.average(at) ?? null);
    const serving = servingAgents(st, share);
    return {
      waiting,
      agents: serving?.agents ?? null,
      // Any idle member answers a new caller at once, whatever share of its time the series takes.
      idle: serving && st?.idle != null ? Math.min(st.idle, Math.ceil(serving.agents)) : null,
      mu: rates.mu,
      theta: rates.exits.theta,
      phi: rates.exits.phi,
      lambda: rates.arrivals?.now ?? null,
      holSeconds,
      lesSeconds: rates.exits.lastAnswered?.waitSeconds ?? null,
    };
  }

  /** The engine's snapshots with staffing, the served prediction and the forecasts filled in. */
  enrich(snapshots: SeriesSnapshot[]): SeriesSnapshot[] {
    const now = this.now();
    const policy = this.engine.settings.serviceLevel;
    const shortAbandonSeconds = this.engine.settings.shortAbandonSeconds;
    // Each series' rates are read once, and each line's wait served once, whichever snapshot asks first.
    const rates = new Map<SeriesOutlook, SeriesRates>();
    const ratesOf = (m: SeriesOutlook) => {
      let r = rates.get(m);
      if (!r) rates.set(m, (r = m.estimators.rates(now)));
      return r;
    };
    const served = new Map<Line, ServedWait>();
    return snapshots.map((snap) => {
      const agents = this.agents(snap.queueId);
      const s = this.series.get(seriesKey(snap.queueId, snap.mediaType));
      if (!s) return { ...snap, now: { ...snap.now, agents } };
      let predicted = served.get(s.line);
      if (!predicted) {
        const line = this.lineInputs(s.line, now, false, ratesOf);
        predicted = s.line.scoreboards[contextOf(line.waiting)].serve(now, predictAll(line));
        served.set(s.line, predicted);
      }
      const x = this.inputs(s, now, ratesOf(s));
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
    return { predictions: predictAll(this.lineInputs(s.line, now, false)), nobodyAhead: s.line.scoreboards[0].scores(now), callersAhead: s.line.scoreboards[1].scores(now) };
  }

  toState(): OutlookState {
    const staffing: Staffing[] = [];
    for (const q of this.busy.keys()) {
      const st = this.staffingMerger.get(q);
      if (st) staffing.push(st);
    }
    return {
      version: 2,
      staffing,
      series: [...this.series.values()].map((s) => [s.queueId, s.mediaType, s.estimators.toState()]),
      lines: [...this.lines.values()].filter((l) => l.members.length > 0).map((l) => [l.key, [l.scoreboards[0].toState(), l.scoreboards[1].toState()]]),
      busy: [...this.busy].map(([q, w]) => [q, w.toState()]),
    };
  }

  /** A saved pair of scoreboards; null when either is not one. */
  private boards(saved: unknown): [PredictorScoreboard, PredictorScoreboard] | null {
    const pair = Array.isArray(saved) ? saved : [];
    const b0 = PredictorScoreboard.fromState(pair[0], this.scoringOptions());
    const b1 = PredictorScoreboard.fromState(pair[1], this.scoringOptions());
    return b0 && b1 ? [b0, b1] : null;
  }

  /**
   * Restores saved state; unreadable parts are skipped and counted (they start empty). Version 1
   * (scoreboards per queue x media) gives each line the scoreboards of its first series; saved
   * lines of another `line` setting are left out (their series start new scoreboards).
   */
  restore(x: unknown): void {
    const version = typeof x === "object" && x !== null ? (x as { version?: unknown }).version : undefined;
    if (version !== 1 && version !== 2) {
      if (x !== undefined) this.counters.unreadableState++;
      return;
    }
    const st = x as Partial<OutlookState>;
    for (const e of Array.isArray(st.series) ? (st.series as unknown[]) : []) {
      const est = Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string" ? SeriesEstimators.fromState(e[2]) : null;
      const boards = est && version === 1 ? this.boards((e as SeriesStateV1)[3]) : null;
      if (!est || (version === 1 && !boards)) {
        this.counters.unreadableState++;
        continue;
      }
      const [queueId, mediaType] = e as [string, string];
      const s = this.addSeries(queueId, mediaType, est);
      if (boards && s.line.members.length === 1) s.line.scoreboards = boards;
    }
    for (const e of version === 2 && Array.isArray(st.lines) ? st.lines : []) {
      const boards = Array.isArray(e) && typeof e[0] === "string" ? this.boards(e[1]) : null;
      if (!boards) this.counters.unreadableState++;
      else if (this.lines.get(e[0])?.members.length) this.lines.get(e[0])!.scoreboards = boards;
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
