/**
 * Export bench: /metrics render time and one flush (samples -> outbox in SQLite) plus each sink's
 * encoding, for many queues (default 500 queues x 2 media, every window filled). Prints numbers,
 * then one JSON line. Usage: node dist/bench/export.bench.js [queues]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { defaultEngineSettings, Engine } from "../src/aggregate/engine.js";
import type { QueueEvent } from "../src/domain/queue-event.js";
import { buildSinks, Exporter } from "../src/export/exporter.js";
import { ManualClock } from "../src/util/clock.js";
import { silentLogger } from "../src/util/log.js";
import { mulberry32 } from "../src/util/random.js";

const QUEUES = Number(process.argv[2] ?? 500);
const MEDIA = ["voice", "chat"];
const START = Date.parse("2026-05-04T08:00:00Z");
const rnd = mulberry32(3);
const clock = new ManualClock(START);
const engine = new Engine(defaultEngineSettings, clock);
const db = new Database(join(mkdtempSync(join(tmpdir(), "qm-export-bench-")), "state.sqlite"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
const sinks = [
  { type: "victoriametrics" as const, url: "http://127.0.0.1:9/" },
  { type: "pushgateway" as const, url: "http://127.0.0.1:9/", job: "queue-monitor" },
  { type: "influxdb" as const, url: "http://127.0.0.1:9/", database: "genesys" },
  { type: "remote-write" as const, url: "http://127.0.0.1:9/api/v1/write" },
  { type: "webhook" as const, url: "http://127.0.0.1:9/" },
];
const exporter = new Exporter({
  config: { flushSeconds: 60, maxPendingFlushes: 100, sinks },
  clock,
  log: silentLogger,
  db,
  snapshot: () => engine.snapshot(),
  health: () => ({ connected: true, ready: true, queues: QUEUES, channels: [{ state: "live" }], lastEventAgeSeconds: 0.2, counters: {}, http: { byStatus: { "200": 10 } } }),
});

// 61 minutes of traffic, 4 calls per minute per queue x media.
const ev: QueueEvent = { kind: "offered", queueId: "", mediaType: "voice", conversationId: "", participantId: "p", time: 0 };
for (let q = 0; q < QUEUES; q++) engine.setQueue(`q-${q}`, { name: `Queue ${q}`, serviceLevels: {} });
for (let m = 0; m < 61; m++) {
  clock.set(START + m * 60_000);
  for (let q = 0; q < QUEUES; q++) {
    for (const media of MEDIA) {
      for (let k = 0; k < 4; k++) {
        Object.assign(ev, { queueId: `q-${q}`, mediaType: media, conversationId: `${m}-${k}`, kind: "offered", time: START + m * 60_000 + k * 15_000, waitMs: undefined });
        engine.apply(ev);
        Object.assign(ev, { kind: rnd() < 0.1 ? "abandoned" : "answered", waitMs: Math.floor(rnd() * 120_000) });
        engine.apply(ev);
        exporter.observe(ev);
      }
    }
  }
}
clock.set(START + 61 * 60_000 + 5_000);

const ms = (f: () => unknown) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const msAsync = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const snapshotMs = median(Array.from({ length: 5 }, () => ms(() => engine.snapshot())));
const renders: number[] = [];
let bytes = 0;
for (let i = 0; i < 5; i++) renders.push(await msAsync(async () => (bytes = (await exporter.metrics()).body.length)));
const samples = exporter.samples().length;
const flushes: number[] = [];
for (let i = 0; i < 5; i++) flushes.push(ms(() => exporter.flush()));
const flush = exporter.outbox.oldest("victoriametrics")!.flush;
const encode: Record<string, number> = {};
const bodyBytes: Record<string, number> = {};
for (const s of buildSinks(sinks)) {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    times.push(
      await msAsync(async () => {
        const b = (await s.request(flush)).body;
        bodyBytes[s.type] = typeof b === "string" ? Buffer.byteLength(b) : (b?.length ?? 0);
      }),
    );
  }
  encode[s.type] = Math.round(median(times) * 10) / 10;
}
const stored = (db.prepare("SELECT SUM(LENGTH(samples)) AS b, COUNT(*) AS n FROM export_flushes").get() as { b: number; n: number });
const result = {
  series: QUEUES * MEDIA.length,
  samples,
  snapshotMs: Math.round(snapshotMs),
  metricsRenderMs: Math.round(median(renders)),
  metricsBytes: bytes,
  flushStoreMs: Math.round(median(flushes)),
  storedBytesPerFlush: Math.round(stored.b / stored.n),
  encodeMs: encode,
  bodyBytes,
};
console.log(`${result.series} series, ${samples} samples per flush`);
console.log(`engine snapshot ${result.snapshotMs} ms; /metrics render ${result.metricsRenderMs} ms (${(bytes / 1e6).toFixed(1)} MB, snapshot included)`);
console.log(`flush into the outbox ${result.flushStoreMs} ms (${(result.storedBytesPerFlush / 1e3).toFixed(0)} kB gzip'd per flush, snapshot included)`);
for (const [k, v] of Object.entries(encode)) console.log(`  encode ${k}: ${v} ms, ${(bodyBytes[k] / 1e6).toFixed(2)} MB`);
console.log(JSON.stringify(result));
db.close();
