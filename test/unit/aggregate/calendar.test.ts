/** Clock-aligned intervals and days in a business time zone: attribution, odd offsets, DST, the daily reset. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Calendar, offsetAt } from "../../../src/aggregate/calendar.js";
import { T, ev, engineAt } from "../../helpers/engine-fixture.js";

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
