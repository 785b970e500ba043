import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import type { QueueEvent, QueueEventKind } from "../../../src/domain/queue-event.js";
import { Dedup } from "../../../src/ingest/dedup.js";
import { Pipeline } from "../../../src/ingest/pipeline.js";
import { Watermark } from "../../../src/ingest/watermark.js";
import { ManualClock } from "../../../src/util/clock.js";
import { silentLogger } from "../../../src/util/log.js";

const H = 3_600_000;
const NOW = Date.parse("2026-05-04T15:00:00Z");
const DAY0 = Date.parse("2026-05-04T00:00:00Z");

function ev(kind: QueueEventKind, time: number, conv: string, queueId = "q1", waitMs?: number): QueueEvent {
  return { kind, queueId, mediaType: "voice", conversationId: conv, participantId: `p-${conv}`, time, ...(waitMs === undefined ? {} : { waitMs }) };
}

function setup(known = ["q1"], maxClockSkewMs = 300_000) {
  const clock = new ManualClock(NOW);
  const engine = new Engine({ ...defaultEngineSettings }, clock);
  const watermark = new Watermark({ watermark: NOW - 60_000, pickups: [], known, removed: [] }, { overlapMs: 60_000, marginMs: H });
  const pending: string[] = [];
  const counters: Record<string, number> = {};
  const p = new Pipeline({ engine, watermark, dedup: new Dedup(), pending: { add: (id) => pending.push(id) }, clock, counters, log: silentLogger, observers: [] }, { maxClockSkewMs });
  return { clock, engine, watermark, pending, counters, p };
}

test("an event far ahead of the clock is rejected and counted; it never moves the windows", () => {
  const { engine, counters, p, pending } = setup(["q1"], Number(process.env.QM_TEST_SKEW ?? 300_000));
  p.ingest([ev("offered", NOW - 60_000, "a"), ev("answered", NOW - 30_000, "a", "q1", 30_000)], "stream");
  p.ingest([ev("offered", NOW + 2 * 86_400_000, "future")], "stream");
  p.ingest([ev("offered", NOW + 200_000, "slightly-ahead")], "stream");
  p.ingest([ev("offered", NOW - 10_000, "c")], "stream");
  engine.maintain();
  const s = engine.snapshot()[0];
  assert.equal(s.windows["5m"].offered, 2, "the 5-minute window still holds the present");
  assert.equal(s.windows["5m"].answered, 1);
  assert.equal(counters.skewRejected, 1);
  assert.equal(pending.length, 4);
});

test("the same event from both sources counts once; an unseen event behind the horizon is dropped", () => {
  const { counters, p, pending } = setup();
  const e = ev("offered", NOW - 120_000, "a");
  assert.equal(p.ingest([e], "stream"), 1);
  assert.equal(p.ingest([e], "backfill"), 0);
  assert.equal(counters.duplicatesDropped, 1);
  assert.equal(p.ingest([ev("offered", NOW - 3 * H, "old")], "backfill"), 0);
  assert.equal(counters.lateDropped, 1);
  assert.equal(pending.length, 1);
});

test("a queue picked up mid-day has its whole day admitted, once", () => {
  const { counters, p, watermark, engine } = setup();
  watermark.select(["q1", "q2"], DAY0, false);
  const day = [ev("offered", DAY0 + 8 * H, "m", "q2"), ev("abandoned", DAY0 + 8 * H + 40_000, "m", "q2", 40_000)];
  assert.equal(p.ingest(day, "backfill", DAY0), 2);
  assert.equal(p.ingest(day, "backfill", DAY0), 0, "a second pass is deduplicated");
  p.prune();
  assert.equal(p.ingest(day, "backfill", DAY0), 0, "identities are kept while the pickup settles");
  assert.equal(counters.lateDropped, 0);
  assert.equal(engine.snapshot((q) => q === "q2")[0].intervals.today.abandoned, 1);
  // Another queue's equally old unseen event is still dropped.
  assert.equal(p.ingest([ev("offered", DAY0 + 8 * H, "n", "q1")], "backfill", DAY0), 0);
  assert.equal(counters.lateDropped, 1);
});

test("seen collects the identities in the range whatever their verdict", () => {
  const { p } = setup();
  const seen = { set: new Set<string>(), until: NOW - 10_000, frontier: -Infinity };
  p.ingest([ev("offered", NOW - 120_000, "a"), ev("offered", NOW - 5_000, "b")], "backfill", NOW - 200_000, seen);
  p.ingest([ev("offered", NOW - 120_000, "a")], "backfill", NOW - 200_000, seen);
  assert.equal(seen.set.size, 1);
  assert.equal(seen.frontier, NOW - 5_000, "the latest event, in the range or not");
  p.ingest([ev("offered", NOW - 1_000, "s", "q7")], "stream");
  assert.equal(p.streamFrontier.get("q7"), NOW - 1_000);
});

test("one outcome per queue visit: an end read differently by the other source collides, is counted as a conflict, and the first stays", () => {
  const { counters, p, engine } = setup();
  const offered = ev("offered", NOW - 120_000, "v");
  assert.equal(p.ingest([offered, ev("answered", NOW - 60_000, "v", "q1", 60_000)], "stream"), 2);
  // Analytics reads the same visit's end as a flow-out, a few ms apart: it must not count too.
  assert.equal(p.ingest([offered, ev("flowout", NOW - 59_990, "v", "q1", 60_010)], "backfill"), 0);
  assert.equal(counters.outcomeConflicts, 1);
  assert.equal(counters.duplicatesDropped, 1, "the offer is a plain duplicate");
  const t = engine.snapshot()[0].totals;
  assert.deepEqual(t, { offered: 1, answered: 1, abandoned: 0, flowout: 0 });
  // The same reading again is a duplicate, not a second conflict.
  assert.equal(p.ingest([ev("answered", NOW - 60_000, "v", "q1", 60_000)], "backfill"), 0);
  assert.equal(counters.outcomeConflicts, 1);
});
