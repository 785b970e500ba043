import { test } from "node:test";
import assert from "node:assert/strict";
import { apiCaughtUp, BackfillScheduler, newJob } from "../../../../../src/sources/genesys/backfill/scheduler.js";

const D = 30_000;
const set = (...xs: string[]) => new Set(xs);

test("needs merge into one pending job; a merged job settles only if both did", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 4 });
  s.schedule(newJob({ from: 100, to: 200, readyAt: 0, queueIds: set("a"), cause: "pickup" }));
  s.schedule(newJob({ from: 50, to: 300, readyAt: 10, queueIds: null, cause: "gap" }));
  assert.deepEqual([s.job!.from, s.job!.to, s.job!.queueIds, s.job!.readyAt], [50, 300, null, 0]);
  assert.equal(s.take(-1), null, "not due yet");
  const j = s.take(0)!;
  assert.equal(s.take(0), null, "one at a time");
  assert.equal(s.catchingUp, true);
  assert.deepEqual(s.succeeded(j, set("x"), 400), { kind: "immediate" });
  assert.equal(s.catchingUp, false, "a settling pass is due, but the gap is caught up");
  assert.equal(s.job!.settle, true);
  assert.equal(s.job!.readyAt, 300 + D, "the ingestion delay past `to`");
});

test("settling passes repeat, twice as far apart, until two agree", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 6 });
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("e1"), 1000);
  assert.equal(s.job!.readyAt, 1000 + D);
  assert.deepEqual(s.succeeded(s.take(1000 + D)!, set("e1", "e2"), 1000 + D), { kind: "unsettled", passes: 1, nextAt: 1000 + 2 * D });
  assert.deepEqual(s.succeeded(s.take(1000 + 2 * D)!, set("e1", "e2", "e3"), 1000 + 2 * D), { kind: "unsettled", passes: 2, nextAt: 1000 + 4 * D });
  assert.deepEqual(s.succeeded(s.take(1000 + 4 * D)!, set("e1", "e2", "e3"), 1000 + 4 * D), { kind: "settled", passes: 3, stable: true });
  assert.equal(s.idle, true);
});

test("settling gives up after maxSettlePasses, saying so", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 2 });
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("a"), 0);
  s.succeeded(s.take(1e9)!, set("b"), 1e9);
  assert.deepEqual(s.succeeded(s.take(2e9)!, set("c"), 2e9), { kind: "settled", passes: 2, stable: false });
});

test("a new gap during settling restarts the evidence; a failure retries as an immediate pass", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 6 });
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("a"), 0);
  s.schedule(newJob({ from: 900, to: 2000, readyAt: 1500, queueIds: null, cause: "gap" }));
  assert.deepEqual([s.job!.settle, s.job!.previous, s.job!.from, s.job!.to], [false, null, 0, 2000]);
  const j = s.take(1500)!;
  s.failed(j, 5000);
  assert.deepEqual([s.job!.settle, s.job!.attempts, s.job!.readyAt, s.scheduled.retry], [false, 1, 5000, 1]);
});

test("two empty passes prove nothing while the API is behind the stream", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 6 });
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set(), 0);
  // The API's latest activity is older than the range while the stream has seen past its end.
  assert.equal(apiCaughtUp(-200, 1500, 1000), false);
  assert.equal(s.succeeded(s.take(1e6)!, set(), 1e6, apiCaughtUp(-200, 1500, 1000)).kind, "unsettled");
  assert.equal(s.succeeded(s.take(2e6)!, set("a"), 2e6, apiCaughtUp(1200, 1500, 1000)).kind, "unsettled");
  assert.deepEqual(s.succeeded(s.take(3e6)!, set("a"), 3e6, apiCaughtUp(1400, 1500, 1000)), { kind: "settled", passes: 3, stable: true });
  // A quiet stream: the API need only show what the stream last saw.
  assert.equal(apiCaughtUp(700, 700, 1000), true);
  assert.equal(apiCaughtUp(600, 700, 1000), false);
});

test("a long range (a first start's day) settles on its last part only, by two narrowed passes that agree", () => {
  const s = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 4 });
  const day = 20 * 3_600_000;
  s.schedule(newJob({ from: 0, to: day, readyAt: 0, queueIds: null, cause: "initial" }));
  // The immediate pass read the whole day; the settling passes start 16 x D before it ran.
  s.succeeded(s.take(0)!, set("early", "late"), day);
  assert.equal(s.job!.settleFrom, day - 16 * D);
  assert.equal(s.job!.previous, null, "the whole day's events cannot be compared with the narrowed passes'");
  const p1 = s.take(day + D)!;
  assert.equal(p1.settleFrom, day - 16 * D);
  assert.equal(s.succeeded(p1, set("late"), day + D).kind, "unsettled");
  assert.deepEqual(s.succeeded(s.take(day + 2 * D)!, set("late"), day + 2 * D), { kind: "settled", passes: 2, stable: true });
  // A gap merged in meanwhile widens the window to cover it; a short range is never narrowed.
  s.schedule(newJob({ from: 0, to: day, readyAt: 0, queueIds: null, cause: "initial" }));
  s.succeeded(s.take(0)!, set("x"), day);
  s.schedule(newJob({ from: day - 40 * D, to: day + D, readyAt: day, queueIds: null, cause: "gap" }));
  assert.equal(s.job!.settleFrom, day - 40 * D, "the window reaches back to the gap's start, which the next pass reads");
  assert.equal(s.job!.from, 0);
  const short = new BackfillScheduler({ ingestionDelayMs: D, maxSettlePasses: 4 });
  short.schedule(newJob({ from: 0, to: 10 * D, readyAt: 0, queueIds: null, cause: "gap" }));
  short.succeeded(short.take(0)!, set("a"), 10 * D);
  assert.equal(short.job!.settleFrom, undefined);
});
