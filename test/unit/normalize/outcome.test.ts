/**
 * The outcome rules (docs/outcome-rules.md), each on the payload shapes Genesys documents, read
 * from both sources: a conversation snapshot (notification / GET conversations) and analytics
 * details. The two readings of one conversation must agree on every visit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { eventsFromSnapshot, SnapshotError } from "../../../src/normalize/conversation.js";
import { eventsFromDetails } from "../../../src/normalize/details.js";

const QA = "0c57879e-fc96-440c-9e0b-e1973f88c0ef";
const QB = "1d1a0000-0000-4000-8000-0000000000fc";
const T = (s: string) => `2024-05-01T12:${s}Z`;

// ---- builders for both shapes ------------------------------------------------------------
type Media = "calls" | "callbacks" | "chats" | "emails" | "messages";
const mediaName: Record<Media, string> = { calls: "voice", callbacks: "callback", chats: "chat", emails: "email", messages: "message" };

interface Leg {
  id: string;
  purpose: "customer" | "acd" | "agent" | "ivr" | "workflow" | "voicemail";
  queueId?: string;
  start: string;
  /** Agents: when they connected (absent: never answered). */
  connected?: string;
  end?: string;
  disconnectType?: string;
  initialState?: string;
}

function snapshot(media: Media, legs: Leg[]): Record<string, unknown> {
  return {
    id: "conv-1",
    participants: legs.map((l) => ({
      id: l.id,
      purpose: l.purpose,
      ...(l.queueId ? { queueId: l.queueId } : {}),
      // acd and customer legs are "connected" from their start; agents when they answered.
      ...(l.purpose === "agent" ? (l.connected ? { connectedTime: l.connected } : {}) : { connectedTime: l.start }),
      ...(l.end ? { endTime: l.end } : {}),
      [media]: [
        {
          state: l.end ? "disconnected" : l.purpose === "agent" && !l.connected ? "alerting" : "connected",
          ...(l.initialState ? { initialState: l.initialState } : {}),
          ...(l.disconnectType ? { disconnectType: l.disconnectType } : {}),
          ...(l.purpose === "agent" ? (l.connected ? { connectedTime: l.connected } : {}) : { connectedTime: l.start }),
          ...(l.end ? { disconnectedTime: l.end } : {}),
        },
      ],
    })),
  };
}

interface DetailSession {
  media?: string;
  segments: { type: string; start: string; end?: string; queueId?: string; disconnectType?: string }[];
  metrics?: { name: string; value: number; at: string }[];
}
function details(parts: { id: string; purpose: string; sessions: DetailSession[] }[]): Record<string, unknown> {
  return {
    conversationId: "conv-1",
    participants: parts.map((p) => ({
      participantId: p.id,
      purpose: p.purpose,
      sessions: p.sessions.map((s) => ({
        mediaType: s.media ?? "voice",
        segments: s.segments.map((g) => ({ segmentStart: g.start, ...(g.end ? { segmentEnd: g.end } : {}), segmentType: g.type, ...(g.queueId ? { queueId: g.queueId } : {}), ...(g.disconnectType ? { disconnectType: g.disconnectType } : {}) })),
        metrics: (s.metrics ?? []).map((m) => ({ name: m.name, value: m.value, emitDate: m.at })),
      })),
    })),
  };
}

const summary = (evs: QueueEvent[]) => evs.map((e) => `${e.kind} ${e.participantId}@${e.queueId === QA ? "A" : "B"} ${e.mediaType} t=${new Date(e.time).toISOString().slice(14, 23)} w=${e.waitMs ?? "-"}`);

// ---- rules --------------------------------------------------------------------------------

test("answered: agent connects 42 ms BEFORE the acd leg ends (captured GET conversations/calls); wait = acd duration", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:31.500"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:20.000"), connected: T("00:31.458") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(s)), ["offered a@A voice t=00:01.000 w=-", "answered a@A voice t=00:31.500 w=30500"]);
});

test("answered: agent interact starts 2 ms AFTER the acd segment end, tAnswered on the agent session (conversation-model blueprint)", () => {
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("27:50.000") }] }] },
    { id: "i", purpose: "ivr", sessions: [{ segments: [{ type: "ivr", start: T("27:50.010"), end: T("27:52.000"), disconnectType: "transfer" }] }] },
    {
      id: "a",
      purpose: "acd",
      sessions: [{ segments: [{ type: "interact", start: T("27:52.001"), end: T("28:04.567"), queueId: QA, disconnectType: "transfer" }], metrics: [{ name: "nOffered", value: 1, at: T("27:52.001") }, { name: "tAcd", value: 12566, at: T("28:04.567") }] }],
    },
    {
      id: "g",
      purpose: "agent",
      sessions: [
        {
          segments: [
            { type: "alert", start: T("27:58.000"), end: T("28:04.569"), queueId: QA },
            { type: "interact", start: T("28:04.569"), queueId: QA },
          ],
          metrics: [{ name: "tAnswered", value: 12566, at: T("28:04.587") }],
        },
      ],
    },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)), ["offered a@A voice t=27:52.001 w=-", "answered a@A voice t=28:04.567 w=12566"]);
});

test("answered either side of the acd end, up to the skew tolerance, from both sources alike", () => {
  for (const offsetMs of [-100, -20, -4, 0, 10, 20, 100, 4_000]) {
    const end = Date.parse(T("01:00.000"));
    const connect = new Date(end + offsetMs).toISOString();
    const s = snapshot("calls", [
      { id: "c", purpose: "customer", start: T("00:00.000") },
      { id: "a", purpose: "acd", queueId: QA, start: T("00:10.000"), end: T("01:00.000"), disconnectType: "transfer" },
      { id: "g", purpose: "agent", queueId: QA, start: T("00:50.000"), connected: connect },
    ]);
    const d = details([
      { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000") }] }] },
      { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:10.000"), end: T("01:00.000"), queueId: QA, disconnectType: "transfer" }] }] },
      { id: "g", purpose: "agent", sessions: [{ segments: [{ type: "alert", start: T("00:50.000"), end: connect, queueId: QA }, { type: "interact", start: connect, queueId: QA }] }] },
    ]);
    const expected = ["offered a@A voice t=00:10.000 w=-", "answered a@A voice t=01:00.000 w=50000"];
    assert.deepEqual(summary(eventsFromSnapshot(s)), expected, `snapshot, agent ${offsetMs} ms`);
    assert.deepEqual(summary(eventsFromDetails(d)), expected, `details, agent ${offsetMs} ms`);
  }
});

test("still waiting: an agent already shows connected but the acd leg has not ended yet", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000") },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:20.000"), connected: T("00:31.458") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(s)), ["offered a@A voice t=00:01.000 w=-"]);
});

test("abandoned: the caller hangs up in queue (customer endpoint, acd peer), also with the customer's end a few ms late", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:45.012"), disconnectType: "endpoint" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:05.000"), end: T("00:45.000"), disconnectType: "peer" },
  ]);
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000"), end: T("00:45.012"), disconnectType: "endpoint" }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:05.000"), end: T("00:45.000"), queueId: QA, disconnectType: "peer" }] }] },
  ]);
  const expected = ["offered a@A voice t=00:05.000 w=-", "abandoned a@A voice t=00:45.000 w=40000"];
  assert.deepEqual(summary(eventsFromSnapshot(s)), expected);
  assert.deepEqual(summary(eventsFromDetails(d)), expected);
  // Without the acd's disconnect type, the customer's own end decides.
  const bare = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:45.012"), disconnectType: "endpoint" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:05.000"), end: T("00:45.000") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(bare)), expected);
});

test("abandoned: the caller hangs up while an agent is being alerted", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:30.000"), disconnectType: "endpoint" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:02.000"), end: T("00:30.003"), disconnectType: "peer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:25.000"), end: T("00:30.010"), disconnectType: "peer" },
  ]);
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000"), end: T("00:30.000"), disconnectType: "endpoint" }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:02.000"), end: T("00:30.003"), queueId: QA, disconnectType: "peer" }], metrics: [{ name: "tAbandon", value: 28003, at: T("00:30.003") }] }] },
    { id: "g", purpose: "agent", sessions: [{ segments: [{ type: "alert", start: T("00:25.000"), end: T("00:30.010"), queueId: QA, disconnectType: "peer" }] }] },
  ]);
  const expected = ["offered a@A voice t=00:02.000 w=-", "abandoned a@A voice t=00:30.003 w=28003"];
  assert.deepEqual(summary(eventsFromSnapshot(s)), expected);
  assert.deepEqual(summary(eventsFromDetails(d)), expected);
});

test("no answer: an alert that ends system (time-out) or client (declined) leaves the visit waiting; the next agent answers", () => {
  const s = snapshot("chats", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("01:10.030"), disconnectType: "transfer" },
    { id: "g1", purpose: "agent", queueId: QA, start: T("00:10.000"), end: T("00:25.000"), disconnectType: "system" },
    { id: "g2", purpose: "agent", queueId: QA, start: T("00:30.000"), end: T("00:40.000"), disconnectType: "client" },
    { id: "g3", purpose: "agent", queueId: QA, start: T("01:00.000"), connected: T("01:10.000") },
  ]);
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ media: "chat", segments: [{ type: "interact", start: T("00:00.000") }] }] },
    { id: "a", purpose: "acd", sessions: [{ media: "chat", segments: [{ type: "interact", start: T("00:01.000"), end: T("01:10.030"), queueId: QA, disconnectType: "transfer" }] }] },
    { id: "g1", purpose: "agent", sessions: [{ media: "chat", segments: [{ type: "alert", start: T("00:10.000"), end: T("00:25.000"), queueId: QA, disconnectType: "system" }], metrics: [{ name: "tNotResponding", value: 15000, at: T("00:25.000") }] }] },
    { id: "g2", purpose: "agent", sessions: [{ media: "chat", segments: [{ type: "alert", start: T("00:30.000"), end: T("00:40.000"), queueId: QA, disconnectType: "client" }] }] },
    { id: "g3", purpose: "agent", sessions: [{ media: "chat", segments: [{ type: "alert", start: T("01:00.000"), end: T("01:10.000"), queueId: QA }, { type: "interact", start: T("01:10.000"), queueId: QA }], metrics: [{ name: "tAnswered", value: 69030, at: T("01:10.030") }] }] },
  ]);
  const expected = ["offered a@A chat t=00:01.000 w=-", "answered a@A chat t=01:10.030 w=69030"];
  assert.deepEqual(summary(eventsFromSnapshot(s)), expected);
  assert.deepEqual(summary(eventsFromDetails(d)), expected);
});

test("flow-out: to voicemail, and an in-queue flow that moves the caller to another queue", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("02:01.000"), disconnectType: "transfer" },
    { id: "b", purpose: "acd", queueId: QB, start: T("02:01.020"), end: T("02:11.000"), disconnectType: "transfer" },
    { id: "v", purpose: "voicemail", start: T("02:11.010") },
  ]);
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000") }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "delay", start: T("00:00.952"), end: T("00:01.000"), queueId: QA }, { type: "interact", start: T("00:01.000"), end: T("02:01.000"), queueId: QA, disconnectType: "transfer" }], metrics: [{ name: "tFlowOut", value: 120000, at: T("02:01.000") }] }] },
    { id: "b", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("02:01.020"), end: T("02:11.000"), queueId: QB, disconnectType: "transfer" }] }] },
    { id: "v", purpose: "voicemail", sessions: [{ segments: [{ type: "interact", start: T("02:11.010") }] }] },
  ]);
  const expected = ["offered a@A voice t=00:01.000 w=-", "flowout a@A voice t=02:01.000 w=120000", "offered b@B voice t=02:01.020 w=-", "flowout b@B voice t=02:11.000 w=9980"];
  assert.deepEqual(summary(eventsFromSnapshot(s)), expected);
  assert.deepEqual(summary(eventsFromDetails(d)), expected, "a delay segment before the interact segment is not in the wait (tAcd leaves it out)");
  assert.deepEqual(summary(eventsFromSnapshot(s, (q) => q === QB)), expected.slice(2), "only monitored queues");
});

test("flow-out, not abandon: the caller leaves voicemail a moment after the transfer", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:33.000"), disconnectType: "endpoint" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:31.000"), disconnectType: "transfer" },
    { id: "v", purpose: "voicemail", start: T("00:31.000"), end: T("00:33.000") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(s)).at(-1), "flowout a@A voice t=00:31.000 w=30000");
});

test("transfers between queues: answered on A, the agent transfers to B, where one agent participant answers again on another session", () => {
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000") }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:05.000"), end: T("00:15.000"), queueId: QA, disconnectType: "transfer" }] }] },
    { id: "b", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("03:00.000"), end: T("03:40.000"), queueId: QB, disconnectType: "transfer" }] }] },
    {
      id: "g",
      purpose: "agent",
      sessions: [
        { segments: [{ type: "alert", start: T("00:10.000"), end: T("00:15.010"), queueId: QA }, { type: "interact", start: T("00:15.010"), end: T("03:00.000"), queueId: QA, disconnectType: "transfer" }], metrics: [{ name: "tAnswered", value: 10000, at: T("00:15.010") }] },
        { segments: [{ type: "alert", start: T("03:30.000"), end: T("03:39.990"), queueId: QB }, { type: "interact", start: T("03:39.990"), queueId: QB }], metrics: [{ name: "tAnswered", value: 40000, at: T("03:39.990") }] },
      ],
    },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)), ["offered a@A voice t=00:05.000 w=-", "answered a@A voice t=00:15.000 w=10000", "offered b@B voice t=03:00.000 w=-", "answered b@B voice t=03:40.000 w=40000"]);
  // The snapshot of the same: one agent participant with two calls.
  const s = {
    id: "conv-1",
    participants: [
      { id: "c", purpose: "customer", connectedTime: T("00:00.000"), calls: [{ state: "connected", connectedTime: T("00:00.000") }] },
      { id: "a", purpose: "acd", queueId: QA, connectedTime: T("00:05.000"), endTime: T("00:15.000"), calls: [{ state: "disconnected", disconnectType: "transfer" }] },
      { id: "b", purpose: "acd", queueId: QB, connectedTime: T("03:00.000"), endTime: T("03:40.000"), calls: [{ state: "disconnected", disconnectType: "transfer" }] },
      { id: "g", purpose: "agent", queueId: QB, connectedTime: T("00:15.010"), calls: [{ state: "disconnected", connectedTime: T("00:15.010"), disconnectedTime: T("03:00.000"), disconnectType: "transfer" }, { state: "connected", connectedTime: T("03:39.990") }] },
    ],
  };
  assert.deepEqual(summary(eventsFromSnapshot(s)), summary(eventsFromDetails(d)));
});

test("a call answered, sent back to the same queue a moment later and flowing out: the first agent answers only the first visit", () => {
  const s = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a1", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:11.000"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:05.000"), connected: T("00:11.020"), end: T("00:12.000"), disconnectType: "transfer" },
    { id: "a2", purpose: "acd", queueId: QA, start: T("00:12.000"), end: T("00:13.000"), disconnectType: "transfer" },
    { id: "v", purpose: "voicemail", start: T("00:13.000") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(s)), ["offered a1@A voice t=00:01.000 w=-", "answered a1@A voice t=00:11.000 w=10000", "offered a2@A voice t=00:12.000 w=-", "flowout a2@A voice t=00:13.000 w=1000"]);
});

test("IVR and workflow participants are not queue visits", () => {
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000"), end: T("00:20.000"), disconnectType: "endpoint" }] }] },
    { id: "i", purpose: "ivr", sessions: [{ segments: [{ type: "ivr", start: T("00:00.010"), end: T("00:10.000"), disconnectType: "transfer" }] }] },
    { id: "w", purpose: "workflow", sessions: [{ segments: [{ type: "interact", start: T("00:10.000"), end: T("00:10.050"), disconnectType: "transfer" }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:10.050"), end: T("00:20.000"), queueId: QA, disconnectType: "peer" }] }] },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)), ["offered a@A voice t=00:10.050 w=-", "abandoned a@A voice t=00:20.000 w=9950"]);
});

test("callbacks: the customer is a scheduled request; the callback waits in queue and is answered or flows out, never abandoned by the request's end", () => {
  const s = snapshot("callbacks", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:00.500"), initialState: "scheduled" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:00.400"), end: T("05:00.000"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("04:50.000"), connected: T("05:00.015") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(s)), ["offered a@A callback t=00:00.400 w=-", "answered a@A callback t=05:00.000 w=299600"]);
  const unanswered = snapshot("callbacks", [
    { id: "c", purpose: "customer", start: T("00:00.000"), end: T("00:00.500"), initialState: "scheduled" },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:00.400"), end: T("30:00.000"), disconnectType: "system" },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(unanswered)).at(-1), "flowout a@A callback t=30:00.000 w=1799600");
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ media: "callback", segments: [{ type: "scheduled", start: T("00:00.000"), end: T("00:00.500") }] }] },
    { id: "a", purpose: "acd", sessions: [{ media: "callback", segments: [{ type: "interact", start: T("00:00.400"), end: T("30:00.000"), queueId: QA, disconnectType: "system" }] }] },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)), summary(eventsFromSnapshot(unanswered)));
});

test("emails and messages are visits of their own media type", () => {
  for (const media of ["emails", "messages"] as const) {
    const s = snapshot(media, [
      { id: "c", purpose: "customer", start: T("00:00.000") },
      { id: "a", purpose: "acd", queueId: QA, start: T("00:00.100"), end: T("10:00.100"), disconnectType: "transfer" },
      { id: "g", purpose: "agent", queueId: QA, start: T("09:50.000"), connected: T("10:00.090") },
    ]);
    assert.deepEqual(summary(eventsFromSnapshot(s)), [`offered a@A ${mediaName[media]} t=00:00.100 w=-`, `answered a@A ${mediaName[media]} t=10:00.100 w=600000`]);
  }
});

test("analytics' own outcome on the acd session is taken as stated", () => {
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000") }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:01.000"), end: T("00:09.000"), queueId: QA, disconnectType: "transfer" }], metrics: [{ name: "tAbandon", value: 8000, at: T("00:09.000") }] }] },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)).at(-1), "abandoned a@A voice t=00:09.000 w=8000");
});

test("malformed input: snapshots throw only SnapshotError, details never throw; good parts still read", () => {
  const junk: unknown[] = [null, 5, "x", [], { participants: null }, { id: 3, participants: [] }, { id: "c", participants: [null, 1, "s", { purpose: "acd", id: 7 }, { purpose: "acd", id: "a", queueId: QA, connectedTime: 12 }, { purpose: "agent", calls: "nope" }, { purpose: "acd", id: "b", queueId: QA, connectedTime: "2024-05-01T12:00:00.000Z", calls: [null, { disconnectType: 5 }] }] }];
  for (const j of junk) {
    try {
      eventsFromSnapshot(j);
    } catch (e) {
      assert.ok(e instanceof SnapshotError, `${JSON.stringify(j)}: ${String(e)}`);
    }
    assert.doesNotThrow(() => eventsFromDetails(j as never));
    assert.doesNotThrow(() => eventsFromDetails({ conversationId: "c", participants: [{ purpose: "acd", participantId: "a", sessions: [null, { segments: "x", metrics: 5 }, { segments: [{ segmentStart: 1, queueId: {} }] }] }] } as never));
  }
  assert.deepEqual(summary(eventsFromSnapshot(junk.at(-1))), ["offered b@A voice t=00:00.000 w=-"]);
});

test("hand-over: the acd leg ends a few ms before the agent's connect shows; the snapshot in between decides nothing", () => {
  const between = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:20.000"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:15.000") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(between)), ["offered a@A voice t=00:01.000 w=-"], "not a flow-out while the agent is still alerting");
  const connected = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:20.000"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:15.000"), connected: T("00:20.060") },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(connected)).at(-1), "answered a@A voice t=00:20.000 w=19000");
  const gone = snapshot("calls", [
    { id: "c", purpose: "customer", start: T("00:00.000") },
    { id: "a", purpose: "acd", queueId: QA, start: T("00:01.000"), end: T("00:20.000"), disconnectType: "transfer" },
    { id: "g", purpose: "agent", queueId: QA, start: T("00:15.000"), end: T("00:21.000"), disconnectType: "system" },
  ]);
  assert.deepEqual(summary(eventsFromSnapshot(gone)).at(-1), "flowout a@A voice t=00:20.000 w=19000", "the alert ended unanswered: the caller went elsewhere");
  const d = details([
    { id: "c", purpose: "customer", sessions: [{ segments: [{ type: "interact", start: T("00:00.000") }] }] },
    { id: "a", purpose: "acd", sessions: [{ segments: [{ type: "interact", start: T("00:01.000"), end: T("00:20.000"), queueId: QA, disconnectType: "transfer" }] }] },
    { id: "g", purpose: "agent", sessions: [{ segments: [{ type: "alert", start: T("00:15.000"), queueId: QA }] }] },
  ]);
  assert.deepEqual(summary(eventsFromDetails(d)), ["offered a@A voice t=00:01.000 w=-"], "analytics caught mid-hand-over alike");
});
