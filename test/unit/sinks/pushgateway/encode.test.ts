/** The Pushgateway body and its grouping path (@base64 for values with / or empty). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePushgateway, groupingPath, pushgatewaySink } from "../../../../src/sinks/pushgateway/encode.js";
import { fixtureFlush } from "../../../helpers/export-fixture.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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
