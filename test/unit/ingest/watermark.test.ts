import { test } from "node:test";
import assert from "node:assert/strict";
import { streamWatermark, Watermark } from "../../../src/ingest/watermark.js";

const H = 3_600_000;
const DAY0 = Date.parse("2026-05-04T00:00:00Z");
const settings = { overlapMs: 60_000, marginMs: H };

test("W never goes back", () => {
  const w = new Watermark({ watermark: DAY0 + 10 * H, pickups: [], known: [], removed: [] }, settings);
  assert.equal(w.advance(DAY0 + 9 * H), false);
  assert.equal(w.advance(DAY0 + 11 * H), true);
  assert.equal(w.value, DAY0 + 11 * H);
});

test("the stream moves W only with every channel live, no backfill due, after the first backfill", () => {
  const base = { lastFrames: [DAY0 + 100_000, DAY0 + 50_000], allLive: true, backfillIdle: true, initialDone: true, allowanceMs: 10_000 };
  assert.equal(streamWatermark(base), DAY0 + 40_000, "oldest channel's last frame minus the allowance");
  assert.equal(streamWatermark({ ...base, allLive: false }), null);
  assert.equal(streamWatermark({ ...base, backfillIdle: false }), null);
  assert.equal(streamWatermark({ ...base, initialDone: false }), null);
  assert.equal(streamWatermark({ ...base, lastFrames: [] }), null);
});

test("a queue that joins the selection mid-day is admitted from the day start until its backfill settles", () => {
  const w = new Watermark({ watermark: DAY0 + 15 * H, pickups: [], known: ["a"], removed: [] }, settings);
  assert.deepEqual(w.select(["a", "b"], DAY0, false), [["b", DAY0]]);
  assert.equal(w.horizon("a"), DAY0 + 14 * H - 60_000, "an ordinary queue: W - overlap - margin");
  assert.equal(w.horizon("b"), DAY0 - 60_000, "the pickup: its floor - overlap");
  assert.equal(w.pruneBefore(), DAY0 - 60_000, "its identities are kept meanwhile");
  assert.deepEqual(w.select(["a", "b"], DAY0, false), [], "picked up once");
  w.settled(["b"]);
  assert.equal(w.horizon("b"), w.horizon("a"));
  assert.equal(w.pruneBefore(), DAY0 + 14 * H - 60_000);
});

test("a queue re-added the same day needs only what came after it left; the first start covers everything", () => {
  const w = new Watermark({ watermark: DAY0 + 15 * H, pickups: [], known: ["a", "b"], removed: [] }, settings);
  w.remove("b", DAY0 + 12 * H);
  assert.deepEqual(w.select(["a", "b"], DAY0, false), [["b", DAY0 + 12 * H]]);
  const fresh = new Watermark({ watermark: DAY0, pickups: [], known: [], removed: [] }, settings);
  assert.deepEqual(fresh.select(["a", "b"], DAY0, true), []);
  assert.deepEqual(fresh.select(["a", "b", "c"], DAY0, false), [["c", DAY0]]);
  const legacy = new Watermark({ watermark: DAY0, pickups: [], known: null, removed: [] }, settings);
  assert.deepEqual(legacy.select(["a"], DAY0, false), [], "a state file from before coverage: everything counts as covered");
});

test("coverage survives a restart through its state", () => {
  const w = new Watermark({ watermark: DAY0 + 15 * H, pickups: [], known: ["a"], removed: [] }, settings);
  w.select(["a", "b"], DAY0, false);
  const again = new Watermark(JSON.parse(JSON.stringify(w.toState())), settings);
  assert.deepEqual(again.pendingPickups(), [["b", DAY0]]);
  assert.equal(again.horizon("b"), DAY0 - 60_000);
  const v = w.version;
  w.settled(["b"]);
  assert.ok(w.version > v, "a coverage change is marked for persisting");
});

test("no horizon reaches back past identities already forgotten: a grown margin, a late chase; a pickup's floor still does", () => {
  const w = new Watermark({ watermark: DAY0 + 10 * H, pickups: [], known: ["a", "b"], removed: [] }, settings);
  const before = w.pruneBefore();
  assert.equal(before, DAY0 + 9 * H - 60_000, "W - overlap - margin");
  w.forgotBefore(before);
  w.setMargin(3 * H); // a longer lag was measured after the identities were forgotten
  assert.equal(w.horizon("a"), before, "not W - overlap - 3 h: what was counted there and forgotten could come back");
  w.setRecoveries(new Map([["a", DAY0 + 8 * H]]));
  assert.equal(w.horizon("a"), before, "a chase that began after its interval was forgotten");
  w.setMargin(0);
  w.advance(DAY0 + 11 * H);
  w.setRecoveries(new Map([["a", DAY0 + 9.5 * H]]));
  assert.equal(w.horizon("a"), DAY0 + 9.5 * H - 60_000, "a chase within what is held opens it");
  w.forgotBefore(DAY0); // an older boundary never moves it back
  assert.equal(w.horizon("b"), DAY0 + 10 * H - 60_000);
  w.select(["a", "b", "c"], DAY0, false);
  assert.equal(w.horizon("c"), DAY0 - 60_000, "a pickup's events before W were never counted: admitted from its floor");
});
