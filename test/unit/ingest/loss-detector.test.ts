import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { AGGREGATE_MS, LossDetector } from "../../../src/ingest/loss-detector.js";

const T0 = Date.parse("2024-12-30T09:30:00.000Z");
const ev = (kind: QueueEvent["kind"], time: number, participantId = "p"): QueueEvent => ({ kind, queueId: "q", mediaType: "voice", conversationId: "c", participantId, time });

test("compares a settled interval with Genesys' aggregate and reports only the figures that differ", () => {
  const d = new LossDetector(T0 - 1, 120_000);
  d.count(ev("offered", T0 + 1_000));
  d.count(ev("offered", T0 + 2_000));
  d.count(ev("abandoned", T0 + 60_000));
  d.count(ev("answered", T0 + AGGREGATE_MS + 5)); // next interval
  // Genesys saw two offers and two abandons (one missed by the monitor); its messages grow through the interval.
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0, end: T0 + AGGREGATE_MS, offered: 1 });
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0, end: T0 + AGGREGATE_MS, offered: 2, abandoned: 2 });
  assert.deepEqual(d.due(T0 + AGGREGATE_MS + 119_000), [], "not settled yet");
  const [c, ...rest] = d.due(T0 + AGGREGATE_MS + 120_000);
  assert.equal(rest.length, 0, "the next interval has no aggregate and is not due");
  assert.deepEqual(c.genesys, { offered: 2, abandoned: 2 });
  assert.deepEqual(c.monitor, { offered: 2, answered: 0, abandoned: 1, flowout: 0 });
  assert.deepEqual(c.differences, ["abandoned"], "answered is not compared: Genesys did not report it");
  assert.equal(d.disagreed, 1);
  assert.deepEqual(d.due(T0 + 10 * AGGREGATE_MS), [], "a compared interval is forgotten; one without an aggregate is dropped silently");
});

test("intervals that began before the detector started are never compared (their counts are partly elsewhere)", () => {
  const d = new LossDetector(T0 + 10_000, 0);
  d.count(ev("offered", T0 + 20_000));
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0, end: T0 + AGGREGATE_MS, offered: 5 });
  assert.deepEqual(d.due(T0 + 3 * AGGREGATE_MS), []);
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0 + AGGREGATE_MS, end: T0 + 2 * AGGREGATE_MS, offered: 0 });
  assert.equal(d.due(T0 + 3 * AGGREGATE_MS)[0].differences.length, 0, "an interval with nothing on either side agrees");
});

test("aggregates that are not UTC-aligned 30-minute intervals are ignored", () => {
  const d = new LossDetector(0, 0);
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0 + 1, end: T0 + 1 + AGGREGATE_MS, offered: 5 });
  d.aggregate({ queueId: "q", mediaType: "voice", start: T0, end: T0 + 60_000, offered: 5 });
  assert.deepEqual(d.due(T0 + 5 * AGGREGATE_MS), []);
});
