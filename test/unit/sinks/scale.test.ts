/**
 * The fast paths for large organizations write what the libraries and the plain path write: random
 * snapshots with awkward labels (quotes, backslashes, newlines, commas, =, spaces, empty and
 * non-ASCII values, zero and negative values) rendered by hand and by prom-client, encoded by
 * hand and by protobufjs, and every encoder fed the same samples as per-queue samples (labels
 * escaped once per series) and as plain samples (labels escaped per sample).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import protobuf from "protobufjs";
import { Registry } from "prom-client";
import type { SeriesSnapshot } from "../../../src/aggregate/series.js";
import { BufferPool } from "../../../src/sinks/byte-writer.js";
import { encodeLineProtocol } from "../../../src/sinks/influxdb/encode.js";
import { Outbox } from "../../../src/delivery/outbox.js";
import { flushCodec } from "../../../src/sinks/flush-codec.js";
import { PrometheusExposition } from "../../../src/sinks/prometheus/exposition.js";
import { encodeWriteRequest } from "../../../src/sinks/remote-write/encode.js";
import { encodePushgateway } from "../../../src/sinks/pushgateway/encode.js";
import { buildFlush, FAMILIES, FrameFlush, SeriesSample, type Flush, type Sample } from "../../../src/sinks/samples.js";
import { withLabels } from "../../../src/sinks/sink.js";
import { encodeImportText } from "../../../src/sinks/victoriametrics/encode.js";
import { encodeWebhook } from "../../../src/sinks/webhook/encode.js";
import { mulberry32, type Rng } from "../../../src/util/random.js";
import { fig, snap } from "../../helpers/export-fixture.js";

const AWKWARD = ['a"b', "back\\slash", "new\nline", "comma, eq=ls", "tab\tand space", "", "Ümlaut 客服", "x\r\ny", "plain"];

function randomFlush(rnd: Rng, series: number): FrameFlush {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const num = () => (rnd() < 0.15 ? 0 : rnd() < 0.1 ? -rnd() * 5 : rnd() < 0.1 ? null : Math.round(rnd() * 1e6) / (rnd() < 0.5 ? 1 : 997));
  const snapshots: SeriesSnapshot[] = [];
  for (let i = 0; i < series; i++) {
    const windows: Record<string, ReturnType<typeof fig>> = {};
    for (const w of ["5m", "15m", "60m"].slice(0, 1 + Math.floor(rnd() * 3))) {
      windows[w] = fig({ serviceLevel: num(), asaSeconds: num(), abandonRate: num(), answeredWaitSeconds: { p50: num(), p90: num(), p95: num(), p99: num(), max: null } });
    }
    snapshots.push(
      snap(`q-${i % Math.ceil(series / 2)}${pick(["", "/x", " y"])}`, `${pick(AWKWARD)}${pick(AWKWARD)} ${i}`, pick(["Voice", "chat", "email"]), windows, { waiting: num() ?? 0, interacting: num(), longestWaitingSeconds: num() }, {
        offered: i,
        answered: Math.floor(i / 2),
        abandoned: 0,
        flowout: 1,
      }),
    );
  }
  const counts = Array.from({ length: 13 }, (_, i) => i * 3);
  return buildFlush(1_700_000_000_000 + Math.floor(rnd() * 1e9), {
    snapshots,
    histogram: (q) => (q.includes("/") ? undefined : { counts, sumSeconds: rnd() * 100 }),
    health: { connected: true, ready: false, queues: series, channels: [{ state: "live" }], lastEventAgeSeconds: null, counters: { reconnects: 1 }, http: { byStatus: { "503": 2 } } },
    sinks: [{ name: 'v"m', pending: 0, sent: 1, failures: 0, deadLetters: 0, dropped: 0 }],
  });
}

/** The same samples with their labels as one plain object each (the path every sample took before). */
const plain = (f: Flush): Flush => ({ at: f.at, samples: f.samples.map((s): Sample => ({ family: s.family, name: s.name, labels: s.labels, value: s.value })) });

async function promClient(samples: Sample[]): Promise<string> {
  const registry = new Registry();
  for (const f of FAMILIES) {
    const mine = samples.filter((s) => s.family === f.name);
    const metric = { name: f.name, help: f.help, type: f.type, aggregator: "sum", get: async () => ({ ...f, aggregator: "sum", values: mine.map((s) => ({ labels: s.labels, value: s.value, ...(s.name === s.family ? {} : { metricName: s.name }) })) }) };
    registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  }
  return registry.metrics();
}

const WriteRequest = protobuf.Root.fromJSON({
  nested: {
    WriteRequest: { fields: { timeseries: { rule: "repeated", type: "TimeSeries", id: 1 } } },
    TimeSeries: { fields: { labels: { rule: "repeated", type: "Label", id: 1 }, samples: { rule: "repeated", type: "Sample", id: 2 } } },
    Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
    Sample: { fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } } },
  },
}).lookupType("WriteRequest");

/** Remote write as protobufjs writes it from one object per sample (the first encoder). */
function protobufjsWriteRequest(f: Flush): Uint8Array {
  const timeseries = f.samples.map((s) => {
    const labels = [{ name: "__name__", value: s.name }, ...Object.entries(s.labels).filter(([, v]) => v !== "").map(([name, value]) => ({ name, value }))];
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { labels, samples: [{ value: s.value, timestamp: f.at }] };
  });
  return WriteRequest.encode({ timeseries }).finish();
}

test("per-queue samples: exposition equals prom-client's, remote write equals protobufjs', every encoder equals its plain path", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const frame = randomFlush(mulberry32(seed), 40);
    assert.ok(frame.samples.some((s) => s instanceof SeriesSample) && frame.samples.some((s) => !(s instanceof SeriesSample)));
    assert.ok(frame.samples.some((s) => s.value === 0) && frame.samples.some((s) => s.value < 0), "zero and negative values covered");
    const p = plain(frame);
    const sampled: Flush = { at: frame.at, samples: frame.samples };
    for (const [what, f] of [["frame", frame], ["per-queue samples", sampled]] as const) {
      const text = await new PrometheusExposition().render(f instanceof FrameFlush ? f : f.samples);
      assert.equal(text, await promClient(p.samples), `seed ${seed}, ${what}: exposition`);
      assert.equal(await encodePushgateway(f), text, `seed ${seed}, ${what}: pushgateway`);
      assert.deepEqual(Buffer.from(encodeWriteRequest(f)), Buffer.from(protobufjsWriteRequest(p)), `seed ${seed}, ${what}: remote write`);
      assert.equal(encodeImportText(f), encodeImportText(p), `seed ${seed}, ${what}: victoriametrics`);
      assert.equal(encodeLineProtocol(f), encodeLineProtocol(p), `seed ${seed}, ${what}: influxdb`);
      assert.deepEqual(encodeWebhook(f), encodeWebhook(p), `seed ${seed}, ${what}: webhook`);
      const extras: Record<string, string>[] = [{ replica: "a", monitor: "b=c" }, { window: "w", Zeta: "z" }, { queue_id: "not-this" }];
      for (const extra of extras) {
        assert.equal(encodeLineProtocol(withLabels(f, extra)), encodeLineProtocol(withLabels(p, extra)), `seed ${seed}, ${what}: influxdb + ${JSON.stringify(extra)}`);
        assert.deepEqual(Buffer.from(encodeWriteRequest(withLabels(f, extra))), Buffer.from(protobufjsWriteRequest(withLabels(p, extra))), `seed ${seed}, ${what}: remote write + ${JSON.stringify(extra)}`);
      }
    }
  }
});

test("the outbox gives back per-queue samples with their labels and values, and still reads rows of the first format", () => {
  const db = new Database(join(mkdtempSync(join(tmpdir(), "qm-scale-")), "state.sqlite"));
  const ob = new Outbox(db, { table: "export", codec: flushCodec, destinations: ["a"], maxPending: 10 });
  const f = randomFlush(mulberry32(9), 30);
  ob.add(f, ["a"]);
  const back = ob.oldest("a")!.item!;
  assert.equal(back.at, f.at);
  assert.deepEqual(plain(back), plain(f));
  assert.equal(encodeImportText(back), encodeImportText(f));
  assert.ok(back instanceof FrameFlush, "a frame comes back as a frame");
  assert.ok(back.samples.every((s, i) => s instanceof SeriesSample === f.samples[i] instanceof SeriesSample), "per-queue samples stay per-queue samples");
  ob.done("a", ob.oldest("a")!.seq);
  // A row of the first format: one [family, name, labels, value] per sample.
  const v1 = { at: 5, samples: [["genesys_queue_waiting", "genesys_queue_waiting", { queue_id: "q", queue_name: "N", media_type: "voice" }, 3]] };
  const seq = Number(db.prepare("INSERT INTO export_flushes (at, samples) VALUES (?, ?)").run(5, gzipSync(JSON.stringify(v1))).lastInsertRowid);
  db.prepare("INSERT INTO export_pending (sink, seq) VALUES (?, ?)").run("a", seq);
  const old = new Outbox(db, { table: "export", codec: flushCodec, destinations: ["a"], maxPending: 10 }).oldest("a")!.item;
  assert.deepEqual(old, { at: 5, samples: [{ family: "genesys_queue_waiting", name: "genesys_queue_waiting", labels: { queue_id: "q", queue_name: "N", media_type: "voice" }, value: 3 }] });
  db.close();
});

test("body pool: lends the smallest kept buffer that fits, keeps the two largest, never keeps a slice of Node's shared pool", () => {
  const pool = new BufferPool(2);
  const a = pool.take(100_000);
  const b = pool.take(200_000);
  const c = pool.take(300_000);
  assert.notEqual(a.buffer, b.buffer);
  for (const x of [a, b, c]) pool.give(x.subarray(0, 10));
  const d = pool.take(150_000);
  assert.equal(d.buffer, b.buffer, "smallest that fits");
  assert.equal(pool.take(150_000).buffer, c.buffer);
  assert.notEqual(pool.take(150_000).buffer, a.buffer, "the smallest was not kept");
  const small = Buffer.allocUnsafe(100); // a slice of Node's 8 kB pool
  pool.give(small);
  assert.equal(pool.take(50).length, 50, "nothing kept: a new buffer of the size asked");
});
