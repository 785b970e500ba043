/** The webhook's JSON keeps the original design's shape. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeWebhook } from "../../../../src/sinks/webhook/encode.js";
import { FIXTURE_AT, fixtureFlush, fixtureSnapshots } from "../../../helpers/export-fixture.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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

test("webhook: each agent status has its own name (one name for all would keep only the last)", () => {
  const [snap] = fixtureSnapshots(true);
  const body = encodeWebhook(fixtureFlush(true));
  const m = body.metrics[snap.queueId];
  const media = snap.mediaType.toLowerCase();
  assert.equal(m[`${media}.agents.on_queue`], snap.now.agents.onQueue);
  assert.equal(m[`${media}.agents.idle`], snap.now.agents.idle);
  assert.equal(m[`${media}.agents.members`], snap.now.agents.members);
  assert.equal(m[`${media}.agents`], undefined);
});
