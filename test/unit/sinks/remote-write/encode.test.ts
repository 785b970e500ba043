/** Prometheus remote write (snappy protobuf) against its golden files, decoded and raw. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRemoteWrite, encodeRemoteWrite, encodeWriteRequest, remoteWriteSink } from "../../../../src/sinks/remote-write/encode.js";
import { FIXTURE_AT, fixtureFlush } from "../../../helpers/export-fixture.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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
