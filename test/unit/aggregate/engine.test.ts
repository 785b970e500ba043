import { test } from "node:test";
import assert from "node:assert/strict";
import { Calendar, offsetAt } from "../../../src/aggregate/calendar.js";
import { defaultEngineSettings, type EngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import type { QueueEvent, QueueEventKind } from "../../../src/domain/queue-event.js";
import { ManualClock } from "../../../src/util/clock.js";

const Q = "11111111-1111-4111-8111-111111111111";
const T = (iso: string) => Date.parse(iso);
let seq = 0;
function ev(kind: QueueEventKind, time: number | string, waitMs?: number, conv = `c${++seq}`, mediaType = "voice"): QueueEvent {
  return { kind, queueId: Q, mediaType, conversationId: conv, participantId: `p-${conv}`, time: typeof time === "string" ? T(time) : time, ...(waitMs === undefined ? {} : { waitMs }) };
}

function engineAt(now: string, over: Partial<EngineSettings> = {}) {
  const clock = new ManualClock(T(now));
  const engine = new Engine({ ...defaultEngineSettings, ...over }, clock);
  engine.setQueue(Q, { name: "Sales", serviceLevels: { voice: { percentage: 0.8, durationMs: 20_000 }, chat: { percentage: 0.9, durationMs: 60_000 } } });
  return { clock, engine, snap: () => engine.snapshot()[0] };
}

/** offered 4; answered 5 s, 15 s, 30 s (one over the 20 s goal); abandoned 3 s (short) and 40 s; one flow-out. */
function standardMix(engine: Engine, at: string): void {
  for (let i = 0; i < 4; i++) engine.apply(ev("offered", at));
  engine.apply(ev("answered", at, 5000));
  engine.apply(ev("answered", at, 15000));
  engine.apply(ev("answered", at, 30000));
  engine.apply(ev("abandoned", at, 3000));
  engine.apply(ev("abandoned", at, 40000));
  engine.apply(ev("flowout", at, 90000));
}

test("figures: counts, ASA, abandon rate, percentiles and max by definition", () => {
  const { engine, snap } = engineAt("2026-05-04T10:10:30Z");
  standardMix(engine, "2026-05-04T10:10:00Z");
  const f = snap().windows["5m"];
  assert.deepEqual(
    [f.offered, f.answered, f.abandoned, f.shortAbandoned, f.flowout, f.overSla],
    [4, 3, 2, 1, 1, 1],
  );
  assert.ok(Math.abs(f.asaSeconds! - 50 / 3) < 1e-9);
  assert.equal(f.abandonRate, 0.5);
  assert.equal(f.answeredWaitSeconds.p50, 15);
  assert.equal(f.answeredWaitSeconds.max, 30);
  assert.equal(f.abandonedWaitSeconds.max, 40);
  assert.equal(snap().totals.offered, 4);
  assert.deepEqual(snap().intervals.current.offered, 4);
  assert.equal(snap().intervals.today.answered, 3);
});

test("service level under each formula switch", () => {
  const cases: [Partial<EngineSettings["serviceLevel"]>, number][] = [
    [{}, 2 / 4], // default: abandons in, short abandons out, flow-outs out
    [{ includeShortAbandons: true }, 2 / 5],
    [{ includeAbandons: false }, 2 / 3],
    [{ includeFlowouts: true }, 2 / 5],
    [{ includeAbandons: false, includeFlowouts: true }, 2 / 4],
  ];
  for (const [policy, expected] of cases) {
    const { engine, snap } = engineAt("2026-05-04T10:10:30Z", { serviceLevel: { ...defaultEngineSettings.serviceLevel, ...policy } });
    standardMix(engine, "2026-05-04T10:10:00Z");
    assert.equal(snap().windows["5m"].serviceLevel, expected, JSON.stringify(policy));
  }
  // Nothing answered or abandoned yet: null, never 0 % or 100 %.
  const { engine, snap } = engineAt("2026-05-04T10:10:30Z");
  engine.apply(ev("offered", "2026-05-04T10:10:00Z"));
  const f = snap().windows["5m"];
  assert.equal(f.serviceLevel, null);
  assert.equal(f.asaSeconds, null);
  assert.deepEqual(f.answeredWaitSeconds, { p50: null, p90: null, p95: null, p99: null, max: null });
});

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

test("rolling windows: an event 10 minutes old is in the 15- and 60-minute windows, not the 5-minute one", () => {
  const { engine, clock, snap } = engineAt("2026-05-04T10:00:00Z");
  engine.apply(ev("answered", "2026-05-04T10:00:00Z", 1000));
  clock.set(T("2026-05-04T10:10:00Z"));
  engine.apply(ev("answered", "2026-05-04T10:09:59Z", 2000));
  const s = snap();
  assert.equal(s.windows["5m"].answered, 1);
  assert.equal(s.windows["15m"].answered, 2);
  assert.equal(s.windows["60m"].answered, 2);
  clock.set(T("2026-05-04T11:00:30Z"));
  assert.equal(snap().windows["60m"].answered, 1, "the 10:00 event left the 60-minute window");
  clock.set(T("2026-05-04T11:30:00Z"));
  assert.equal(snap().windows["60m"].answered, 0);
  assert.equal(snap().totals.answered, 2, "totals never forget");
});

test("interval attribution: offered at 07:28 and answered at 07:32 count in different intervals", () => {
  const { engine, snap } = engineAt("2026-05-04T07:35:00Z");
  engine.apply(ev("offered", "2026-05-04T07:28:00Z", undefined, "a"));
  engine.apply({ ...ev("answered", "2026-05-04T07:32:00Z", 240_000, "a") });
  const s = snap();
  assert.equal(s.intervals.current.start, "2026-05-04T07:30:00.000Z");
  assert.equal(s.intervals.current.end, "2026-05-04T08:00:00.000Z");
  assert.deepEqual([s.intervals.current.offered, s.intervals.current.answered], [0, 1]);
  assert.deepEqual([s.intervals.previous!.offered, s.intervals.previous!.answered], [1, 0]);
  const q = engineAt("2026-05-04T07:35:00Z", { intervalMinutes: 15 });
  q.engine.apply(ev("offered", "2026-05-04T07:28:00Z"));
  assert.equal(q.snap().intervals.current.start, "2026-05-04T07:30:00.000Z");
  assert.equal(q.snap().intervals.previous!.start, "2026-05-04T07:15:00.000Z");
});

test("intervals align on local wall-clock time (Asia/Kathmandu is UTC+05:45)", () => {
  const cal = new Calendar("Asia/Kathmandu", 30);
  const [s, e] = cal.interval(T("2026-05-04T10:20:00Z")); // 16:05 local
  assert.equal(new Date(s).toISOString(), "2026-05-04T10:15:00.000Z"); // 16:00 local
  assert.equal(e - s, 30 * 60_000);
});

test("DST: Dublin's spring-forward day lasts 23 h and fall-back day 25 h; intervals stay 30 min and aligned", () => {
  const cal = new Calendar("Europe/Dublin", 30);
  const [s1, e1] = cal.day(T("2026-03-29T12:00:00Z"));
  assert.equal(new Date(s1).toISOString(), "2026-03-29T00:00:00.000Z");
  assert.equal(new Date(e1).toISOString(), "2026-03-29T23:00:00.000Z");
  const [s2, e2] = cal.day(T("2026-10-25T12:00:00Z"));
  assert.equal(new Date(s2).toISOString(), "2026-10-24T23:00:00.000Z");
  assert.equal(new Date(e2).toISOString(), "2026-10-26T00:00:00.000Z");
  // Around the fall-back change (01:00 UTC), local 01:00-02:00 happens twice: two distinct intervals each.
  const starts = new Set<number>();
  for (let t = T("2026-10-25T00:00:00Z"); t < T("2026-10-25T03:00:00Z"); t += 60_000) {
    const [s, e] = cal.interval(t);
    assert.equal(e - s, 30 * 60_000);
    assert.ok(t >= s && t < e);
    starts.add(s);
  }
  assert.equal(starts.size, 6);
  assert.equal(offsetAt(T("2026-07-01T00:00:00Z"), "Europe/Dublin"), 3_600_000);
  // New York, daily reset at 06:00 local on the spring-forward day.
  const ny = new Calendar("America/New_York", 15, "06:00");
  const [a, b] = ny.day(T("2026-03-08T12:00:00Z"));
  assert.equal(new Date(a).toISOString(), "2026-03-08T10:00:00.000Z"); // 06:00 EDT
  assert.equal(new Date(b).toISOString(), "2026-03-09T10:00:00.000Z");
  const [c] = ny.day(T("2026-03-08T09:00:00Z")); // 05:00 EDT, before the reset: the day before
  assert.equal(new Date(c).toISOString(), "2026-03-07T11:00:00.000Z"); // 06:00 EST
});

test("today resets at the configured local time and counts each event on its own day", () => {
  const { engine, clock, snap } = engineAt("2026-05-04T23:50:00Z", { timeZone: "Europe/Dublin", dailyReset: "00:00" });
  engine.apply(ev("offered", "2026-05-04T22:50:00Z")); // 23:50 local, May 4
  engine.apply(ev("offered", "2026-05-04T23:10:00Z")); // 00:10 local, May 5
  const s = snap();
  assert.equal(s.intervals.today.start, "2026-05-04T23:00:00.000Z");
  assert.equal(s.intervals.today.offered, 1);
  assert.equal(s.dropped.today, 1, "the earlier day's event is not misfiled into today");
  clock.set(T("2026-05-05T23:30:00Z"));
  assert.equal(snap().intervals.today.offered, 0, "a new business day starts empty");
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
