/** The VictoriaMetrics import text against its golden file: one line per sample at the flush's ms timestamp. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeImportText, victoriaMetricsSink } from "../../../../src/sinks/victoriametrics/encode.js";
import { FIXTURE_AT, fixtureFlush } from "../../../helpers/export-fixture.js";
import { golden as goldenIn, SINK_GOLDEN } from "../../../helpers/golden.js";

const golden = (name: string, actual: string | Uint8Array) => goldenIn(SINK_GOLDEN, name, actual);

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
