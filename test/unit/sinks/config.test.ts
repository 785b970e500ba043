/** The `export:` section: defaults, each sink type, errors that name the field, TSD_ENDPOINT. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load.js";
import { buildSinks } from "../../../src/sinks/exporter.js";

const env = { GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "secret", GENESYS_BASE_URL: "http://127.0.0.1:1" };

function load(yaml: string, extraEnv: Record<string, string> = {}) {
  const file = join(mkdtempSync(join(tmpdir(), "qm-cfg-")), "c.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file, { ...env, ...extraEnv });
}

test("export defaults to no sinks and a 60 s flush", () => {
  const c = load("{}\n");
  assert.deepEqual(c.export, { flushSeconds: 60, maxPendingFlushes: 10_080, sinks: [] });
});

test("the issue's example config parses into one sink of each kind, named by type", () => {
  const c = load(`
export:
  flushSeconds: 60
  sinks:
    - {type: victoriametrics, url: http://127.0.0.1:8428}
    - {type: pushgateway, url: http://127.0.0.1:9091, job: queue-monitor}
    - {type: influxdb, url: http://127.0.0.1:8086, database: genesys}
    - {type: influxdb, url: http://127.0.0.1:8087, org: acme, bucket: genesys, token: t}
    - {type: remote-write, url: http://127.0.0.1:9090/api/v1/write}
    - {type: webhook, url: http://127.0.0.1:8080/tsd}
`);
  assert.deepEqual(
    buildSinks(c.export.sinks).map((s) => [s.name, s.type]),
    [
      ["victoriametrics", "victoriametrics"],
      ["pushgateway", "pushgateway"],
      ["influxdb", "influxdb"],
      ["influxdb-2", "influxdb"],
      ["remote-write", "remote-write"],
      ["webhook", "webhook"],
    ],
  );
});

test("bad export settings are refused with the field named", () => {
  assert.throws(() => load("export: {sinks: [{type: graphite, url: http://x}]}\n"), /export\.sinks\.0\.type/);
  assert.throws(() => load("export: {sinks: [{type: victoriametrics}]}\n"), /export\.sinks\.0\.url/);
  assert.throws(() => load("export: {sinks: [{type: influxdb, url: 'http://x'}]}\n"), /database .*bucket/);
  assert.throws(() => load("export: {flushSeconds: 0}\n"), /export\.flushSeconds/);
  assert.throws(() => load("export: {sinks: [{type: victoriametrics, url: 'http://x', extraLabels: {'bad-name': a}}]}\n"), /export\.sinks\.0\.extraLabels\.bad-name/);
});

test("TSD_ENDPOINT adds one webhook sink (the original design's variable)", () => {
  const c = load("export: {sinks: [{type: victoriametrics, url: 'http://127.0.0.1:8428'}]}\n", { TSD_ENDPOINT: "http://127.0.0.1:7070/tsd" });
  assert.deepEqual(
    c.export.sinks.map((s) => [s.type, s.url]),
    [
      ["victoriametrics", "http://127.0.0.1:8428"],
      ["webhook", "http://127.0.0.1:7070/tsd"],
    ],
  );
  assert.equal(load("{}\n", { TSD_ENDPOINT: "http://127.0.0.1:7070/tsd" }).export.sinks.length, 1);
});
