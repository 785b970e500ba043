/**
 * The EventBridge envelope reader on real-shaped events: the captured envelope of
 * genesys-api.md §7 (a transcription event), and the project's notification fixtures wrapped in
 * that envelope. The oracle for a good frame is the fixture itself: the reader must hand on
 * exactly the WebSocket frame's topicName and eventBody.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { readEnvelope, orgIdOf, refusalKinds, type RefusalKind } from "../../../../src/sources/eventbridge/envelope.js";
import { eventsFromSnapshot } from "../../../../src/normalize/conversation.js";

const dir = join(fileURLToPath(import.meta.url), "../../../../../../test/fixtures");
const load = (f: string): any => JSON.parse(readFileSync(join(dir, f), "utf8"));

const ORG = "3b03b67a-2349-4a03-8b28-c8ac5c26c49a";
const SOURCE = `aws.partner/genesys.com/cloud/${ORG}/queue-monitor`;

/** The §7 capture's envelope around `detail`, field for field. */
function envelope(detail: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "0",
    id: "6efd5506-2f2c-8a5e-6d80-1a3c1e1c8f0e",
    "detail-type": "v2.routing.queues.{id}.conversations",
    source: SOURCE,
    account: "123456789012",
    time: "2026-03-19T22:04:48Z",
    region: "us-east-2",
    resources: [],
    detail,
    ...over,
  };
}

test("a queue conversation notification in its envelope: the WebSocket frame, its CorrelationId and the envelope time", () => {
  const ws = load("built-notification-routing-queue-chat.json");
  const detail = { topicName: ws.topicName, version: "2", eventBody: ws.eventBody, metadata: { CorrelationId: "c0ffee00-1111-4222-8333-444455556666" } };
  const r = readEnvelope(JSON.stringify(envelope(detail)));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.frame.topicName, ws.topicName);
  assert.deepEqual(r.frame.eventBody, ws.eventBody);
  assert.equal(r.frame.correlationId, "c0ffee00-1111-4222-8333-444455556666");
  assert.equal(r.frame.eventTime, Date.UTC(2026, 2, 19, 22, 4, 48));
  // The normalizer reads the same events from both sources.
  const all = () => true;
  assert.deepEqual(eventsFromSnapshot(r.frame.eventBody, all), eventsFromSnapshot(ws.eventBody, all));
});

test("the captured transcription event and an observation: topic and body handed on as they are", () => {
  const transcription = {
    topicName: "v2.conversations.9a1f7c6e-0d1b-4c36-9e07-6f0f2f3f8b11.transcription",
    version: "2",
    eventBody: { eventTime: "2026-03-19T22:04:47.912Z", conversationId: "9a1f7c6e-0d1b-4c36-9e07-6f0f2f3f8b11", transcripts: [{ utteranceId: "u1", isFinal: true, channel: "EXTERNAL", alternatives: [{ confidence: 0.93, transcript: "hello" }] }] },
    metadata: { CorrelationId: "0f0e0d0c-0b0a-4909-8807-060504030201" },
  };
  const r = readEnvelope(JSON.stringify(envelope(transcription, { "detail-type": "v2.conversations.{id}.transcription" })));
  assert.ok(r.ok);
  assert.equal(r.frame.topicName, transcription.topicName);
  assert.deepEqual(r.frame.eventBody, transcription.eventBody);

  const obs = load("built-notification-queue-observations.json").instant;
  const o = readEnvelope(JSON.stringify(envelope({ ...obs, version: "2", metadata: { CorrelationId: "x-1" } }, { "detail-type": "v2.analytics.queues.{id}.observations" })));
  assert.ok(o.ok);
  assert.deepEqual({ topicName: o.frame.topicName, eventBody: o.frame.eventBody }, { topicName: obs.topicName, eventBody: obs.eventBody });
});

test("correlationId in either spelling; no metadata, an unreadable time: still a frame, without those fields", () => {
  const camel = readEnvelope(JSON.stringify(envelope({ topicName: "v2.detail.events.conversation.abc.acd.end", eventBody: { acdOutcome: "ANSWERED" }, metadata: { correlationId: "lower-1" } })));
  assert.ok(camel.ok);
  assert.equal(camel.frame.correlationId, "lower-1");
  const bare = readEnvelope(JSON.stringify(envelope({ topicName: "v2.detail.events.conversation.abc.acd.end", eventBody: {} }, { time: "yesterday" })));
  assert.ok(bare.ok);
  assert.equal("correlationId" in bare.frame, false);
  assert.equal("eventTime" in bare.frame, false);
  // Like the WebSocket channel, a frame without eventBody is handed on (the normalizer counts it).
  const noBody = readEnvelope(JSON.stringify(envelope({ topicName: "v2.routing.queues.q.conversations" })));
  assert.ok(noBody.ok);
  assert.equal(noBody.frame.eventBody, undefined);
});

test("every kind of bad body is refused with its kind and a reason naming the field", () => {
  const detail = { topicName: "v2.routing.queues.q.conversations", eventBody: {}, metadata: { CorrelationId: "c" } };
  const cases: [string, RefusalKind, RegExp][] = [
    ["{not json", "not-json", /not JSON/],
    ["", "not-json", /not JSON/],
    ["[1,2]", "not-an-envelope", /not an object/],
    ["null", "not-an-envelope", /not an object/],
    ['"v2.routing"', "not-an-envelope", /not an object/],
    [JSON.stringify({ Type: "Notification", Message: "{}" }), "not-an-envelope", /"source"/],
    [JSON.stringify(detail), "bare-notification", /\$\.detail/],
    [JSON.stringify(envelope(detail, { source: "aws.events" })), "not-genesys", /aws\.partner\/genesys\.com\//],
    [JSON.stringify(envelope(detail, { source: "aws.partner/genesys.co/cloud/x/y" })), "not-genesys", /does not start/],
    [JSON.stringify(envelope(detail, { source: 42 })), "not-an-envelope", /"source"/],
    [JSON.stringify(envelope(undefined)), "no-detail", /missing/],
    [JSON.stringify(envelope("text")), "no-detail", /not an object/],
    [JSON.stringify(envelope({ eventBody: {} })), "no-topic", /topicName is missing/],
    [JSON.stringify(envelope({ topicName: "" })), "no-topic", /topicName/],
    [JSON.stringify(envelope({ topicName: 7 })), "no-topic", /topicName is 7/],
  ];
  const seen = new Set<RefusalKind>();
  for (const [body, kind, reason] of cases) {
    const r = readEnvelope(body);
    assert.equal(r.ok, false, body);
    if (r.ok) continue;
    assert.equal(r.refusal.kind, kind, body);
    assert.match(r.refusal.reason, reason, body);
    seen.add(kind);
  }
  assert.deepEqual([...seen].sort(), refusalKinds.filter((k) => k !== "other-org").sort());
});

test("orgId: the organization is read from the source; another one is refused when an org is expected", () => {
  assert.equal(orgIdOf(SOURCE), ORG);
  assert.equal(orgIdOf("aws.partner/genesys.com/cloud//x"), undefined);
  assert.equal(orgIdOf("aws.partner/genesys.com/other/x"), undefined);
  const body = JSON.stringify(envelope({ topicName: "v2.routing.queues.q.conversations", eventBody: {} }));
  assert.ok(readEnvelope(body, { orgId: ORG }).ok);
  const other = readEnvelope(body, { orgId: "another-org" });
  assert.equal(other.ok, false);
  if (!other.ok) assert.equal(other.refusal.kind, "other-org");
});

test("total: random bytes and mutilated envelopes never throw, and a refusal always has a known kind", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const good = JSON.stringify(envelope({ topicName: "v2.routing.queues.q.conversations", eventBody: { id: "c" }, metadata: { CorrelationId: "k" } }));
  let ok = 0;
  for (let i = 0; i < 3000; i++) {
    let s = good;
    const cuts = 1 + Math.floor(rnd() * 3);
    for (let c = 0; c < cuts; c++) {
      const at = Math.floor(rnd() * s.length);
      s = s.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(at + 1 + Math.floor(rnd() * 4));
    }
    const r = readEnvelope(s);
    if (r.ok) {
      ok++;
      assert.equal(typeof r.frame.topicName, "string");
    } else assert.ok(refusalKinds.includes(r.refusal.kind));
  }
  assert.ok(ok > 0 && ok < 3000, `some mutations stay readable, some do not (${ok})`);
});
