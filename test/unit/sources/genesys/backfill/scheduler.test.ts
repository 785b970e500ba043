import { test } from "node:test";
import assert from "node:assert/strict";
import { apiCaughtUp, BackfillScheduler, newJob } from "../../../../../src/sources/genesys/backfill/scheduler.js";

const H = 30_000;
const set = (...xs: string[]) => new Set(xs);
const scheduler = (maxSettlePasses = 6, horizon = () => H) => new BackfillScheduler({ horizonMs: horizon, maxSettlePasses });

test("needs merge into one pending job; a merged job settles only if both did; a gap's job covers it", () => {
  const s = scheduler(4);
  s.schedule(newJob({ from: 100, to: 200, readyAt: 0, queueIds: set("a"), cause: "pickup" }));
  s.schedule(newJob({ from: 50, to: 300, readyAt: 10, queueIds: null, cause: "gap" }));
  assert.deepEqual([s.job!.from, s.job!.to, s.job!.queueIds, s.job!.readyAt, s.job!.covers], [50, 300, null, 0, true]);
  assert.equal(s.take(-1), null, "not due yet");
  const j = s.take(0)!;
  assert.equal(s.take(0), null, "one at a time");
  assert.equal(s.catchingUp, true);
  assert.equal(s.covering, true, "W waits for a gap's job");
  assert.deepEqual(s.succeeded(j, set("x"), 400), { kind: "immediate" });
  assert.equal(s.catchingUp, false, "a settling pass is due, but the gap is caught up");
  assert.equal(s.covering, true, "until it settles");
  assert.equal(s.job!.settle, true);
  assert.equal(s.job!.readyAt, 300 + H, "a horizon past `to`");
  const r = scheduler();
  r.schedule(newJob({ from: 0, to: 10, readyAt: 0, settle: true, queueIds: null, cause: "reconcile" }));
  assert.equal(r.covering, false, "reconciliation reads what W covers: it holds nothing");
});

test("settled only once the range stayed unchanged for a whole horizon, and its end is a horizon past", () => {
  const s = scheduler();
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("e1"), 1000);
  assert.equal(s.job!.readyAt, 1000 + H);
  // A version appeared: the horizon starts again from this pass.
  assert.deepEqual(s.succeeded(s.take(1000 + H)!, set("e1", "e2"), 1000 + H), { kind: "unsettled", passes: 1, nextAt: 1000 + 2 * H });
  // Two passes agree, but the range last changed only half a horizon before: not yet.
  assert.equal(s.succeeded({ ...s.take(1000 + 2 * H)!, changedAt: 1000 + 1.5 * H }, set("e1", "e2"), 1000 + 2 * H).kind, "unsettled");
  assert.deepEqual(s.succeeded(s.take(1e9)!, set("e1", "e2"), 1000 + 3 * H), { kind: "settled", passes: 3, stable: true });
  assert.deepEqual([s.job, s.reread, s.running], [null, null, null], "nothing left");
});

test("the horizon is read at every pass: a larger measured lag keeps a range open longer", () => {
  let h = H;
  const s = scheduler(6, () => h);
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("a"), 1000);
  h = 10 * H; // a 200 s lag was just measured elsewhere
  assert.deepEqual(s.succeeded(s.take(1e9)!, set("a"), 1000 + H), { kind: "unsettled", passes: 1, nextAt: 1000 + 10 * H });
  assert.equal(s.succeeded(s.take(1e9)!, set("a"), 1000 + 10 * H).kind, "settled");
});

test("settling gives up after maxSettlePasses, saying so", () => {
  const s = scheduler(2);
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("a"), 0);
  s.succeeded(s.take(1e9)!, set("b"), 1e9);
  assert.deepEqual(s.succeeded(s.take(2e9)!, set("c"), 2e9), { kind: "settled", passes: 2, stable: false });
});

test("a new gap during settling restarts the evidence; a failure retries as an immediate pass", () => {
  const s = scheduler();
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("a"), 0);
  s.schedule(newJob({ from: 900, to: 2000, readyAt: 1500, queueIds: null, cause: "gap" }));
  assert.deepEqual([s.job!.settle, s.job!.previous, s.job!.from, s.job!.to, s.job!.changedAt], [false, null, 0, 2000, undefined]);
  const j = s.take(1500)!;
  s.failed(j, 5000);
  assert.deepEqual([s.job!.settle, s.job!.attempts, s.job!.readyAt, s.scheduled.retry, s.job!.covers], [false, 1, 5000, 1, true]);
});

test("unchanged empty passes prove nothing while the API is behind the stream", () => {
  const s = scheduler();
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set(), 0);
  assert.equal(apiCaughtUp(-200, 1500, 1000), false);
  assert.equal(s.succeeded(s.take(1e6)!, set(), 1e6, apiCaughtUp(-200, 1500, 1000)).kind, "unsettled");
  assert.equal(s.succeeded(s.take(2e6)!, set("a"), 2e6, apiCaughtUp(1200, 1500, 1000)).kind, "unsettled");
  assert.deepEqual(s.succeeded(s.take(3e6)!, set("a"), 3e6, apiCaughtUp(1400, 1500, 1000)), { kind: "settled", passes: 3, stable: true });
  assert.equal(apiCaughtUp(700, 700, 1000), true);
  assert.equal(apiCaughtUp(600, 700, 1000), false);
});

test("a long range (a first start's day) settles on its last part only", () => {
  const s = scheduler(4);
  const day = 20 * 3_600_000;
  s.schedule(newJob({ from: 0, to: day, readyAt: 0, queueIds: null, cause: "initial" }));
  s.succeeded(s.take(0)!, set("early", "late"), day);
  assert.equal(s.job!.settleFrom, day - 4 * H);
  assert.equal(s.job!.previous, null, "the whole day's events cannot be compared with the narrowed passes'");
  const p1 = s.take(day + H)!;
  assert.equal(p1.settleFrom, day - 4 * H);
  assert.equal(s.succeeded(p1, set("late"), day + H).kind, "unsettled");
  assert.deepEqual(s.succeeded(s.take(day + 2 * H)!, set("late"), day + 2 * H), { kind: "settled", passes: 2, stable: true });
  s.schedule(newJob({ from: 0, to: day, readyAt: 0, queueIds: null, cause: "initial" }));
  s.succeeded(s.take(0)!, set("x"), day);
  s.schedule(newJob({ from: day - 40 * H, to: day + H, readyAt: day, queueIds: null, cause: "gap" }));
  assert.equal(s.job!.settleFrom, day - 40 * H, "the window reaches back to the gap's start, which the next pass reads");
  assert.equal(s.job!.from, 0);
  const short = scheduler(4);
  short.schedule(newJob({ from: 0, to: 3 * H, readyAt: 0, queueIds: null, cause: "gap" }));
  short.succeeded(short.take(0)!, set("a"), 3 * H);
  assert.equal(short.job!.settleFrom, undefined);
});

test("touches: a pending or running job over a queue and a range", () => {
  const s = scheduler();
  s.schedule(newJob({ from: 100, to: 200, readyAt: 0, queueIds: set("a"), cause: "loss" }));
  assert.equal(s.touches("a", 150, 300), true);
  assert.equal(s.touches("b", 150, 300), false);
  assert.equal(s.touches("a", 201, 300), false);
  s.take(0);
  assert.equal(s.touches("a", 0, 101), true, "running counts too");
});

test("a re-read is one pass in its own slot: it never waits behind a settling job, nor settles", () => {
  const s = scheduler();
  s.schedule(newJob({ from: 0, to: 1000, readyAt: 0, queueIds: null, cause: "gap" }));
  s.succeeded(s.take(0)!, set("e1"), 1000);
  assert.equal(s.job!.readyAt, 1000 + H, "the gap's job waits a horizon for its settling pass");
  assert.equal(s.touches("a", 0, 500), false, "its range was read: the loss detector need not wait a horizon for it");
  s.schedule(newJob({ from: 200, to: 400, readyAt: 1100, queueIds: set("a"), cause: "loss" }));
  s.schedule(newJob({ from: 300, to: 900, readyAt: 1200, queueIds: set("b"), cause: "loss" }));
  assert.deepEqual([s.reread!.from, s.reread!.to, [...s.reread!.queueIds!].sort(), s.reread!.readyAt, s.reread!.settle], [200, 900, ["a", "b"], 1100, false], "re-reads merge, due when the first is");
  assert.equal(s.touches("b", 800, 850), true, "a re-read still to come");
  assert.equal(s.catchingUp, false, "a re-read is not a gap");
  const r = s.take(1100)!;
  assert.equal(r.cause, "loss");
  assert.equal(s.job!.settle, true, "the settling job is left as it was");
  s.failed(r, 1500);
  assert.deepEqual([s.reread!.cause, s.reread!.readyAt, s.reread!.attempts], ["loss", 1500, 1], "a failed re-read is retried as one");
  assert.deepEqual(s.succeeded(s.take(1500)!, set("x"), 1500), { kind: "reread" });
  assert.equal(s.reread, null);
  assert.deepEqual([s.job!.passes, s.job!.readyAt], [0, 1000 + H], "nor did the re-read touch its evidence");
  s.schedule(newJob({ from: 0, to: 10, readyAt: 1000 + H, queueIds: null, cause: "reconcile" }));
  assert.equal(s.take(1000 + H)?.cause, "gap", "a covering job first when both are due");
});
