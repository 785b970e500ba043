/** The /metrics exposition against its golden file; every family once and contiguous; promtool agrees. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { PrometheusExposition } from "../../../../src/sinks/prometheus/exposition.js";
import { FAMILIES } from "../../../../src/sinks/samples.js";
import { requireBinary } from "../../../helpers/servers.js";
import { fixtureFlush } from "../../../helpers/export-fixture.js";
import { needs } from "../../../helpers/needs.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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
