/** InfluxDB line protocol (1.x and 2.x) against its golden files: sorted tags, escaping, ms precision. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeLineProtocol, influxSink } from "../../../../src/sinks/influxdb/encode.js";
import { FIXTURE_AT, fixtureFlush } from "../../../helpers/export-fixture.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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
