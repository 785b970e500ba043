/**
 * Percentiles bench: the accuracy of the figures the API serves, not of a bare
 * sketch. For windows of 100 to 100,000 answered calls spread over an hour of one queue, heavy-tailed
 * waits go through the engine as events; every served figure set (5/15/60-minute windows, the
 * current 30-minute interval, today) is compared with the exact nearest-rank percentiles of the
 * waits it holds: rank error in points (0.1 = a tenth of a percentile) and p99 value error.
 * For comparison, the merged per-minute t-digest (compression 100) the engine served before.
 * Ends with one JSON line. Usage: node dist/bench/percentiles.bench.js
 */
import { defaultEngineSettings } from "../src/aggregate/config.js";
import { Engine } from "../src/aggregate/engine.js";
import type { WaitSummary } from "../src/aggregate/figures.js";
import { EXACT_MAX } from "../src/aggregate/waits.js";
import { ManualClock } from "../src/util/clock.js";
import { TDigest } from "./baseline/tdigest.js";
import { heavyTailedWaits } from "./waits.js";

const SIZES = [100, 300, 1000, 2048, 3000, 10_000, 30_000, 100_000];
const QS = [0.5, 0.9, 0.95, 0.99] as const;
const START = Date.parse("2026-05-04T09:00:00Z");
const MINUTE = 60_000;

function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length - 1e-9))) - 1];
}

function countBelow(sorted: Float64Array, v: number, orEqual: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] < v || (orEqual && sorted[m] === v)) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Rank error in points: distance from q to the rank interval of v, x 100. */
function rankPoints(sorted: Float64Array, q: number, v: number): number {
  const a = countBelow(sorted, v, false) / sorted.length;
  const b = countBelow(sorted, v, true) / sorted.length;
  return (q < a ? a - q : q > b ? q - b : 0) * 100;
}

interface Errors {
  waits: number;
  worstRankPoints: number;
  p99ValueErrorPct: number;
  exact: boolean;
}

function errorsOf(summary: (q: number) => number, waits: number[]): Errors {
  const sorted = Float64Array.from(waits).sort();
  let worst = 0;
  let exact = true;
  for (const q of QS) {
    const v = summary(q);
    worst = Math.max(worst, rankPoints(sorted, q, v));
    if (v !== nearestRank(sorted, q)) exact = false;
  }
  const p99 = nearestRank(sorted, 0.99);
  return { waits: waits.length, worstRankPoints: Math.round(worst * 1e4) / 1e4, p99ValueErrorPct: Math.round((Math.abs(summary(0.99) - p99) / Math.max(p99, 1)) * 1e5) / 1e3, exact };
}

const served = (s: WaitSummary) => (q: number) => Math.round(s[`p${q * 100}` as "p50"]! * 1000);

const rows: { size: number; figures: Record<string, Errors>; tdigestMergedMinutes: Errors }[] = [];
for (const size of SIZES) {
  // Integer milliseconds, as Genesys reports them; spread evenly over the hour 09:00-10:00.
  const waits = Array.from(heavyTailedWaits(size, size), (s) => Math.round(s * 1000));
  const times = waits.map((_, i) => START + Math.floor(((i + 0.5) / size) * 60 * MINUTE));
  const clock = new ManualClock(START);
  const engine = new Engine(defaultEngineSettings, clock);
  engine.setQueue("q", { name: "Q", serviceLevels: { voice: { percentage: 0.8, durationMs: 20_000 } } });
  const minuteDigests = new Map<number, TDigest>();
  waits.forEach((w, i) => {
    clock.set(times[i]);
    engine.apply({ kind: "answered", queueId: "q", mediaType: "voice", conversationId: `c${i}`, participantId: "p", time: times[i], waitMs: w });
    const m = Math.floor(times[i] / MINUTE);
    if (!minuteDigests.has(m)) minuteDigests.set(m, new TDigest({ compression: 100, bufferSize: 200 }));
    minuteDigests.get(m)!.add(w);
  });
  clock.set(START + 60 * MINUTE - 1);
  engine.maintain();
  const snap = engine.snapshot()[0];
  const nowMinute = Math.floor(clock.now() / MINUTE);
  const held = (from: number, to: number) => waits.filter((_, i) => times[i] >= from && times[i] < to);
  const figures: Record<string, Errors> = {};
  for (const w of defaultEngineSettings.windowsMinutes) figures[`${w}m`] = errorsOf(served(snap.windows[`${w}m`].answeredWaitSeconds), held((nowMinute - w + 1) * MINUTE, (nowMinute + 1) * MINUTE));
  const cs = Date.parse(snap.intervals.current.start);
  figures.interval = errorsOf(served(snap.intervals.current.answeredWaitSeconds), held(cs, cs + 30 * MINUTE));
  figures.today = errorsOf(served(snap.intervals.today.answeredWaitSeconds), waits);
  const merged = new TDigest({ compression: 100 }).merge(...[...minuteDigests.values()].map((d) => d.compact()));
  rows.push({ size, figures, tdigestMergedMinutes: errorsOf((q) => Math.round(merged.quantile(q)), waits) });
}

console.log(`served percentiles vs exact nearest rank (heavy-tailed waits; exact up to ${EXACT_MAX} waits, then 0.1 % bins)`);
console.log(["waits in hour".padStart(13), ..."5m 15m 60m interval today".split(" ").map((f) => `${f} rank pts / p99 %`.padStart(26)), "t-digest merged (before)".padStart(26)].join(" "));
for (const r of rows) {
  const cell = (e: Errors) => `${e.exact ? "exact" : `${e.worstRankPoints.toFixed(4)} / ${e.p99ValueErrorPct.toFixed(3)}`} (${e.waits})`.padStart(26);
  console.log([String(r.size).padStart(13), ...["5m", "15m", "60m", "interval", "today"].map((f) => cell(r.figures[f])), cell(r.tdigestMergedMinutes)].join(" "));
}

// Targets: windows of 100 to 100,000 waits within 0.1 rank points; exact below a few hundred;
// p99 within 0.5 % where the form is binned.
const all = rows.flatMap((r) => Object.values(r.figures)).filter((e) => e.waits >= 100);
const worstRankPoints = Math.max(...all.map((e) => e.worstRankPoints));
const worstP99ValueErrorPct = Math.max(...all.map((e) => e.p99ValueErrorPct));
const exactUpTo = Math.max(0, ...rows.flatMap((r) => Object.values(r.figures)).filter((e) => e.exact).map((e) => e.waits));
const smallAllExact = rows.flatMap((r) => Object.values(r.figures)).filter((e) => e.waits <= 500).every((e) => e.exact);
const tdigestWorstRankPoints = Math.max(...rows.map((r) => r.tdigestMergedMinutes.worstRankPoints));
const targets = { rankPointsMax: 0.1, p99ValueErrorPctMax: 0.5, exactBelow: 500 };
console.log(`worst rank error ${worstRankPoints} points, worst p99 value error ${worstP99ValueErrorPct} %, exact up to ${exactUpTo} waits; merged t-digest before: ${tdigestWorstRankPoints} points`);
console.log(
  JSON.stringify({
    bench: "percentiles",
    rows,
    worstRankPoints,
    worstP99ValueErrorPct,
    exactUpTo,
    tdigestWorstRankPoints,
    targets,
    met: { rankPoints: worstRankPoints <= targets.rankPointsMax, p99ValueError: worstP99ValueErrorPct <= targets.p99ValueErrorPctMax, exactBelow: smallAllExact },
  }),
);
