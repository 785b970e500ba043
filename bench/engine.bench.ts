/**
 * Engine bench (snapshot cost, memory, restart):
 *  - events per second through the engine, memory per queue x media with every window filled;
 *  - with 5,000 queues x 2 media and every window filled (in a fresh child process): RSS, the
 *    snapshot of every series right after a minute turns (per series), an unchanged snapshot;
 *  - restart: a state file of 5,000 queues x 2 media (checkpoint, an hour of identities and a log
 *    after the checkpoint) loaded, restored and replayed in a fresh process, as the service does.
 * Ends with one JSON line. Usage: node --expose-gc dist/bench/engine.bench.js [queues]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultEngineSettings } from "../src/aggregate/config.js";
import { Engine } from "../src/aggregate/engine.js";
import type { QueueEvent } from "../src/domain/queue-event.js";
import { Dedup, storedIdentity } from "../src/ingest/dedup.js";
import { StateStore } from "../src/store/state-store.js";
import { ManualClock } from "../src/util/clock.js";
import { mulberry32 } from "../src/util/random.js";

const MODE = process.argv[2];
const QUEUES = Number((MODE && !/^\d+$/.test(MODE) ? process.argv[3] : MODE) ?? 5000);
const START = Date.parse("2026-05-04T08:00:00Z");
const MEDIA = ["voice", "chat"];
const rnd = mulberry32(9);

function gc(): void {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
}

/**
 * Fills `queues` x `media` for `minutes` minutes with `perMinute` calls a minute each (offered,
 * then answered or abandoned with heavy-ish waits); `sink` sees every event. Returns ns and events.
 */
function fill(engine: Engine, clock: ManualClock, queues: number, media: string[], minutes: number, perMinute: number, sink?: (e: QueueEvent) => void): { ns: number; events: number } {
  const ids = Array.from({ length: queues }, (_, i) => `q-${i.toString().padStart(6, "0")}`);
  const levels = Object.fromEntries(media.map((m) => [m, { percentage: 0.8, durationMs: 20_000 }]));
  for (const id of ids) engine.setQueue(id, { name: id, serviceLevels: levels });
  let events = 0;
  let ns = 0n;
  for (let m = 0; m < minutes; m++) {
    clock.set(START + m * 60_000);
    const t0 = process.hrtime.bigint();
    for (const id of ids) {
      for (const mediaType of media) {
        for (let k = 0; k < perMinute; k++) {
          const t = START + m * 60_000 + Math.floor(((k + rnd()) / perMinute) * 60_000);
          const conversationId = `${id}-${mediaType}-${m}-${k}`;
          // Participant ids are unique per conversation, as Genesys gives them (Dedup keys visits by them).
          const participantId = `${conversationId}-a`;
          const offered: QueueEvent = { kind: "offered", queueId: id, mediaType, conversationId, participantId, time: t - 20_000 };
          const end: QueueEvent = {
            kind: rnd() < 0.1 ? "abandoned" : "answered",
            queueId: id,
            mediaType,
            conversationId,
            participantId,
            time: t,
            waitMs: Math.floor(Math.exp(Math.log(20_000) + 0.9 * (rnd() + rnd() + rnd() - 1.5) * 2)),
          };
          engine.apply(offered);
          engine.apply(end);
          sink?.(offered);
          sink?.(end);
          events += 2;
        }
      }
    }
    ns += process.hrtime.bigint() - t0;
    if (m % 10 === 9) engine.maintain();
  }
  return { ns: Number(ns), events };
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

if (MODE === "scale") {
  // Every window filled: 2 hours (the 60-minute window and four 30-minute intervals) of
  // `perMinute` calls a minute per queue and media.
  const perMinute = Number(process.argv[4] ?? 1);
  const clock = new ManualClock(START);
  const engine = new Engine(defaultEngineSettings, clock);
  fill(engine, clock, QUEUES, MEDIA, 121, perMinute);
  clock.set(START + 121 * 60_000 - 1);
  engine.maintain();
  engine.snapshot();
  // The minute turns: every series' windows move and every figure is computed again.
  clock.set(START + 121 * 60_000 + 500);
  const t0 = process.hrtime.bigint();
  const snaps = engine.snapshot();
  const turnSeconds = seconds(t0);
  const t1 = process.hrtime.bigint();
  engine.snapshot();
  const unchangedSeconds = seconds(t1);
  // A checkpoint with every series changed (closed buckets keep the state they were last written
  // with, so this is the steady state after the first checkpoint): states as JSON text.
  engine.allStates();
  const t2 = process.hrtime.bigint();
  let stateBytes = 0;
  for (const st of engine.allStates()) stateBytes += JSON.stringify(st).length;
  const checkpointSeconds = seconds(t2);
  gc();
  console.log(JSON.stringify({ series: snaps.length, callsPerMinute: perMinute, callsPerHour: perMinute * 60 * snaps.length, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20), usPerSeriesAfterMinuteTurn: Math.round((turnSeconds / snaps.length) * 1e7) / 10, snapshotAllSeconds: Math.round(turnSeconds * 1000) / 1000, unchangedSnapshotAllSeconds: Math.round(unchangedSeconds * 1000) / 1000, checkpointAllSeconds: Math.round(checkpointSeconds * 100) / 100, stateMiB: Math.round(stateBytes / 2 ** 20) }));
  process.exit(0);
}

if (MODE === "restart-prepare") {
  // A state file as a running monitor leaves it: 500,000 conversations counted (identities in
  // `seen`: the busiest day the first-start bench measures), a checkpoint, then half a minute of
  // events in the log after it.
  const file = process.argv[4];
  const clock = new ManualClock(START);
  const engine = new Engine(defaultEngineSettings, clock);
  const store = new StateStore(file);
  let batch: { id: string; event: QueueEvent }[] = [];
  const flush = () => {
    store.commit({ events: batch, watermark: clock.now(), counters: {} });
    batch = [];
  };
  fill(engine, clock, QUEUES, MEDIA, Math.ceil(500_000 / (QUEUES * MEDIA.length)), 1, (e) => {
    batch.push({ id: storedIdentity(e), event: e });
    if (batch.length >= 5000) flush();
  });
  flush();
  store.checkpoint(engine.allStates());
  let logged = 0;
  clock.set(START + 60 * 60_000);
  for (let i = 0; i < 20_000; i++) {
    const q = `q-${(i % QUEUES).toString().padStart(6, "0")}`;
    const e: QueueEvent = { kind: "offered", queueId: q, mediaType: MEDIA[i % 2], conversationId: `after-${i}`, participantId: `after-${i}-a`, time: START + 60 * 60_000 + (i % 30_000) };
    batch.push({ id: storedIdentity(e), event: e });
    logged++;
  }
  flush();
  store.close();
  console.log(JSON.stringify({ logged }));
  process.exit(0);
}

if (MODE === "restart") {
  const file = process.argv[4];
  const t0 = process.hrtime.bigint();
  const store = new StateStore(file);
  const loaded = store.load(0);
  const tLoad = seconds(t0);
  const engine = new Engine(defaultEngineSettings, new ManualClock(START + 60 * 60_000 + 30_000));
  engine.restore(loaded.series);
  for (const e of loaded.replay) engine.apply(e);
  const dedup = new Dedup(loaded.seen);
  const total = seconds(t0);
  store.close();
  console.log(JSON.stringify({ series: engine.seriesCount, identities: loaded.seen.length, replayed: loaded.replay.length, loadSeconds: Math.round(tLoad * 100) / 100, restartSeconds: Math.round(total * 100) / 100, dedupEntries: dedup.size }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
function child<T>(args: string[]): T {
  const out = execFileSync(process.execPath, ["--expose-gc", self, ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

// 1. Throughput: 200 queues, 60 minutes, 30 calls per minute each.
const clock1 = new ManualClock(START);
const e1 = new Engine(defaultEngineSettings, clock1);
const thr = fill(e1, clock1, 200, ["voice"], 60, 30);
const eventsPerSecond = thr.events / (thr.ns / 1e9);

// 2. Memory per series with all windows filled (2 hours, 30 calls a minute).
gc();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const clock2 = new ManualClock(START);
const e2 = new Engine(defaultEngineSettings, clock2);
const N2 = 500;
fill(e2, clock2, N2, ["voice"], 121, 30);
e2.maintain();
e2.snapshot();
gc();
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const bytesPerSeries = (after - before) / N2;

// 3. 5,000 queues x 2 media in a fresh process, 4. restart from a state file in another.
// The target load: one call a minute per queue and media (600,000 calls an hour over 10,000
// series, ten times the load test's busy contact center); then six a minute as a stress figure.
type Scale = { series: number; callsPerHour: number; rssMiB: number; heapMiB: number; usPerSeriesAfterMinuteTurn: number; snapshotAllSeconds: number; unchangedSnapshotAllSeconds: number };
const scale = child<Scale>(["scale", String(QUEUES), "1"]);
const stress = child<Scale>(["scale", String(QUEUES), "6"]);
const dir = mkdtempSync(join(tmpdir(), "qm-restart-"));
const stateFile = join(dir, "state.sqlite");
child(["restart-prepare", String(QUEUES), stateFile]);
const restart = child<{ series: number; identities: number; replayed: number; loadSeconds: number; restartSeconds: number }>(["restart", String(QUEUES), stateFile]);
rmSync(dir, { recursive: true, force: true });

const targets = { usPerSeriesAfterMinuteTurnMax: 50, rssMiBMax: 1024, restartSecondsMax: 10 };
const result = {
  bench: "engine",
  eventsPerSecond: Math.round(eventsPerSecond),
  nsPerEvent: Math.round(thr.ns / thr.events),
  kbPerSeriesAllWindowsFilled30PerMinute: Math.round(bytesPerSeries / 102.4) / 10,
  queues: QUEUES,
  media: MEDIA.length,
  scale,
  stress,
  restart,
  targets,
  met: {
    snapshotAfterMinuteTurn: scale.usPerSeriesAfterMinuteTurn <= targets.usPerSeriesAfterMinuteTurnMax,
    rss: scale.rssMiB <= targets.rssMiBMax,
    restart: restart.restartSeconds <= targets.restartSecondsMax,
  },
};
console.log(`engine: ${result.eventsPerSecond.toLocaleString()} events/s (${result.nsPerEvent} ns/event) over 200 queues x 60 min`);
console.log(`memory: ${result.kbPerSeriesAllWindowsFilled30PerMinute} KB per queue x media with every window filled (30 calls/min)`);
console.log(`${scale.series.toLocaleString()} series (${QUEUES} queues x ${MEDIA.length} media, 1 call/min each = ${scale.callsPerHour.toLocaleString()} calls/h, 2 h): RSS ${scale.rssMiB} MiB; snapshot after a minute turns ${scale.usPerSeriesAfterMinuteTurn} us per series (${scale.snapshotAllSeconds} s for all), unchanged ${scale.unchangedSnapshotAllSeconds} s`);
console.log(`stress, 6 calls/min each (${stress.callsPerHour.toLocaleString()} calls/h): RSS ${stress.rssMiB} MiB; snapshot after a minute turns ${stress.usPerSeriesAfterMinuteTurn} us per series`);
console.log(`restart: ${restart.series.toLocaleString()} series, ${restart.identities.toLocaleString()} identities, ${restart.replayed.toLocaleString()} events replayed in ${restart.restartSeconds} s (SQLite load ${restart.loadSeconds} s)`);
console.log(JSON.stringify(result));
