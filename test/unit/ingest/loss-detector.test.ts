import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { AGGREGATE_MS, LossDetector, type IntervalRecord } from "../../../src/ingest/loss-detector.js";
import { Watermark } from "../../../src/ingest/watermark.js";

const T0 = Date.parse("2024-12-30T09:30:00.000Z");
const ev = (kind: QueueEvent["kind"], time: number, participantId = "p"): QueueEvent => ({ kind, queueId: "q", mediaType: "voice", conversationId: "c", participantId, time });
const agg = (start: number, counts: Record<string, number>) => ({ queueId: "q", mediaType: "voice", start, end: start + AGGREGATE_MS, ...counts });
const CHASE = { firstMs: 300_000, attempts: 3 };
const untouched = () => false;

test("compares a settled interval with Genesys' aggregate and reports only the figures that differ", () => {
  const d = new LossDetector(120_000, CHASE);
  d.count(ev("offered", T0 + 1_000));
  d.count(ev("offered", T0 + 2_000));
  d.count(ev("abandoned", T0 + 60_000));
  d.count(ev("answered", T0 + AGGREGATE_MS + 5)); // next interval
  d.aggregate(agg(T0, { offered: 1 }));
  d.aggregate(agg(T0, { offered: 2, abandoned: 2 }));
  assert.deepEqual(d.due(T0 + AGGREGATE_MS + 119_000, untouched).compared, [], "not settled yet");
  const { compared, reread } = d.due(T0 + AGGREGATE_MS + 120_000, untouched);
  assert.equal(compared.length, 1, "the next interval has no aggregate and is not due");
  const c = compared[0];
  assert.deepEqual(c.genesys, { offered: 2, abandoned: 2 });
  assert.deepEqual(c.monitor, { offered: 2, answered: 0, abandoned: 1, flowout: 0 });
  assert.deepEqual(c.differences, ["abandoned"], "answered is not compared: Genesys did not report it");
  assert.equal(c.status, "chasing");
  assert.deepEqual(reread, [["q", T0, T0 + AGGREGATE_MS]]);
  assert.deepEqual([...d.holding()], [["q", T0]], "the queue is held open from the interval while it is chased");
  assert.equal(d.disagreed, 1);
});

test("a chased interval is compared again later, twice as far apart, until it agrees (recovered) or is given up", () => {
  const d = new LossDetector(0, CHASE);
  d.count(ev("offered", T0 + 1));
  d.aggregate(agg(T0, { offered: 2 }));
  const end = T0 + AGGREGATE_MS;
  assert.equal(d.due(end, untouched).reread.length, 1);
  assert.equal(d.due(end + 299_000, untouched).compared.length, 0, "not before the first pause");
  assert.equal(d.due(end + 300_000, () => true).compared.length, 0, "nor while a backfill still reads it");
  const second = d.due(end + 300_000, untouched);
  assert.deepEqual([second.compared[0].status, second.compared[0].chases], ["chasing", 1]);
  assert.equal(d.due(end + 300_000 + 599_000, untouched).compared.length, 0, "then twice as long");
  d.count(ev("offered", T0 + 2, "p2")); // the late version was found by the re-read
  const third = d.due(end + 900_000, untouched);
  assert.equal(third.compared[0].status, "recovered");
  assert.equal(d.recovered, 1);
  assert.equal(d.holding().size, 0, "released");
  assert.equal(d.size, 0);
  const never = new LossDetector(0, { firstMs: 1, attempts: 2 });
  never.aggregate(agg(T0, { offered: 1 }));
  const statuses = [end, end + 1, end + 10].map((t) => never.due(t, untouched).compared[0]?.status);
  assert.deepEqual(statuses, ["chasing", "chasing", "unrecovered"]);
  assert.equal(never.unrecovered, 1);
});

test("a chase's pauses stop doubling at the cap, and it is not given up before the measured lag's reach", () => {
  let reach = 4 * 3_600_000;
  const d = new LossDetector(0, { firstMs: 300_000, maxPauseMs: 900_000, attempts: 2, spanMs: () => reach });
  d.aggregate(agg(T0, { offered: 1 }));
  const end = T0 + AGGREGATE_MS;
  const times: number[] = [];
  for (let now = end, i = 0; i < 60; i++, now += 60_000) {
    const c = d.due(now, untouched).compared[0];
    if (!c) continue;
    if (c.status !== "chasing") break;
    times.push((now - end) / 60_000);
  }
  assert.deepEqual(times.slice(0, 5), [0, 5, 15, 30, 45], "5, 10, then every 15 minutes");
  assert.equal(d.unrecovered, 0, "two attempts done, but the lag's reach (4 h) is not");
  reach = 0;
  const last = d.due(end + 10 * 3_600_000, untouched).compared[0];
  assert.equal(last.status, "unrecovered", "given up once both are past");
});

test("where the monitor counted more nothing is chased; an interval balanced by its neighbours is an edge, not a loss", () => {
  const d = new LossDetector(0, { firstMs: 1, attempts: 1 });
  d.count(ev("answered", T0 + 5));
  d.aggregate(agg(T0, { answered: 0 }));
  assert.equal(d.due(T0 + AGGREGATE_MS, untouched).compared[0].status, "ours-higher");
  // An answer at 10:00:00.010 counted in 10:00-10:30 by the monitor, in 09:30-10:00 by Genesys.
  const e = new LossDetector(0, { firstMs: 1, attempts: 1 });
  const T1 = T0 + AGGREGATE_MS;
  e.count(ev("answered", T1 + 10));
  e.aggregate(agg(T0, { answered: 1 }));
  e.aggregate(agg(T1, { answered: 0 }));
  e.aggregate(agg(T0 - AGGREGATE_MS, { answered: 0 }));
  e.due(T1 + AGGREGATE_MS, untouched); // T0 starts a chase; T1 is higher; T0 - 30 agrees
  assert.equal(e.due(T1 + AGGREGATE_MS + 10, untouched).compared[0].status, "edge");
  assert.equal(e.unrecovered, 0);
});

test("the intervals' records survive a restart: the dirty ones are handed out for the state file, forgotten ones as null", () => {
  const d = new LossDetector(0, CHASE);
  d.count(ev("offered", T0 + 1));
  d.aggregate(agg(T0, { offered: 3 }));
  const dirty = d.takeDirty();
  assert.equal(dirty.length, 1);
  assert.deepEqual(d.takeDirty(), [], "nothing new");
  // A restart: the records come back and the comparison happens as if nothing had happened.
  const restored = new LossDetector(0, CHASE, dirty.map(([k, r]) => [k, JSON.parse(JSON.stringify(r)) as IntervalRecord]));
  const c = restored.due(T0 + AGGREGATE_MS, untouched).compared[0];
  assert.deepEqual([c.monitor.offered, c.genesys.offered, c.status], [1, 3, "chasing"]);
  const none = new LossDetector(0, CHASE);
  none.count(ev("offered", T0 + 1));
  none.takeDirty();
  none.due(T0 + AGGREGATE_MS, untouched); // no aggregate: dropped
  assert.deepEqual(none.takeDirty().map(([, r]) => r), [null]);
});

test("aggregates that are not UTC-aligned 30-minute intervals are ignored", () => {
  const d = new LossDetector(0, CHASE);
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0 + 1, end: T0 + 1 + AGGREGATE_MS, offered: 5 });
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0, end: T0 + 60_000, offered: 5 });
  assert.deepEqual(d.due(T0 + 5 * AGGREGATE_MS, untouched).compared, []);
});

test("an interval is compared once Genesys' aggregates query confirmed it; the larger reading of each figure counts", () => {
  const d = new LossDetector(0, CHASE);
  d.count(ev("offered", T0 + 1));
  d.count(ev("offered", T0 + 2, "p2"));
  // The topic's last message for the interval was missed (a restart): it said 1 offer.
  d.aggregate(agg(T0, { offered: 1 }));
  const end = T0 + AGGREGATE_MS;
  assert.deepEqual(d.due(end, untouched, true).compared, [], "not before the query confirmed it");
  assert.deepEqual(d.unconfirmed(end, untouched), [["q", "voice", T0]]);
  d.confirm([["q", "voice", T0]], [agg(T0, { offered: 3 })]);
  assert.deepEqual(d.unconfirmed(end, untouched), []);
  const c = d.due(end, untouched, true).compared[0];
  assert.deepEqual([c.genesys.offered, c.monitor.offered, c.status], [3, 2, "chasing"], "the query's 3, not the stale topic's 1");
  // A query that lags (reads 2) cannot lower what the topic said.
  const e = new LossDetector(0, CHASE);
  e.count(ev("offered", T0 + 1));
  e.aggregate(agg(T0, { offered: 2 }));
  e.confirm([["q", "voice", T0]], [agg(T0, { offered: 1 })]);
  assert.equal(e.due(end, untouched, true).compared[0].genesys.offered, 2);
  // No group in the answer: Genesys counted nothing there.
  const f = new LossDetector(0, CHASE);
  f.count(ev("offered", T0 + 1));
  f.confirm([["q", "voice", T0]], []);
  assert.equal(f.due(end, untouched, true).compared[0].status, "ours-higher");
});

test("an interval is held open from its first event until it is compared, however long the comparison waits past the identity margin", () => {
  const hour = 3_600_000;
  const d = new LossDetector(25 * 60_000, CHASE);
  d.count(ev("offered", T0 + 1));
  d.count({ ...ev("offered", T0 + 2), queueId: "gone" });
  const w = new Watermark({ watermark: T0 + 70 * 60_000, pickups: [], known: null, removed: [] }, { overlapMs: 60_000, marginMs: hour });
  assert.ok(w.pruneBefore() > T0, "the margin alone would forget the interval's first minutes");
  const monitored = (q: string) => q !== "gone";
  w.setRecoveries(d.holding(monitored));
  assert.deepEqual([...d.holding(monitored)], [["q", T0]], "a queue no longer monitored holds nothing");
  assert.equal(w.pruneBefore(), T0 - 60_000, "identities are kept from the interval not yet compared");
  assert.equal(w.horizon("q"), T0 - 60_000, "and a re-read may count its late versions");
  assert.equal(d.chasingQueues, 0, "held, not chased");
  d.aggregate(agg(T0, { offered: 1 }));
  assert.equal(d.due(T0 + 70 * 60_000, untouched).compared.find((c) => c.queueId === "q")?.status, "agree");
  w.setRecoveries(d.holding(monitored));
  assert.equal(w.pruneBefore(), T0 + 70 * 60_000 - 60_000 - hour, "released once compared");
});
