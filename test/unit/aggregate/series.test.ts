/**
 * Rolling windows, intervals and the day against the ground truth: every figure recomputed from
 * the raw events, minute by minute, over six hours of traffic that swells past the exact limit and
 * falls back, with late and slightly early events and a restart from saved state half-way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import type { Figures } from "../../../src/aggregate/figures.js";
import type { SeriesState } from "../../../src/aggregate/series.js";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { ManualClock } from "../../../src/util/clock.js";
import { mulberry32 } from "../../../src/util/random.js";

const MINUTE = 60_000;
const START = Date.parse("2026-05-04T08:00:00Z");
const Q = "q-busy";
const QS = [0.5, 0.9, 0.95, 0.99] as const;

function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length - 1e-9))) - 1];
}

/** Checks one figure set against the events it should hold; exact below the limit, rank-close above. */
function check(label: string, f: Figures, events: QueueEvent[]): void {
  const count = (k: string) => events.filter((e) => e.kind === k).length;
  assert.deepEqual([f.offered, f.answered, f.abandoned, f.flowout], [count("offered"), count("answered"), count("abandoned"), count("flowout")], `${label}: counts`);
  for (const [kind, summary] of [["answered", f.answeredWaitSeconds], ["abandoned", f.abandonedWaitSeconds]] as const) {
    const waits = events.filter((e) => e.kind === kind).map((e) => e.waitMs!).sort((a, b) => a - b);
    if (waits.length === 0) {
      assert.equal(summary.p50, null, `${label}: no ${kind} waits`);
      continue;
    }
    assert.equal(summary.max, waits[waits.length - 1] / 1000, `${label}: ${kind} max`);
    for (const q of QS) {
      const got = summary[`p${q * 100}` as "p50"]! * 1000;
      const want = nearestRank(waits, q);
      if (waits.length <= 2048) {
        assert.equal(summary[`p${q * 100}` as "p50"], want / 1000, `${label}: ${kind} p${q * 100} of ${waits.length}`);
      } else {
        const below = waits.filter((w) => w < got - 0.5).length / waits.length;
        const atOrBelow = waits.filter((w) => w <= got + 0.5).length / waits.length;
        assert.ok(q >= below - 0.001 && q <= atOrBelow + 0.001, `${label}: ${kind} p${q * 100} ${got} ranks ${below}..${atOrBelow}`);
      }
    }
  }
}

test("windows, intervals and today equal the raw events at every minute, across a restart", () => {
  const rnd = mulberry32(12);
  const clock = new ManualClock(START);
  let engine = new Engine(defaultEngineSettings, clock);
  const info = { name: "Busy", serviceLevels: { voice: { percentage: 0.8, durationMs: 20_000 } } };
  engine.setQueue(Q, info);
  const applied: QueueEvent[] = [];
  let seq = 0;
  let windowsChecked = 0;
  let binnedChecked = 0;
  for (let minute = 0; minute < 360; minute++) {
    // Traffic swells to 80 calls a minute between 09:30 and 11:00 (the 60-minute window passes 2,048 waits).
    const calls = minute >= 90 && minute < 180 ? 80 : 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < calls; i++) {
      clock.set(START + minute * MINUTE + Math.floor((i / calls) * MINUTE));
      // Most events are on time; some are up to 10 minutes late (backfill), a few 20 s early (skew).
      const u = rnd();
      const lateness = u < 0.1 ? Math.floor(rnd() * 10 * MINUTE) : u < 0.12 ? -20_000 : 0;
      const time = clock.now() - lateness;
      const kind = rnd() < 0.8 ? "answered" : rnd() < 0.7 ? "abandoned" : "flowout";
      const conv = `c${++seq}`;
      const offered: QueueEvent = { kind: "offered", queueId: Q, mediaType: "voice", conversationId: conv, participantId: "p", time: time - 30_000 };
      const end: QueueEvent = { kind, queueId: Q, mediaType: "voice", conversationId: conv, participantId: "p", time, waitMs: Math.floor(Math.exp(8 + 2 * rnd())) };
      for (const e of [offered, end]) {
        engine.apply(e);
        applied.push(e);
      }
    }
    clock.set(START + (minute + 1) * MINUTE - 1);
    if (minute % 10 === 9) engine.maintain();
    if (minute === 200) {
      // Restart: the saved state, through JSON as the store keeps it, into a fresh engine.
      const saved = JSON.parse(JSON.stringify(engine.allStates())) as SeriesState[];
      engine = new Engine(defaultEngineSettings, clock);
      engine.setQueue(Q, info);
      engine.restore(saved);
    }
    const snap = engine.snapshot()[0];
    const nowMinute = Math.floor(clock.now() / MINUTE);
    for (const w of defaultEngineSettings.windowsMinutes) {
      const inWindow = applied.filter((e) => Math.floor(e.time / MINUTE) > nowMinute - w && Math.floor(e.time / MINUTE) <= nowMinute);
      check(`minute ${minute} ${w}m`, snap.windows[`${w}m`], inWindow);
      windowsChecked++;
      if (inWindow.filter((e) => e.kind === "answered").length > 2048) binnedChecked++;
    }
    const cur = Date.parse(snap.intervals.current.start);
    check(`minute ${minute} interval`, snap.intervals.current, applied.filter((e) => e.time >= cur && e.time < cur + 30 * MINUTE));
    check(`minute ${minute} today`, snap.intervals.today, applied.filter((e) => e.time >= Date.parse(snap.intervals.today.start)));
  }
  assert.equal(windowsChecked, 360 * 3);
  assert.ok(binnedChecked > 30, `the busy hour was checked past the exact limit (${binnedChecked} windows)`);
});
