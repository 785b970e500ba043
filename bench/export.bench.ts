/**
 * Export bench (/metrics and push cost, and export's memory): for many queues (default 5,000
 * queues x 2 media, every window filled) it measures the /metrics render (figures included: the
 * engine's snapshot and the samples), one flush into the outbox, reading it back, and each sink's
 * encoding, plus the memory all that takes. Side by side in the same run, the same samples are
 * rendered by prom-client alone (how /metrics was written before) and the two texts compared.
 * Prints numbers, then one JSON line with figures, targets and `met`.
 * Usage: node [--expose-gc] dist/bench/export.bench.js [queues]
 */
import { mkdtempSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Registry } from "prom-client";
import { defaultEngineSettings } from "../src/aggregate/config.js";
import { Engine } from "../src/aggregate/engine.js";
import type { QueueEvent } from "../src/domain/queue-event.js";
import { buildSinks, Exporter } from "../src/sinks/exporter.js";
import { PrometheusExposition } from "../src/sinks/prometheus/exposition.js";
import { FAMILIES, type Sample } from "../src/sinks/samples.js";
import { ManualClock } from "../src/util/clock.js";
import { silentLogger } from "../src/util/log.js";
import { mulberry32 } from "../src/util/random.js";

const QUEUES = Number(process.argv[2] ?? 5000);
if (!Number.isInteger(QUEUES) || QUEUES < 1 || QUEUES > 50_000) throw new RangeError(`queues must be 1..50000, got ${process.argv[2]}`);
const MEDIA = ["voice", "chat"];
const START = Date.parse("2026-05-04T08:00:00Z");
const rnd = mulberry32(3);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (b: number) => Math.round(b / 1e5) / 10;

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

// Queue ids as Genesys spells them (UUIDs) and names of a real length: label sizes matter here.
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
const ids = Array.from({ length: QUEUES }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);
for (let q = 0; q < QUEUES; q++) engine.setQueue(ids[q], { name: `Customer Care ${q % 7 === 0 ? 'EMEA "Gold"' : "Tier 2"} ${q}`, serviceLevels: {} });

// 61 minutes of traffic, one call a minute per queue x media (600,000 calls an hour, the load the
// engine bench states its memory target for): every window (up to 60 min) filled. The samples
// per flush do not depend on the call rate.
const tLoad = performance.now();
const ev: QueueEvent = { kind: "offered", queueId: "", mediaType: "voice", conversationId: "", participantId: "p", time: 0 };
for (let m = 0; m < 61; m++) {
  clock.set(START + m * 60_000);
  for (let q = 0; q < QUEUES; q++) {
    for (const media of MEDIA) {
      for (let k = 0; k < 1; k++) {
        Object.assign(ev, { queueId: ids[q], mediaType: media, conversationId: `${m}-${k}`, kind: "offered", time: START + m * 60_000 + k * 15_000, waitMs: undefined });
        engine.apply(ev);
        Object.assign(ev, { kind: rnd() < 0.1 ? "abandoned" : "answered", waitMs: Math.floor(rnd() * 120_000) });
        engine.apply(ev);
        exporter.observe(ev);
      }
    }
  }
  if (m % 10 === 9) engine.maintain();
}
engine.maintain();
clock.set(START + 61 * 60_000 + 5_000);
const loadS = (performance.now() - tLoad) / 1000;

/** /metrics as it was first written: every family through a prom-client Registry (the comparison row). */
async function promClientRender(samples: Sample[]): Promise<string> {
  const registry = new Registry();
  const current = new Map<string, Sample[]>(FAMILIES.map((f) => [f.name, []]));
  for (const s of samples) current.get(s.family)?.push(s);
  for (const f of FAMILIES) {
    const metric = {
      name: f.name,
      help: f.help,
      type: f.type,
      aggregator: "sum",
      get: async () => ({ name: f.name, help: f.help, type: f.type, aggregator: "sum", values: current.get(f.name)!.map((s) => (s.name === s.family ? { labels: s.labels, value: s.value } : { labels: s.labels, value: s.value, metricName: s.name })) }),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  }
  return registry.metrics();
}

/** Wall and CPU milliseconds of one step (CPU: this process' user + system time, every thread). */
interface Took {
  wall: number;
  cpu: number;
}
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const took = async (f: () => unknown): Promise<Took> => {
  const c0 = cpuNow();
  const t0 = performance.now();
  await f();
  return { wall: performance.now() - t0, cpu: cpuNow() - c0 };
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: Took[]): Took => {
  const m = (k: keyof Took) => round1([...xs].sort((a, b) => a[k] - b[k])[Math.floor(xs.length / 2)][k]);
  return { wall: m("wall"), cpu: m("cpu") };
};
const repeat = async (n: number, f: () => unknown): Promise<Took> => {
  const out: Took[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await took(f));
    sampleRss();
  }
  return median(out);
};

// Memory: RSS once loaded (the engine's share), then the highest RSS seen after each export step.
engine.snapshot(); // first snapshot after the minute turned: the engine's figures, not export work
gc();
const rssLoaded = process.memoryUsage().rss;
const heapLoaded = process.memoryUsage().heapUsed;
let rssPeak = rssLoaded;
const sampleRss = () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss));

const snapshot = await repeat(5, () => engine.snapshot());
const figuresStep = await repeat(5, () => exporter.current());
const current = exporter.current();
const samples = current.rest.length + current.frame.values.filter((v) => !Number.isNaN(v)).length;
// As the HTTP server does: the body goes back to the exporter once written (its buffer is reused).
let metricsBytes = 0;
const render = await repeat(5, async () => {
  const body = (await exporter.metrics()).body;
  metricsBytes = body.length;
  exporter.metricsSent(body);
});

// What Exporter.flush does, without starting the sinks' drains (their encoding is measured below).
const names = exporter.runners.map((r) => r.sink.name);
const stores: Took[] = [];
const reads: Took[] = [];
for (let i = 0; i < 5; i++) {
  clock.advance(1000);
  stores.push(await took(() => exporter.outbox.add(exporter.current(), names)));
  // A new flush: reading it back decodes it (the outbox keeps only the last one decoded).
  reads.push(await took(() => exporter.outbox.newest("victoriametrics")));
  sampleRss();
}
const flushStore = median(stores);
const readBackOnly = median(reads);
const flush = exporter.outbox.newest("victoriametrics")!.item!;
const encode: Record<string, Took> = {};
const bodyBytes: Record<string, number> = {};
for (const s of buildSinks(sinks)) {
  encode[s.type] = await repeat(3, async () => {
    const req = await s.request(flush);
    const b = req.body;
    bodyBytes[s.type] = typeof b === "string" ? Buffer.byteLength(b) : (b?.length ?? 0);
    s.release?.(req); // as the runner does once a body is sent
  });
}
const stored = db.prepare("SELECT SUM(LENGTH(samples)) AS b, COUNT(*) AS n FROM export_flushes").get() as { b: number; n: number };
gc();
const rssEnd = process.memoryUsage().rss;
const maxRssExport = process.resourceUsage().maxRSS * 1024; // before the prom-client comparison below
const heapEnd = process.memoryUsage().heapUsed;

// Side by side: the same samples through prom-client alone (after the memory figures: it needs an object per sample).
const all = current.samples;
let reference = "";
const promClient = await took(async () => (reference = await promClientRender(all)));
const sameText = reference === (await new PrometheusExposition().render(current));

const sinkFlush = (e: Took): Took => ({ wall: round1(flushStore.wall + readBackOnly.wall + e.wall), cpu: round1(flushStore.cpu + readBackOnly.cpu + e.cpu) });
const figures = {
  queues: QUEUES,
  series: QUEUES * MEDIA.length,
  samples,
  loadSeconds: round1(loadS),
  snapshotMs: snapshot,
  figuresMs: figuresStep,
  metricsRenderMs: render,
  promClientRenderMs: { wall: round1(promClient.wall), cpu: round1(promClient.cpu) },
  renderSpeedupCpu: round1(promClient.cpu / render.cpu),
  sameTextAsPromClient: sameText,
  metricsBytes,
  flushStoreMs: flushStore,
  readBackMs: readBackOnly,
  storedBytesPerFlush: Math.round(stored.b / stored.n),
  encodeMs: encode,
  sinkFlushMs: Object.fromEntries(Object.entries(encode).map(([k, v]) => [k, sinkFlush(v)])),
  bodyBytes,
  memory: {
    rssLoadedMb: mb(rssLoaded),
    heapLoadedMb: mb(heapLoaded),
    exportPeakExtraMb: mb(rssPeak - rssLoaded),
    retainedHeapMb: mb(heapEnd - heapLoaded),
    rssEndMb: mb(rssEnd),
    maxRssMb: mb(maxRssExport),
    gcExposed: (globalThis as { gc?: unknown }).gc !== undefined,
  },
  loadAverage: os.loadavg().map(round1),
};
// "Well under a second" for 5,000 x 2: half a second for /metrics and for a whole sink flush
// (store, read back, encode). Judged on CPU time: this machine's 2 cores are shared, so wall time
// includes waiting for a core (both are printed). Memory: what export adds to the loaded engine
// (300 MB), and the 1 GB for the whole process (the engine's state is most of it).
const targets = { metricsRenderCpuMs: 500, sinkFlushCpuMs: 500, exportPeakExtraMb: 300, maxRssMb: 1024, sameTextAsPromClient: true };
const met = {
  metricsRenderCpuMs: render.cpu < targets.metricsRenderCpuMs,
  sinkFlushCpuMs: Object.values(figures.sinkFlushMs).every((v) => v.cpu < targets.sinkFlushCpuMs),
  exportPeakExtraMb: figures.memory.exportPeakExtraMb <= targets.exportPeakExtraMb,
  maxRssMb: figures.memory.maxRssMb <= targets.maxRssMb,
  sameTextAsPromClient: sameText,
};
const t = (x: Took) => `${x.wall} ms wall, ${x.cpu} ms CPU`;
console.log(`${figures.series} series, ${figures.samples} samples per flush (engine loaded in ${figures.loadSeconds} s; load average ${figures.loadAverage.join(" ")})`);
console.log(`engine snapshot ${t(snapshot)}; figures (snapshot + frame) ${t(figuresStep)}`);
console.log(`/metrics render ${t(render)} (${(metricsBytes / 1e6).toFixed(1)} MB, figures included); prom-client alone ${t(figures.promClientRenderMs)}; same text: ${sameText}`);
console.log(`flush into the outbox ${t(flushStore)} (${(figures.storedBytesPerFlush / 1e3).toFixed(0)} kB gzip'd), read back ${t(readBackOnly)}`);
for (const [k, v] of Object.entries(encode)) console.log(`  encode ${k}: ${t(v)}, ${(bodyBytes[k] / 1e6).toFixed(2)} MB; whole sink flush ${t(figures.sinkFlushMs[k])}`);
console.log(`memory: RSS ${figures.memory.rssLoadedMb} MB loaded, +${figures.memory.exportPeakExtraMb} MB at the export peak, heap retained by export ${figures.memory.retainedHeapMb} MB, max RSS ${figures.memory.maxRssMb} MB`);
console.log(JSON.stringify({ bench: "export", ...figures, targets, met }));
db.close();
