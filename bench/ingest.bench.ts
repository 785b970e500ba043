/**
 * Ingest bench: the live path end to end on one core, from WebSocket frame text to a committed
 * batch: JSON.parse -> eventsFromSnapshot -> dedup -> engine -> SQLite batch (every 500 frames).
 * Frames are real emulator snapshots of 50 busy queues over two simulated hours.
 * Ends with one JSON line. Usage: node dist/bench/ingest.bench.js
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultEngineSettings, Engine } from "../src/aggregate/engine.js";
import type { QueueEvent } from "../src/domain/queue-event.js";
import { conversationSnapshot } from "../src/emulator/render.js";
import { scenarioSchema } from "../src/emulator/simulator/scenario.js";
import { Simulator } from "../src/emulator/simulator/simulator.js";
import { Dedup } from "../src/ingest/dedup.js";
import { eventsFromSnapshot } from "../src/normalize/conversation.js";
import { StateStore } from "../src/store/state-store.js";
import { ManualClock } from "../src/util/clock.js";

const QUEUES = 50;
const start = Date.parse("2026-05-04T08:00:00Z");
const scenario = scenarioSchema.parse({
  queues: Array.from({ length: QUEUES }, (_, i) => ({
    name: `Q${i}`,
    arrivalsPerHour: 600,
    media: { voice: 0.8, chat: 0.2 },
    agents: 10,
    handleSeconds: 55,
    handleCv: 0.7,
    patienceSeconds: 180,
    flowOutAfterSeconds: 400,
    alertSeconds: 3,
    noAnswerProbability: 0.05,
  })),
});
const sim = new Simulator(scenario, { seed: 5, start, durationMinutes: 120, keepConversations: false });
const frames: { at: number; text: string }[] = [];
sim.listen({
  conversationChanged: (conv, t) => {
    const v = conv.versions[conv.versions.length - 1];
    frames.push({ at: t, text: JSON.stringify({ topicName: `v2.routing.queues.x.conversations`, version: "2", eventBody: conversationSnapshot(conv, v.participants), metadata: { CorrelationId: "c" } }) });
    conv.versions.length = 0; // keep memory flat; the bench only needs the frames
  },
});
sim.advanceTo(start + 3 * 3_600_000);

const clock = new ManualClock(start);
const engine = new Engine(defaultEngineSettings, clock);
const dedup = new Dedup();
const store = new StateStore(join(mkdtempSync(join(tmpdir(), "qm-ingest-")), "state.sqlite"));
let pending: { id: string; event: QueueEvent }[] = [];
let fresh = 0;
let duplicates = 0;
let commitNs = 0n;
const t0 = process.hrtime.bigint();
for (let i = 0; i < frames.length; i++) {
  clock.set(frames[i].at);
  const frame = JSON.parse(frames[i].text) as { eventBody: unknown };
  for (const e of eventsFromSnapshot(frame.eventBody)) {
    const a = dedup.admit(e);
    if (a.verdict !== "new") {
      duplicates++;
      continue;
    }
    const id = a.stored;
    engine.apply(e);
    pending.push({ id, event: e });
    fresh++;
  }
  if (i % 500 === 499 || i === frames.length - 1) {
    const c0 = process.hrtime.bigint();
    store.commit({ events: pending, watermark: frames[i].at, counters: { streamEvents: fresh } });
    commitNs += process.hrtime.bigint() - c0;
    pending = [];
  }
}
const totalNs = Number(process.hrtime.bigint() - t0);
const c1 = process.hrtime.bigint();
store.checkpoint(engine.takeDirty());
const checkpointMs = Number(process.hrtime.bigint() - c1) / 1e6;
store.close();
const result = {
  bench: "ingest",
  frames: frames.length,
  events: fresh,
  duplicatesDropped: duplicates,
  framesPerSecond: Math.round(frames.length / (totalNs / 1e9)),
  eventsPerSecond: Math.round(fresh / (totalNs / 1e9)),
  usPerFrame: Math.round(totalNs / frames.length / 100) / 10,
  commitShare: Math.round((Number(commitNs) / totalNs) * 1000) / 1000,
  checkpointMs: Math.round(checkpointMs),
  series: engine.seriesCount,
};
console.log(`ingest: ${result.frames.toLocaleString()} frames (${QUEUES} queues, 2 simulated hours) -> ${result.events.toLocaleString()} events, ${result.duplicatesDropped.toLocaleString()} duplicates dropped`);
console.log(`${result.framesPerSecond.toLocaleString()} frames/s, ${result.eventsPerSecond.toLocaleString()} new events/s (${result.usPerFrame} us/frame; SQLite batches ${(result.commitShare * 100).toFixed(1)} % of it); checkpoint of ${result.series} series ${result.checkpointMs} ms`);
console.log(JSON.stringify(result));
