/**
 * Engine bench: events per second through the whole engine, snapshot cost, memory per
 * queue x media with every window filled, and process RSS with 5,000 queues.
 * Ends with one JSON line. Usage: node --expose-gc dist/bench/engine.bench.js [queues]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { defaultEngineSettings, Engine } from "../src/aggregate/engine.js";
import type { QueueEvent } from "../src/domain/queue-event.js";
import { ManualClock } from "../src/util/clock.js";
import { mulberry32 } from "../src/util/random.js";

const RSS_MODE = process.argv[2] === "rss";
const QUEUES = Number(process.argv[RSS_MODE ? 3 : 2] ?? 5000);
const START = Date.parse("2026-05-04T08:00:00Z");
const rnd = mulberry32(9);

function gc(): void {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
}

/**
 * Fills `queues` x 1 media for `minutes` minutes with `perMinute` calls each minute
 * (offered + answered or abandoned, heavy-ish waits) and returns the elapsed ns and event count.
 */
function fill(engine: Engine, clock: ManualClock, queues: number, minutes: number, perMinute: number): { ns: number; events: number } {
  const ids = Array.from({ length: queues }, (_, i) => `q-${i.toString().padStart(6, "0")}`);
  for (const id of ids) engine.setQueue(id, { name: id, serviceLevels: { voice: { percentage: 0.8, durationMs: 20_000 } } });
  let events = 0;
  let ns = 0n;
  const ev: QueueEvent = { kind: "offered", queueId: "", mediaType: "voice", conversationId: "", participantId: "p", time: 0 };
  for (let m = 0; m < minutes; m++) {
    clock.set(START + m * 60_000);
    const t0 = process.hrtime.bigint();
    for (const id of ids) {
      for (let k = 0; k < perMinute; k++) {
        const t = START + m * 60_000 + Math.floor((k / perMinute) * 60_000);
        ev.queueId = id;
        ev.conversationId = `${m}-${k}`;
        ev.kind = "offered";
        ev.time = t;
        ev.waitMs = undefined;
        engine.apply(ev);
        ev.kind = rnd() < 0.1 ? "abandoned" : "answered";
        ev.waitMs = Math.floor(Math.exp(Math.log(20_000) + 0.9 * (rnd() + rnd() + rnd() - 1.5) * 2));
        engine.apply(ev);
        events += 2;
      }
    }
    ns += process.hrtime.bigint() - t0;
    if (m % 10 === 9) engine.maintain();
  }
  return { ns: Number(ns), events };
}

if (RSS_MODE) {
  // Run alone in a fresh process so nothing else inflates the RSS.
  const clock3 = new ManualClock(START);
  const e3 = new Engine(defaultEngineSettings, clock3);
  fill(e3, clock3, QUEUES, 61, 6);
  e3.maintain();
  const t2 = process.hrtime.bigint();
  e3.snapshot();
  const fullSnapshotSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
  const t3 = process.hrtime.bigint();
  e3.snapshot();
  const cachedSnapshotSeconds = Number(process.hrtime.bigint() - t3) / 1e9;
  gc();
  console.log(JSON.stringify({ rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), fullSnapshotSeconds, cachedSnapshotSeconds }));
  process.exit(0);
}

// 1. Throughput: 200 queues, 60 minutes, 30 calls per minute each.
const clock1 = new ManualClock(START);
const e1 = new Engine(defaultEngineSettings, clock1);
const thr = fill(e1, clock1, 200, 60, 30);
const eventsPerSecond = thr.events / (thr.ns / 1e9);
const t0 = process.hrtime.bigint();
const snaps = e1.snapshot();
const snapshotMsPerSeries = Number(process.hrtime.bigint() - t0) / 1e6 / snaps.length;
const t1 = process.hrtime.bigint();
e1.snapshot();
const cachedSnapshotMsPerSeries = Number(process.hrtime.bigint() - t1) / 1e6 / snaps.length;

// 2. Memory per series with all windows filled (60 one-minute buckets, intervals, today).
gc();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const clock2 = new ManualClock(START);
const e2 = new Engine(defaultEngineSettings, clock2);
const N2 = 500;
fill(e2, clock2, N2, 61, 30);
e2.maintain();
e2.snapshot();
gc();
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const bytesPerSeries = (after - before) / N2;

// 3. RSS with QUEUES queues, all windows filled (6 calls a minute each), in a child process.
const child = JSON.parse(
  execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "rss", String(QUEUES)], { encoding: "utf8", maxBuffer: 1 << 20 }).trim().split("\n").pop()!,
) as { rssMiB: number; fullSnapshotSeconds: number; cachedSnapshotSeconds: number };
const rssMiB = child.rssMiB;
const fullSnapshotSeconds = child.fullSnapshotSeconds;

const result = {
  bench: "engine",
  eventsPerSecond: Math.round(eventsPerSecond),
  nsPerEvent: Math.round(thr.ns / thr.events),
  snapshotMsPerSeries: Math.round(snapshotMsPerSeries * 1000) / 1000,
  cachedSnapshotMsPerSeries: Math.round(cachedSnapshotMsPerSeries * 1000) / 1000,
  kbPerSeriesAllWindowsFilled: Math.round(bytesPerSeries / 102.4) / 10,
  queues: QUEUES,
  rssMiBWithQueues: Math.round(rssMiB),
  fullSnapshotSecondsWithQueues: Math.round(fullSnapshotSeconds * 100) / 100,
  unchangedSnapshotSecondsWithQueues: Math.round(child.cachedSnapshotSeconds * 1000) / 1000,
  targets: { kbPerSeriesMax: 150, rssMiBMax: 1024 },
};
console.log(`engine: ${result.eventsPerSecond.toLocaleString()} events/s (${result.nsPerEvent} ns/event) over 200 queues x 60 min`);
console.log(`snapshot: ${result.snapshotMsPerSeries} ms per series (${result.cachedSnapshotMsPerSeries} ms when unchanged)`);
console.log(`memory: ${result.kbPerSeriesAllWindowsFilled} KB per queue x media with all windows filled (30 calls/min)`);
console.log(`RSS with ${QUEUES} queues filled (6 calls/min): ${result.rssMiBWithQueues} MiB; first snapshot of all ${result.fullSnapshotSecondsWithQueues} s, unchanged ${result.unchangedSnapshotSecondsWithQueues} s`);
console.log(JSON.stringify(result));
