import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { storedIdentity as eventIdentity } from "../../../src/ingest/dedup.js";
import { conversationDetails, conversationSnapshot } from "../../../src/emulator/render.js";
import { loadScenario } from "../../../src/emulator/simulator/load-scenario.js";
import { Simulator } from "../../../src/emulator/simulator/simulator.js";
import { eventsFromSnapshot, SnapshotError } from "../../../src/normalize/conversation.js";
import { eventsFromDetails } from "../../../src/normalize/details.js";
import { observationsFrom } from "../../../src/normalize/observation.js";

const Q = "0c57879e-fc96-440c-9e0b-e1973f88c0ef";
const Q2 = "1d1a0000-0000-4000-8000-0000000000fc";

/** A snapshot in the shape of the reference's captured payload (§3a), with a chat customer. */
function snapshot(parts: Record<string, unknown>[]): Record<string, unknown> {
  return { id: "2382cf8f-2cba-44a4-97c0-119df2cf0ac4", participants: parts };
}
const customer = (end?: string) => ({
  id: "354a7626-e8e8-499b-a790-8d6cbc3a485c",
  connectedTime: "2020-06-12T13:22:13.335Z",
  ...(end ? { endTime: end } : {}),
  name: "ronald reagan",
  queueId: Q,
  purpose: "customer",
  chats: [{ state: end ? "disconnected" : "connected" }],
});
const acd = (id: string, queueId: string, start: string, end?: string, disconnectType?: string) => ({
  id,
  purpose: "acd",
  queueId,
  connectedTime: start,
  ...(end ? { endTime: end } : {}),
  chats: [{ state: end ? "disconnected" : "connected", ...(disconnectType ? { disconnectType } : {}) }],
});
const agent = (id: string, queueId: string, connected?: string, end?: string, disconnectType?: string) => ({
  id,
  purpose: "agent",
  queueId,
  userId: "u-" + id,
  ...(connected ? { connectedTime: connected } : {}),
  ...(end ? { endTime: end } : {}),
  chats: [{ state: connected ? "connected" : end ? "disconnected" : "alerting", ...(disconnectType ? { disconnectType } : {}) }],
});

const kinds = (evs: QueueEvent[]) => evs.map((e) => `${e.kind}:${e.participantId}:${e.waitMs ?? "-"}`);

test("a chat waits, an agent does not answer (re-queue), a second agent answers", () => {
  const t0 = "2020-06-12T13:22:13.335Z";
  const waiting = snapshot([customer(), acd("a1", Q, t0)]);
  assert.deepEqual(kinds(eventsFromSnapshot(waiting)), ["offered:a1:-"]);
  assert.equal(eventsFromSnapshot(waiting)[0].mediaType, "chat");
  const noAnswer = snapshot([customer(), acd("a1", Q, t0), agent("g1", Q, undefined, "2020-06-12T13:22:25.000Z", "transfer.noanswer")]);
  assert.deepEqual(kinds(eventsFromSnapshot(noAnswer)), ["offered:a1:-"], "a no-answer leaves the leg waiting");
  const answered = snapshot([
    customer(),
    acd("a1", Q, t0, "2020-06-12T13:22:40.335Z", "transfer"),
    agent("g1", Q, undefined, "2020-06-12T13:22:25.000Z", "transfer.noanswer"),
    agent("g2", Q, "2020-06-12T13:22:40.335Z"),
  ]);
  assert.deepEqual(kinds(eventsFromSnapshot(answered)), ["offered:a1:-", "answered:a1:27000"]);
});

test("abandon, flow-out to voicemail, and a transfer to a second queue", () => {
  const t0 = "2020-06-12T13:22:13.335Z";
  const abandoned = snapshot([customer("2020-06-12T13:23:13.335Z"), acd("a1", Q, t0, "2020-06-12T13:23:13.335Z", "peer")]);
  assert.deepEqual(kinds(eventsFromSnapshot(abandoned)), ["offered:a1:-", "abandoned:a1:60000"]);
  const voicemail = snapshot([customer(), acd("a1", Q, t0, "2020-06-12T13:32:13.335Z", "transfer"), { id: "v", purpose: "voicemail", chats: [{ state: "connected" }] }]);
  assert.deepEqual(kinds(eventsFromSnapshot(voicemail)), ["offered:a1:-", "flowout:a1:600000"]);
  // Answered in Q, transferred by the agent to Q2 where it waits, then is answered there.
  const transferred = snapshot([
    customer(),
    acd("a1", Q, t0, "2020-06-12T13:22:23.335Z", "transfer"),
    agent("g1", Q, "2020-06-12T13:22:23.335Z", "2020-06-12T13:25:00.000Z", "transfer"),
    acd("a2", Q2, "2020-06-12T13:25:00.000Z", "2020-06-12T13:25:30.000Z", "transfer"),
    agent("g2", Q2, "2020-06-12T13:25:30.000Z"),
  ]);
  assert.deepEqual(kinds(eventsFromSnapshot(transferred)), ["offered:a1:-", "answered:a1:10000", "offered:a2:-", "answered:a2:30000"]);
  assert.deepEqual(kinds(eventsFromSnapshot(transferred, (q) => q === Q2)), ["offered:a2:-", "answered:a2:30000"], "only monitored queues");
});

test("repeated and out-of-order snapshots yield the same identities (dedup makes them no-ops)", () => {
  const t0 = "2020-06-12T13:22:13.335Z";
  const s1 = snapshot([customer(), acd("a1", Q, t0)]);
  const s2 = snapshot([customer("2020-06-12T13:23:13.335Z"), acd("a1", Q, t0, "2020-06-12T13:23:13.335Z", "peer")]);
  const seen = new Set<string>();
  const counted: string[] = [];
  for (const s of [s2, s1, s2, s1]) {
    for (const e of eventsFromSnapshot(s)) {
      if (seen.has(eventIdentity(e))) continue;
      seen.add(eventIdentity(e));
      counted.push(e.kind);
    }
  }
  assert.deepEqual(counted, ["offered", "abandoned"]);
});

test("malformed bodies are refused or skipped, never crash", () => {
  assert.throws(() => eventsFromSnapshot(null), SnapshotError);
  assert.throws(() => eventsFromSnapshot({ participants: "x" }), SnapshotError);
  assert.deepEqual(eventsFromSnapshot({ id: "c", participants: [null, 5, { purpose: "acd" }, { purpose: "acd", id: "a", queueId: Q, connectedTime: "garbage" }] }), []);
  assert.deepEqual(eventsFromDetails({} as never), []);
});

test("observations: instant counts per queue and media; aggregates ignored", () => {
  const body = {
    group: { queueId: Q, mediaType: "voice" },
    data: [
      { interval: "2024-12-30T09:46:54.839Z/2024-12-30T09:46:54.839Z", metrics: [{ metric: "oAlerting", stats: { count: 1 } }, { metric: "oWaiting", stats: { count: 4 } }, { metric: "oInteracting", stats: { count: 2 } }] },
      { interval: "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z", metrics: [{ metric: "nOffered", stats: { count: 2 } }] },
    ],
  };
  assert.deepEqual(observationsFrom(Q, body), [{ queueId: Q, mediaType: "voice", waiting: 4, interacting: 2, alerting: 1, at: Date.parse("2024-12-30T09:46:54.839Z") }]);
  assert.deepEqual(observationsFrom(Q, { data: "nope" }), []);
});

test("on simulated traffic, snapshots and details both give exactly the ground truth, to the millisecond", () => {
  const sim = new Simulator(loadScenario("steady"), { seed: 11, start: Date.parse("2026-02-02T09:00:00Z"), durationMinutes: 180 });
  const fromStream = new Map<string, QueueEvent>();
  sim.listen({
    conversationChanged: (conv) => {
      const v = conv.versions[conv.versions.length - 1];
      // Round-trip through JSON, as over the wire.
      for (const e of eventsFromSnapshot(JSON.parse(JSON.stringify(conversationSnapshot(conv, v.participants))))) {
        if (!fromStream.has(eventIdentity(e))) fromStream.set(eventIdentity(e), e);
      }
    },
  });
  sim.advanceTo(sim.options.start + 5 * 3_600_000);
  assert.ok(sim.settled);
  const truth = new Map(sim.events.map((e) => [eventIdentity(e), e]));
  assert.ok(truth.size > 1000, `${truth.size} events`);
  assert.equal(truth.size, sim.events.length, "identities are unique in the truth");
  assert.deepEqual(new Map([...fromStream].sort()), new Map([...truth].sort()));
  const fromDetails = new Map<string, QueueEvent>();
  for (const conv of sim.conversations.values()) {
    const v = conv.versions[conv.versions.length - 1];
    for (const e of eventsFromDetails(JSON.parse(JSON.stringify(conversationDetails(conv, v.participants, conv.end))))) fromDetails.set(eventIdentity(e), e);
  }
  assert.deepEqual(new Map([...fromDetails].sort()), new Map([...truth].sort()));
});
