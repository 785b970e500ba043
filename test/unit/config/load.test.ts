/**
 * The loader: file + environment (one table) + overrides, one set of defaults per field, bounds
 * that refuse values that would exhaust memory or block the process, and errors naming the field.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENV_TABLE } from "../../../src/config/env.js";
import { loadConfig } from "../../../src/config/load.js";
import { configSchema } from "../../../src/config/schema.js";

const dir = mkdtempSync(join(tmpdir(), "qm-config-"));
const env = { GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "secret", GENESYS_BASE_URL: "http://127.0.0.1:1" };
let n = 0;
function load(yaml: string, extraEnv: Record<string, string> = {}) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig(file, { ...env, ...extraEnv });
}

test("absurd values are refused at start, naming the field", () => {
  assert.throws(() => load("backfill: {chunkMinutes: 0.000001}\n"), /backfill\.chunkMinutes: expected a number from 1 to 10080/);
  assert.throws(() => load("backfill: {maxConversationHours: 10000000}\n"), /backfill\.maxConversationHours: expected a number from 1 to 168/);
  assert.throws(() => load("backfill: {concurrency: 1000}\n"), /backfill\.concurrency/);
  assert.throws(() => load("stats: {windowsMinutes: [5, 5, 15]}\n"), /stats\.windowsMinutes: each window once/);
  assert.throws(() => load("stats: {timeZone: Mars/Olympus}\n"), /stats\.timeZone: not an IANA time zone/);
  assert.throws(() => load("export: {flushSeconds: 0.0001}\n"), /export\.flushSeconds/);
  assert.throws(() => load("state: {maxUncommittedEvents: 1}\n"), /state\.maxUncommittedEvents/);
  assert.throws(() => load("delivery: {genesys: {request: {baseDelayMs: 9000, maxDelayMs: 10}}}\n"), /delivery\.genesys\.request\.baseDelayMs/);
});

test("listen addresses: the field is named, the port checked, IPv6 written in brackets", () => {
  assert.throws(() => load("server: {listen: '127.0.0.1:99999'}\n"), /server\.listen: port 99999 is out of range/);
  assert.throws(() => load("server: {listen: nowhere}\n"), /server\.listen: expected HOST:PORT/);
  assert.deepEqual(load("server: {listen: '[::1]:9464'}\n").server.listen, { host: "::1", port: 9464, text: "[::1]:9464" });
  assert.deepEqual(load("{}\n").server.listen, { host: "127.0.0.1", port: 9464, text: "127.0.0.1:9464" });
});

test("a base path cannot climb out, and URLs are http(s) without credentials", () => {
  assert.throws(() => load("server: {basePath: /../x}\n"), /server\.basePath: no "\." or "\.\." segments/);
  assert.equal(load("server: {basePath: /qm/}\n").server.basePath, "/qm");
  assert.throws(() => load("export: {sinks: [{type: webhook, url: 'file:///etc/passwd'}]}\n"), /export\.sinks\.0\.url: expected an http:\/\/ or https:\/\/ URL, got file:/);
  assert.throws(() => load("export: {sinks: [{type: victoriametrics, url: 'http://user:pass@127.0.0.1:8428'}]}\n"), /export\.sinks\.0\.url: a URL with credentials \(user:password@\) is refused: put them in headers/);
  assert.throws(() => load("{}\n", { PAGERDUTY_EVENTS_URL: "https://k:s@events.example/v2/enqueue" }), /alerts\.pagerduty\.eventsUrl: a URL with credentials/);
  assert.throws(() => load("{}\n", { GENESYS_BASE_URL: "http://a:b@127.0.0.1:1" }), /genesys\.baseUrl: a URL with credentials/);
});

test("one table of environment variables; every one of them lands where it says", () => {
  const values: Record<string, string> = {
    GENESYS_CLIENT_ID: "cid",
    GENESYS_CLIENT_SECRET: "csecret",
    GENESYS_ORG_DOMAIN: "mypurecloud.ie",
    GENESYS_BASE_URL: "http://127.0.0.1:2",
    QUEUE_MONITOR_TOKEN: "t".repeat(20),
    PAGERDUTY_ROUTING_KEY: "k".repeat(32),
    PAGERDUTY_EVENTS_URL: "http://127.0.0.1:3/v2/enqueue",
    TSD_ENDPOINT: "http://127.0.0.1:4/tsd",
  };
  assert.deepEqual(ENV_TABLE.map((b) => b.variable).sort(), Object.keys(values).sort(), "every variable is tested");
  const c = loadConfig(undefined, values);
  assert.equal(c.genesys.clientId, "cid");
  assert.equal(c.genesys.clientSecret, "csecret");
  assert.equal(c.genesys.orgDomain, "mypurecloud.ie");
  assert.equal(c.genesys.baseUrl, "http://127.0.0.1:2");
  assert.equal(c.server.token, "t".repeat(20));
  assert.equal(c.alerts.pagerduty.routingKey, "k".repeat(32));
  assert.equal(c.alerts.pagerduty.eventsUrl, "http://127.0.0.1:3/v2/enqueue");
  assert.deepEqual(c.export.sinks.map((s) => [s.type, s.url]), [["webhook", "http://127.0.0.1:4/tsd"]]);
});

test("one set of defaults: an empty file and the schema alone agree, and the code takes them from there", () => {
  const a = load("{}\n");
  const b = configSchema.parse({});
  assert.equal(a.backfill.chunkMinutes, 1440);
  assert.equal(a.backfill.concurrency, 8);
  assert.equal(a.genesys.rateLimit.requests, 300);
  assert.deepEqual(a.stats, b.stats);
  assert.deepEqual(a.backfill, b.backfill);
  assert.deepEqual(a.stream, b.stream);
  assert.deepEqual(a.state, b.state);
});
