/**
 * Prediction bench: what each piece of src/predict costs per call, and what that means for many
 * series. Pieces: the five predictors for one arrival; one visit through the scoreboard (predict
 * at arrival, score at the end) and a serve; one visit through the estimators (offer, end,
 * handle leg, interacting change) and a rates read; the stationary Erlang-A law; the forecast for
 * a typical queue (10 agents, 5 waiting) and a large one (100 agents, 60 waiting); and the JSON
 * state per series. Each timing is the best of 5 rounds. Ends with one JSON line: figures,
 * targets and whether each is met. Usage: node dist/bench/predict.bench.js
 */
import { SeriesEstimators } from "../src/predict/estimators.js";
import { stationary } from "../src/predict/erlang-a.js";
import { forecast, type ForecastDetail, type ForecastInputs } from "../src/predict/forecast.js";
import { predictAll, type PredictionInputs } from "../src/predict/predictors.js";
import { PredictorScoreboard } from "../src/predict/scoring.js";
import { defaultServiceLevelPolicy } from "../src/aggregate/figures.js";
import { exponential, mulberry32 } from "../src/util/random.js";

const ROUNDS = 5;

/** Best-of-rounds microseconds per call of `fn` run `n` times. */
function time(n: number, fn: (i: number) => void): number {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return best;
}

let sink = 0;
const rng = mulberry32(1);

// Predictors.
const inputs: PredictionInputs[] = Array.from({ length: 1024 }, () => ({ waiting: Math.floor(rng() * 30), agents: 5 + rng() * 20, idle: 0, mu: 1 / 200, theta: 1 / 90, lambda: 0.1, holSeconds: rng() * 200, lesSeconds: rng() * 100 }));
const predictUs = time(200_000, (i) => {
  sink += predictAll(inputs[i & 1023]).QLm ?? 0;
});

// Scoreboard: a visit predicted at arrival and scored at its end, steady state with ~40 pending.
const board = new PredictorScoreboard();
const scoreUs = time(100_000, (i) => {
  const t = i * 20_000;
  board.predict(`v${i}`, t, predictAll(inputs[i & 1023]));
  if (i >= 40) board.resolve(`v${i - 40}`, t, i % 4 === 0 ? "abandoned" : "answered", 30 + (i % 50));
});
const serveUs = time(20_000, (i) => {
  sink += board.serve(2_000_000_000 + i, predictAll(inputs[i & 1023])).waitSeconds ?? 0;
});

// Estimators: one visit's four updates; then a read.
const est = SeriesEstimators.create({ since: 0 });
const visitUs = time(100_000, (i) => {
  const t = i * 5000;
  est.offered(t);
  est.ended(t + 1000, i % 5 === 0 ? "abandoned" : "answered", exponential(rng, 30));
  est.handled(t + 2000, exponential(rng, 200), true);
  est.interactingNow(t + 3000, i % 9);
});
const ratesUs = time(20_000, (i) => {
  sink += est.rates(500_000_000 + i * 1000).mu ?? 0;
});

// Stationary Erlang A (and one threshold share).
const stationaryUs = time(2000, (i) => {
  sink += stationary(0.05 + (i % 7) * 0.001, 10, 1 / 180, 1 / 200)!.answeredWithin(20);
});

// Forecasts.
const typical: ForecastInputs = {
  now: 0,
  waiting: 5,
  waitingAges: [80, 60, 40, 20, 5],
  busy: 10,
  agents: 10,
  mu: 1 / 180,
  theta: 1 / 200,
  lambda: 0.05,
  lambdaTrend: 0,
  interval: { end: 1_200_000, soFar: { answered: 20, overSla: 6, abandoned: 2, shortAbandoned: 0, flowout: 0 } },
  serviceLevelSeconds: 20,
  shortAbandonSeconds: 5,
  policy: defaultServiceLevelPolicy,
};
const large: ForecastInputs = { ...typical, waiting: 60, waitingAges: Array.from({ length: 60 }, (_, i) => 240 - i * 4), busy: 100, agents: 100, mu: 1 / 300, theta: 1 / 120, lambda: 0.4, lambdaTrend: 0.00005 };
const detail = (x: ForecastInputs): ForecastDetail => {
  const d: ForecastDetail = { steps: 0, states: 0, lawCalls: 0 };
  forecast(x, {}, d);
  return d;
};
const typicalUs = time(200, (i) => {
  sink += forecast({ ...typical, waiting: 4 + (i % 3) }).intervalServiceLevel ?? 0;
});
const largeUs = time(20, (i) => {
  sink += forecast({ ...large, waiting: 58 + (i % 3) }).intervalServiceLevel ?? 0;
});

// State per series (estimators + scoreboard, after an hour's traffic).
const stateBytes = JSON.stringify(est.toState()).length + JSON.stringify(board.toState()).length;

// What many series cost: forecasts refreshed every 30 s (ForecastCache ttl), the rest per event.
const SERIES = 5000;
const TTL_S = 30;
const forecastCoreShare = (SERIES * typicalUs) / 1e6 / TTL_S;

const r2 = (v: number) => Math.round(v * 100) / 100;
const TARGETS = { predictUs: 5, scoreVisitUs: 20, estimatorVisitUs: 5, ratesUs: 100, typicalForecastMs: 2, largeForecastMs: 50, forecastCoreShare5000: 0.25, stateKBPerSeries: 16 };
const result = {
  bench: "predict",
  predictUs: r2(predictUs),
  scoreVisitUs: r2(scoreUs),
  serveUs: r2(serveUs),
  estimatorVisitUs: r2(visitUs),
  ratesUs: r2(ratesUs),
  stationaryUs: r2(stationaryUs),
  typicalForecastMs: r2(typicalUs / 1000),
  typicalForecastDetail: detail(typical),
  largeForecastMs: r2(largeUs / 1000),
  largeForecastDetail: detail(large),
  stateKBPerSeries: r2(stateBytes / 1024),
  forecastCoreShare5000: r2(forecastCoreShare),
  targets: TARGETS,
  met: {
    predictUs: predictUs <= TARGETS.predictUs,
    scoreVisitUs: scoreUs <= TARGETS.scoreVisitUs,
    estimatorVisitUs: visitUs <= TARGETS.estimatorVisitUs,
    ratesUs: ratesUs <= TARGETS.ratesUs,
    typicalForecastMs: typicalUs / 1000 <= TARGETS.typicalForecastMs,
    largeForecastMs: largeUs / 1000 <= TARGETS.largeForecastMs,
    forecastCoreShare5000: forecastCoreShare <= TARGETS.forecastCoreShare5000,
    stateKBPerSeries: stateBytes / 1024 <= TARGETS.stateKBPerSeries,
  },
};
console.log(`predictors: ${result.predictUs} us per arrival (all five); scoreboard: ${result.scoreVisitUs} us per visit, serve ${result.serveUs} us`);
console.log(`estimators: ${result.estimatorVisitUs} us per visit (4 updates), rates read ${result.ratesUs} us; stationary Erlang A ${result.stationaryUs} us`);
console.log(`forecast: typical queue ${result.typicalForecastMs} ms (${result.typicalForecastDetail.steps} steps x ${result.typicalForecastDetail.states} states, ${result.typicalForecastDetail.lawCalls} wait-law calls); large ${result.largeForecastMs} ms (${result.largeForecastDetail.steps} x ${result.largeForecastDetail.states}, ${result.largeForecastDetail.lawCalls})`);
console.log(`${SERIES} typical series refreshed every ${TTL_S} s: ${(forecastCoreShare * 100).toFixed(1)} % of a core; state ${result.stateKBPerSeries} KB per series`);
if (sink === 42.4242) console.log("");
console.log(JSON.stringify(result));
