/**
 * Pure encoders against golden files (UPDATE_GOLDEN=1 rewrites them after a deliberate change),
 * plus the properties each wire format demands: escaping, sorted labels, grouping paths, and
 * `promtool check metrics` on the exposition.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeLineProtocol, influxSink } from "../../../src/sinks/influxdb/encode.js";
import { PrometheusExposition } from "../../../src/sinks/prometheus/exposition.js";
import { encodePushgateway, groupingPath, pushgatewaySink } from "../../../src/sinks/pushgateway/encode.js";
import { decodeRemoteWrite, encodeRemoteWrite, encodeWriteRequest, remoteWriteSink } from "../../../src/sinks/remote-write/encode.js";
import { FAMILIES } from "../../../src/sinks/samples.js";
import { encodeImportText, victoriaMetricsSink } from "../../../src/sinks/victoriametrics/encode.js";
import { encodeWebhook } from "../../../src/sinks/webhook/encode.js";
import { requireBinary } from "../../helpers/servers.js";
import { FIXTURE_AT, fixtureFlush } from "../../helpers/export-fixture.js";
import { needs } from "../../helpers/needs.js";

// dist/test/export -> test/export/golden (golden files stay in the source tree)
const GOLDEN = fileURLToPath(new URL("../../../../test/unit/sinks/golden/", import.meta.url));

function golden(name: string, actual: string | Uint8Array): void {
  const file = `${GOLDEN}${name}`;
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== "1") assert.fail(`golden file ${file} is missing (run with UPDATE_GOLDEN=1 once and review it)`);
    writeFileSync(file, actual);
    return;
  }
  const expected = readFileSync(file);
  assert.deepEqual(Buffer.from(actual), expected, `${name} differs from its golden file`);
}

test("VictoriaMetrics import text matches its golden file, one line per sample with the flush's ms timestamp", () => {
  const f = fixtureFlush();
  const text = encodeImportText(f);
  golden("victoriametrics.txt", text);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, f.samples.length);
  for (const l of lines) assert.ok(l.endsWith(` ${FIXTURE_AT}`), l);
  assert.ok(text.includes('queue_name="Sales, EMEA \\"VIP\\" a/b\\\\c=d\\nline2"'), "quote, backslash and newline escaped");
  const req = victoriaMetricsSink("vm", { url: "http://h:1/", extraLabels: { monitor: "a b" } }).request(f);
  assert.equal((req as { url: string }).url, "http://h:1/api/v1/import/prometheus?extra_label=monitor%3Da+b");
});

test("InfluxDB line protocol matches its golden file: sorted tags, escaped keys and values, ms precision URLs", () => {
  const f = fixtureFlush();
  const text = encodeLineProtocol(f);
  golden("influxdb.lp", text);
  assert.equal(text.trimEnd().split("\n").length, f.samples.length, "one line per sample: no newline inside a point");
  assert.ok(text.includes("queue_name=Sales\\,\\ EMEA\\ \"VIP\"\\ a/b\\c\\=d\\ line2 value=120 " + FIXTURE_AT));
  // Tags sorted by key; an empty tag value is left out, as the protocol requires.
  const oneLine = encodeLineProtocol({ at: 1, samples: [{ family: "x", name: "m x", labels: { z: "1", a: "", b: "2" }, value: 0.5 }] });
  assert.equal(oneLine, "m\\ x,b=2,z=1 value=0.5 1\n");
  const v1 = influxSink("i", { url: "http://h:8086", database: "genesys", username: "u", password: "p" });
  const r1 = v1.request(f) as { url: string; headers: Record<string, string> };
  assert.equal(r1.url, "http://h:8086/write?db=genesys&precision=ms");
  assert.equal(r1.headers.authorization, `Basic ${Buffer.from("u:p").toString("base64")}`);
  assert.match(String(v1.prepare!().body), /CREATE\+DATABASE\+%22genesys%22/);
  const v2 = influxSink("i2", { url: "http://h:8086", org: "acme", bucket: "genesys", token: "T0k" });
  const r2 = v2.request(f) as { url: string; headers: Record<string, string>; body: string };
  assert.equal(r2.url, "http://h:8086/api/v2/write?org=acme&bucket=genesys&precision=ms");
  assert.equal(r2.headers.authorization, "Token T0k");
  assert.equal(v2.prepare, undefined);
  golden("influxdb-v2.lp", r2.body);
});

test("remote write: snappy protobuf with __name__, sorted labels and the flush time; golden decoded form", async () => {
  const f = fixtureFlush();
  const req = (await remoteWriteSink("rw", { url: "http://h/api/v1/write" }).request(f)) as unknown as { headers: Record<string, string>; body: Buffer };
  assert.equal(req.headers["content-encoding"], "snappy");
  assert.equal(req.headers["content-type"], "application/x-protobuf");
  assert.equal(req.headers["x-prometheus-remote-write-version"], "0.1.0");
  assert.ok(req.headers["user-agent"]);
  const series = decodeRemoteWrite(req.body);
  assert.equal(series.length, f.samples.length);
  series.forEach((ts, i) => {
    const names = ts.labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort(), "label names sorted");
    assert.equal(ts.labels.find((l) => l.name === "__name__")?.value, f.samples[i].name);
    assert.deepEqual(ts.samples, [{ value: f.samples[i].value, timestamp: FIXTURE_AT }]);
    assert.ok(ts.labels.every((l) => l.value !== ""), "no empty label values");
  });
  golden("remote-write.json", JSON.stringify(series, null, 1) + "\n");
  golden("remote-write.pb", encodeWriteRequest(f));
  assert.deepEqual(decodeRemoteWrite(encodeRemoteWrite(f)), series);
  // HA: a replica label on every series, sorted in with the rest; a sample's own label wins.
  const ha = (await remoteWriteSink("rw", { url: "http://h/api/v1/write", extraLabels: { replica: "a", queue_id: "not-this" } }).request(f)) as unknown as { body: Buffer };
  for (const [i, ts] of decodeRemoteWrite(ha.body).entries()) {
    const names = ts.labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(ts.labels.find((l) => l.name === "replica")?.value, "a");
    if (f.samples[i].labels.queue_id) assert.equal(ts.labels.find((l) => l.name === "queue_id")?.value, f.samples[i].labels.queue_id);
  }
});

test("webhook JSON keeps the original shape {timestamp, metrics: {queueId: {name: value}}}", () => {
  const body = encodeWebhook(fixtureFlush());
  golden("webhook.json", JSON.stringify(body, null, 1) + "\n");
  assert.equal(body.timestamp, new Date(FIXTURE_AT).toISOString());
  assert.deepEqual(Object.keys(body.metrics).sort(), ["q-1", "q-2"]);
  assert.equal(body.metrics["q-1"]["voice.offered_total"], 120);
  assert.equal(body.metrics["q-1"]["voice.answered_wait_seconds.5m.p90"], 31.25);
  assert.equal(body.metrics["q-1"]["voice.service_level_ratio.15m"], 0.8);
  assert.equal(body.metrics["q-2"]["chat.service_level_ratio.5m"], undefined, "no data is left out, not NaN");
});

test("Pushgateway: grouping values with / or empty use @base64; body is an exposition without timestamps", async () => {
  assert.equal(groupingPath("queue-monitor"), "/metrics/job/queue-monitor");
  assert.equal(groupingPath("a/b", { instance: "", site: "x y" }), "/metrics/job@base64/YS9i/instance@base64/=/site/x%20y");
  assert.throws(() => groupingPath(""));
  const sink = pushgatewaySink("pgw", { url: "http://h:9091", job: "qm", grouping: { instance: "dc1/a" } });
  const req = await sink.request(fixtureFlush());
  assert.equal(req.method, "PUT");
  assert.equal(req.url, "http://h:9091/metrics/job/qm/instance@base64/ZGMxL2E");
  assert.equal(sink.latestOnly, true);
  const body = await encodePushgateway(fixtureFlush());
  golden("pushgateway.txt", body);
  for (const l of body.split("\n").filter((x) => x && !x.startsWith("#"))) assert.match(l, /^\S+(\{.*\})? \S+$/, `no timestamp: ${l}`);
});

test("/metrics exposition: golden file, every family once and contiguous, and promtool check metrics reports nothing", needs("promtool"), async () => {
  const text = await new PrometheusExposition().render(fixtureFlush().samples);
  golden("metrics.txt", text);
  for (const f of FAMILIES) assert.equal(text.split(`# TYPE ${f.name} `).length, 2, `${f.name} has one TYPE line`);
  assert.match(text, /genesys_queue_answered_wait_seconds_bucket\{queue_id="q-1",.*le="\+Inf"\} 100\n/);
  assert.match(text, /genesys_queue_answered_wait_seconds_count\{queue_id="q-1",[^}]*\} 100\n/);
  const promtool = requireBinary("promtool");
  const r = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  assert.equal(`${r.stdout}${r.stderr}`.trim(), "", "promtool reports nothing");
  assert.equal(r.status, 0);
});
