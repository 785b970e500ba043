/**
 * Where a frame goes by its topic: conversation snapshots to the pipeline, observations to the
 * "now" figures and the loss detector; only monitored queues count; a body that is not a
 * conversation is counted and said (throttled), never thrown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { QueueEvent } from "../../../../../src/domain/queue-event.js";
import type { IntervalAggregate, ObservationUpdate } from "../../../../../src/normalize/observation.js";
import { FrameDispatch } from "../../../../../src/sources/genesys/stream/dispatch.js";
import { classifyTopic, queueTopics } from "../../../../../src/sources/genesys/stream/topics.js";
import { ManualClock } from "../../../../../src/util/clock.js";
import { captureLog } from "../../../../helpers/log-capture.js";

const FIXTURES = fileURLToPath(new URL("../../../../../../test/fixtures/", import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(`${FIXTURES}${name}`, "utf8")) as { topicName: string; eventBody: unknown };

function setup(monitored: string[]) {
  const got = { events: [] as QueueEvent[], observations: [] as ObservationUpdate[], aggregates: [] as IntervalAggregate[] };
  const counters: Record<string, number> = {};
  const { log, lines } = captureLog();
  const d = new FrameDispatch(
    { monitored: (q) => monitored.includes(q), events: (e) => got.events.push(...e), observation: (u) => got.observations.push(u), aggregate: (a) => got.aggregates.push(a) },
    counters,
    new ManualClock(Date.parse("2024-12-30T10:00:00Z")),
    log,
  );
  return { d, got, counters, lines };
}

test("topics: the two of a queue, and what a topic name says", () => {
  assert.deepEqual(queueTopics("q1"), ["v2.routing.queues.q1.conversations", "v2.analytics.queues.q1.observations"]);
  assert.deepEqual(classifyTopic("v2.routing.queues.q1.conversations.calls"), { kind: "conversation", queueId: "q1" });
  assert.deepEqual(classifyTopic("v2.analytics.queues.q1.observations"), { kind: "observation", queueId: "q1" });
  assert.deepEqual(classifyTopic("v2.users.u1.presence"), { kind: "other" });
});

test("a conversation snapshot becomes events of the monitored queues only", () => {
  const queueId = "0000000a-0000-4000-8000-00000000000a";
  const f = { topicName: `v2.routing.queues.${queueId}.conversations`, eventBody: fixture("built-conversation-call-noanswer-then-answered.json") };
  const on = setup([queueId]);
  on.d.frame(f);
  assert.ok(on.got.events.length > 0 && on.got.events.every((e) => e.queueId === queueId && e.mediaType === "voice"), JSON.stringify(on.got.events));
  const off = setup([]);
  off.d.frame(f);
  assert.deepEqual(off.got.events, [], "a queue not monitored counts nothing");
});

test("observations go to the now figures and Genesys' aggregates to the loss detector", () => {
  const { instant, aggregate } = fixture("built-notification-queue-observations.json") as unknown as Record<"instant" | "aggregate", { topicName: string; eventBody: unknown }>;
  const s = setup(["0000000a-0000-4000-8000-00000000000a"]);
  s.d.frame(instant);
  s.d.frame(aggregate);
  assert.deepEqual(s.got.observations.map((u) => [u.waiting, u.alerting]), [[0, 0]]);
  assert.deepEqual(s.got.aggregates.map((a) => [a.offered, a.abandoned]), [[2, 2]]);
  assert.deepEqual(s.got.events, []);
  const off = setup([]);
  off.d.frame(aggregate);
  assert.deepEqual(off.got.aggregates, [], "nor for a queue not monitored");
});

test("a body that is not a conversation is counted and said at most once a second, never thrown", () => {
  const s = setup(["q1"]);
  for (let i = 0; i < 50; i++) s.d.frame({ topicName: "v2.routing.queues.q1.conversations", eventBody: "not a conversation" });
  assert.equal(s.counters.badPayloads, 50);
  assert.ok(s.lines.length >= 1 && s.lines.length <= 2, `throttled: ${s.lines.length} lines`);
  assert.doesNotThrow(() => s.d.frame({ topicName: "v2.analytics.queues.q1.observations", eventBody: { data: [null] } }));
});
