/**
 * Out of order and twice: EventBridge delivers in no order and at least once. The EventBridge
 * path is envelope -> the same frame dispatch, normalizer and ingest pipeline as the WebSocket's,
 * so a snapshot older than one already applied, or a message that comes again, changes nothing.
 * Ground truth: the call simulator's own events, its snapshots rendered as the emulator sends them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings } from "../../../../src/aggregate/config.js";
import { Engine } from "../../../../src/aggregate/engine.js";
import type { QueueEvent } from "../../../../src/domain/queue-event.js";
import { toEnvelope } from "../../../../src/emulator/eventbridge/publisher.js";
import { conversationSnapshot } from "../../../../src/emulator/render.js";
import { loadScenario } from "../../../../src/emulator/simulator/load-scenario.js";
import { Simulator } from "../../../../src/emulator/simulator/simulator.js";
import { Dedup } from "../../../../src/ingest/dedup.js";
import { Pipeline } from "../../../../src/ingest/pipeline.js";
import { Watermark } from "../../../../src/ingest/watermark.js";
import { readEnvelope } from "../../../../src/sources/eventbridge/envelope.js";
import { FrameDispatch } from "../../../../src/sources/genesys/stream/dispatch.js";
import { ManualClock } from "../../../../src/util/clock.js";
import { silentLogger } from "../../../../src/util/log.js";
import { mulberry32 } from "../../../../src/util/random.js";

const START = Date.parse("2026-05-04T08:00:00Z");
const HOURS = 3;
const ORG = "3b03b67a-2349-4a03-8b28-c8ac5c26c49a";

/** A simulated morning: every conversation's snapshots (as EventBridge message bodies, in publish order) and the truth. */
function morning(scenario = "steady", seed = 3) {
  const sim = new Simulator(loadScenario(scenario), { seed, start: START, durationMinutes: HOURS * 60 - 30 });
  const bodies: { conversationId: string; body: string }[] = [];
  sim.listen({
    conversationChanged: (conv, t) => {
      const v = conv.versions[conv.versions.length - 1];
      const queues = new Set(v.participants.flatMap((p) => (p.queueId ? [p.queueId] : [])));
      for (const q of queues) {
        const frame = { topicName: `v2.routing.queues.${q}.conversations`, eventBody: conversationSnapshot(conv, v.participants), metadata: { CorrelationId: `c${bodies.length}` } };
        bodies.push({ conversationId: conv.id, body: toEnvelope(frame, { id: `e${bodies.length}`, time: t, orgId: ORG, sourceSuffix: "test", account: "000000000000", region: "us-east-1" }) });
      }
    },
  });
  sim.advanceTo(START + HOURS * 3_600_000);
  assert.ok(sim.settled, "every call of the morning has ended");
  return { sim, bodies, queueIds: new Set(sim.queues.map((q) => q.id)) };
}

/** The monitor's EventBridge path from the message body on, with its real parts. */
function monitorPath(queueIds: Set<string>) {
  const clock = new ManualClock(START + HOURS * 3_600_000);
  const engine = new Engine({ ...defaultEngineSettings }, clock);
  const watermark = new Watermark({ watermark: START, pickups: [], known: [...queueIds], removed: [] }, { overlapMs: 60_000, marginMs: 3_600_000 });
  const counters: Record<string, number> = {};
  const counted: QueueEvent[] = [];
  const pipeline = new Pipeline({ engine, watermark, dedup: new Dedup(), pending: { add: (_id, e) => counted.push(e) }, clock, counters, log: silentLogger, observers: [] }, { maxClockSkewMs: 300_000 });
  const dispatch = new FrameDispatch({ monitored: (q) => queueIds.has(q), events: (ev) => pipeline.ingest(ev, "stream"), observation: () => {}, aggregate: () => {} }, counters, clock, silentLogger);
  const deliver = (body: string) => {
    const r = readEnvelope(body, { orgId: ORG });
    assert.ok(r.ok, r.ok ? "" : r.refusal.reason);
    dispatch.frame(r.frame);
  };
  return { engine, counters, counted, deliver };
}

const totals = (engine: Engine) => engine.snapshot().map((s) => ({ queue: s.queueId, media: s.mediaType, totals: s.totals }));

test("a snapshot older than one already applied for the same conversation changes nothing; nor does a message that comes twice", () => {
  const { bodies, queueIds } = morning();
  // Conversations with several snapshots: the newest first, then every older one, newest to oldest.
  const byConversation = new Map<string, string[]>();
  for (const b of bodies) byConversation.set(b.conversationId, [...(byConversation.get(b.conversationId) ?? []), b.body]);
  const long = [...byConversation.values()].filter((l) => l.length >= 4).slice(0, 40);
  assert.ok(long.length >= 20, "enough conversations with four or more snapshots");
  const path = monitorPath(queueIds);
  for (const l of long) path.deliver(l[l.length - 1]);
  const before = JSON.stringify(path.engine.snapshot());
  const counted = path.counters.streamEvents;
  assert.ok(counted > 0);
  for (const l of long) for (const body of [...l].reverse()) path.deliver(body); // the newest again, then the older ones
  assert.equal(JSON.stringify(path.engine.snapshot()), before, "figures unchanged");
  assert.equal(path.counters.streamEvents, counted, "nothing more counted");
  assert.equal(path.counters.outcomeConflicts, 0, "no older snapshot reads a visit differently");
  assert.ok(path.counters.duplicatesDropped > counted, "the repeats were dropped as duplicates");
});

test("a whole morning's messages in random order, a tenth of them twice: totals and answered waits equal the ground truth", () => {
  for (const scenario of ["steady", "surge"]) {
    const { sim, bodies, queueIds } = morning(scenario, 11);
    const rng = mulberry32(5);
    const messages = bodies.flatMap((b) => (rng() < 0.1 ? [b.body, b.body] : [b.body]));
    for (let i = messages.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [messages[i], messages[j]] = [messages[j], messages[i]];
    }
    const path = monitorPath(queueIds);
    for (const m of messages) path.deliver(m);
    const truth = new Map<string, Record<string, number>>();
    for (const e of sim.events) {
      const k = `${e.queueId}/${e.mediaType}`;
      const t = truth.get(k) ?? { offered: 0, answered: 0, abandoned: 0, flowout: 0 };
      t[e.kind]++;
      truth.set(k, t);
    }
    const got = new Map(totals(path.engine).map((s) => [`${s.queue}/${s.media}`, { ...s.totals }]));
    assert.deepEqual(got, truth, `${scenario}: totals per queue and media`);
    assert.equal(path.counters.outcomeConflicts, 0, scenario);
    assert.equal(path.counters.streamEvents, sim.events.length, `${scenario}: every event counted once`);
    const waits = (events: QueueEvent[]) => events.filter((e) => e.kind === "answered").map((e) => `${e.queueId}/${e.mediaType}/${e.waitMs}`).sort();
    assert.deepEqual(waits(path.counted), waits(sim.events), `${scenario}: answered waits to the millisecond`);
  }
});
