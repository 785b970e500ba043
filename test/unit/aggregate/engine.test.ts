/** The engine: thresholds per queue, late events, "now", smoothing, state, settings, reads that change nothing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import { ManualClock } from "../../../src/util/clock.js";
import { Q, T, ev, engineAt, standardMix } from "../../helpers/engine-fixture.js";

test("service-level threshold comes from the queue's mediaSettings per media, unless overridden", () => {
  const { engine, snap } = engineAt("2026-05-04T10:10:30Z");
  engine.apply(ev("answered", "2026-05-04T10:10:00Z", 45_000, "x", "chat")); // chat goal is 60 s
  engine.apply(ev("answered", "2026-05-04T10:10:00Z", 45_000, "y", "voice")); // voice goal is 20 s
  const [chat, voice] = engine.snapshot();
  assert.equal(chat.mediaType, "chat");
  assert.equal(chat.windows["5m"].overSla, 0);
  assert.equal(voice.windows["5m"].overSla, 1);
  assert.deepEqual(chat.serviceLevelTarget, { percentage: 0.9, thresholdSeconds: 60 });
  void snap;
  const o = engineAt("2026-05-04T10:10:30Z", { serviceLevel: { ...defaultEngineSettings.serviceLevel, thresholdSeconds: 50 } });
  o.engine.apply(ev("answered", "2026-05-04T10:10:00Z", 45_000));
  assert.equal(o.snap().windows["5m"].overSla, 0);
});

test("late events land in their own minute and interval while kept; older ones are dropped, never misfiled", () => {
  const { engine, snap } = engineAt("2026-05-04T12:00:00Z");
  engine.apply(ev("answered", "2026-05-04T11:45:00Z", 7000)); // 15 min late: in 60m and 15m? (11:45 is outside the last 15 min)
  engine.apply(ev("answered", "2026-05-04T11:50:00Z", 8000)); // 10 min late
  engine.apply(ev("answered", "2026-05-04T10:30:00Z", 9000)); // 90 min late: past the 61-minute ring, interval still kept
  engine.apply(ev("answered", "2026-05-04T08:00:00Z", 9000)); // 4 h late: past the 4 kept intervals too
  const s = snap();
  assert.equal(s.windows["15m"].answered, 1);
  assert.equal(s.windows["60m"].answered, 2);
  assert.equal(s.dropped.window, 2);
  assert.equal(s.dropped.interval, 1);
  assert.equal(s.intervals.today.answered, 4);
  assert.equal(s.totals.answered, 4);
  assert.equal(s.intervals.current.answered, 0);
  assert.equal(s.intervals.previous!.answered, 2, "11:45 and 11:50 are in 11:30-12:00");
});

test("now: waiting legs and longest waiting from events; observations take over the waiting count", () => {
  const { engine, clock, snap } = engineAt("2026-05-04T12:00:00Z");
  engine.apply(ev("offered", "2026-05-04T11:58:00Z", undefined, "w1"));
  engine.apply(ev("offered", "2026-05-04T11:59:30Z", undefined, "w2"));
  engine.apply(ev("offered", "2026-05-04T11:59:00Z", undefined, "w3"));
  engine.apply(ev("answered", "2026-05-04T11:59:50Z", 50_000, "w3"));
  // An end that arrives before its offer (out of order) never shows as waiting.
  engine.apply(ev("abandoned", "2026-05-04T11:59:40Z", 1000, "w4"));
  engine.apply(ev("offered", "2026-05-04T11:59:39Z", undefined, "w4"));
  let s = snap();
  assert.equal(s.now.waiting, 2);
  assert.equal(s.now.longestWaitingSeconds, 120);
  assert.equal(s.now.interacting, null);
  engine.observe(Q, "voice", { waiting: 5, interacting: 3, alerting: 1, at: clock.now() });
  s = snap();
  assert.deepEqual([s.now.waiting, s.now.interacting], [5, 3]);
  clock.advance(10 * 60_000);
  assert.equal(snap().now.interacting, null, "stale observations are ignored");
});

test("smoothed arrival rate and p90 wait (EWMA over closed minutes)", () => {
  const { engine, clock, snap } = engineAt("2026-05-04T12:00:00Z");
  for (let m = 0; m < 30; m++) {
    clock.set(T("2026-05-04T12:00:00Z") + m * 60_000);
    engine.apply(ev("offered", clock.now()));
    engine.apply(ev("offered", clock.now() + 1000));
    engine.apply(ev("answered", clock.now() + 2000, 10_000));
  }
  clock.set(T("2026-05-04T12:30:10Z"));
  const s = snap().smoothed;
  assert.ok(Math.abs(s.arrivalsPerMinute! - 2) < 1e-9, `${s.arrivalsPerMinute}`);
  assert.ok(Math.abs(s.answeredWaitP90Seconds! - 10) < 1e-9);
  assert.equal(s.halfLifeSeconds, 300);
});

test("state saves and restores to the same figures", () => {
  const { engine, clock } = engineAt("2026-05-04T12:00:00Z");
  for (let i = 0; i < 500; i++) {
    const t = T("2026-05-04T11:00:00Z") + i * 7000;
    engine.apply(ev("offered", t));
    engine.apply(ev(i % 5 === 0 ? "abandoned" : "answered", t + 3000, (i * 7919) % 120_000));
  }
  const states = JSON.parse(JSON.stringify(engine.allStates()));
  const restored = new Engine(engine.settings, clock);
  restored.setQueue(Q, engine.queueInfo(Q)!);
  restored.restore(states);
  // Digests are stored with float32 means: figures agree to within a millisecond.
  assertClose(restored.snapshot(), engine.snapshot(), "snapshot");
  assert.equal(engine.takeDirty().length, 1);
  assert.equal(engine.takeDirty().length, 0);
});

function assertClose(a: unknown, b: unknown, path: string): void {
  if (typeof a === "number" && typeof b === "number") {
    assert.ok(Math.abs(a - b) <= Math.max(1e-3, Math.abs(b) * 1e-6), `${path}: ${a} vs ${b}`);
  } else if (a && b && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), path);
    for (const k of Object.keys(b)) assertClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    assert.equal(a, b, path);
  }
}

test("bad settings are refused with the field named", () => {
  const clock = new ManualClock(0);
  assert.throws(() => new Engine({ ...defaultEngineSettings, timeZone: "Mars/Olympus" }, clock), /unknown time zone "Mars\/Olympus"/);
  assert.throws(() => new Engine({ ...defaultEngineSettings, windowsMinutes: [0] }, clock), /windows/);
  assert.throws(() => new Engine({ ...defaultEngineSettings, dailyReset: "25:00" }, clock), /daily reset/);
});

test("an end that arrives before its offer never shows as waiting, even after maintenance and reads in between", () => {
  const { clock, engine, snap } = engineAt("2026-05-04T10:10:30Z");
  // The stream delivers the end; the offer only comes with a backfill minutes later.
  engine.apply(ev("answered", "2026-05-04T10:10:00Z", 12_000, "late-offer"));
  clock.advance(20_000);
  engine.maintain();
  snap();
  clock.advance(5 * 60_000);
  engine.maintain();
  engine.apply(ev("offered", "2026-05-04T10:09:48Z", undefined, "late-offer"));
  const s = snap();
  assert.equal(s.now.waiting, 0, "the visit ended: nobody is waiting");
  assert.equal(s.now.longestWaitingSeconds, null);
});

test("reading figures never changes state", () => {
  const { clock, engine } = engineAt("2026-05-04T10:10:30Z");
  standardMix(engine, "2026-05-04T10:10:00Z");
  engine.apply(ev("abandoned", "2026-05-04T10:10:10Z", 4000, "tomb"));
  clock.advance(3 * 60_000);
  const before = JSON.stringify(engine.allStates());
  engine.snapshot();
  engine.snapshot();
  assert.equal(JSON.stringify(engine.allStates()), before);
});

test("a failed checkpoint write keeps the changed series for the next one", () => {
  const { engine } = engineAt("2026-05-04T10:10:30Z");
  engine.apply(ev("offered", "2026-05-04T10:10:00Z"));
  assert.throws(() => engine.persistDirty(() => { throw new Error("disk full"); }), /disk full/);
  let written: string[] = [];
  engine.persistDirty((states) => (written = states.map((s) => `${s.queueId}/${s.mediaType}`)));
  assert.deepEqual(written, [`${Q}/voice`]);
  engine.persistDirty((states) => (written = states.map((s) => s.queueId)));
  assert.deepEqual(written, [], "clean once written");
});
