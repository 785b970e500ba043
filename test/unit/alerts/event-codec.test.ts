/**
 * PagerDuty events in the alert outbox: rows written before events had a codec of their own (a
 * one-sample metric flush, test/fixtures/state/old-outbox.sqlite) are read and delivered as the
 * events they were; new rows are plain events; a damaged row is refused, never sent as garbage.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { defaultRule } from "../../../src/alerts/config.js";
import type { AlertState } from "../../../src/alerts/evaluate.js";
import { eventCodec } from "../../../src/alerts/event-codec.js";
import { encodeResolve, encodeTrigger, eventRequest, pagerDutySink } from "../../../src/alerts/pagerduty.js";
import { Outbox } from "../../../src/delivery/outbox.js";
import { DeliveryRunner } from "../../../src/delivery/runner.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { PagerDutyReceiver } from "../../../src/emulator/pagerduty.js";
import { silentLogger } from "../../../src/util/log.js";

const OLD = fileURLToPath(new URL("../../../../test/fixtures/state/old-outbox.sqlite", import.meta.url));
const AT = Date.parse("2026-01-05T09:27:10.000Z");
const KEY = "0123456789abcdef0123456789abcdef";
// The alert the generator stored (the golden files' alert).
const state: AlertState = { dedupKey: "queue-monitor/p90-answered-wait/0f1e2d3c/voice", rule: "p90-answered-wait", queueId: "0f1e2d3c", queueName: "Support", mediaType: "voice", state: "firing", since: AT, value: 87.4, samples: 31, clearSince: null };

function oldAlertOutbox() {
  const file = join(mkdtempSync(join(tmpdir(), "qm-old-alerts-")), "state.sqlite");
  copyFileSync(OLD, file);
  const db = new Database(file);
  return { db, outbox: new Outbox(db, { table: "alert", codec: eventCodec, destinations: ["pagerduty"], maxPending: 100 }) };
}

test("alert rows written as one-sample flushes are read as the events they were; the dead letter stays", () => {
  const { db, outbox } = oldAlertOutbox();
  assert.equal(outbox.pending("pagerduty"), 2);
  assert.deepEqual(
    outbox.rows("pagerduty").map((r) => r.item),
    [
      { at: AT + 600_000, event: encodeResolve(state) },
      { at: AT + 900_000, event: encodeTrigger({ ...state, value: 95 }, defaultRule, AT + 900_000, "queue-monitor") },
    ],
  );
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM alert_dead_letters WHERE status = 400").get() as { n: number }).n, 1);
  // The export rows of the same file are not this outbox's business.
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM export_pending").get() as { n: number }).n, 4);
  // New rows are events, not flushes: no gzip'd sample, and the routing key never stored.
  outbox.add({ at: AT + 1_000_000, event: encodeResolve(state) }, ["pagerduty"]);
  const raw = (db.prepare("SELECT samples FROM alert_flushes ORDER BY seq DESC LIMIT 1").get() as { samples: Buffer }).samples.toString("utf8");
  assert.deepEqual(JSON.parse(raw), { v: 2, at: AT + 1_000_000, event: { event_action: "resolve", dedup_key: state.dedupKey } });
  db.close();
});

test("old alert rows are delivered to a PagerDuty receiver byte for byte as the old code would have sent them", async (t) => {
  const rx = new PagerDutyReceiver();
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      bodies.push(text);
      const r = rx.enqueue(JSON.parse(text));
      res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => server.close(r)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`;
  const { db, outbox } = oldAlertOutbox();
  const runner = new DeliveryRunner(pagerDutySink(KEY, url), outbox, new HttpTransport({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0, timeoutMs: 5000 }), silentLogger, { outage: { baseMs: 10, capMs: 10 }, noun: "event" });
  await runner.drain(true);
  assert.deepEqual([runner.sent, runner.deadLetters, outbox.pending("pagerduty")], [2, 0, 0]);
  assert.deepEqual(bodies, [eventRequest(encodeResolve(state), KEY, url).body, eventRequest(encodeTrigger({ ...state, value: 95 }, defaultRule, AT + 900_000, "queue-monitor"), KEY, url).body]);
  assert.deepEqual(rx.accepted.map((e) => e.event_action), ["resolve", "trigger"]);
  db.close();
});

test("a stored event that is not one we could have written is refused with the reason", () => {
  const v1 = (labels: Record<string, string>, n = 1) => gzipSync(JSON.stringify({ at: 1, samples: Array.from({ length: n }, () => ["pagerduty", "k", labels, 0]) }));
  assert.throws(() => eventCodec.decode(v1({ event: JSON.stringify({ event_action: "resolve", dedup_key: "k" }) }, 2)), /exactly one event sample/);
  assert.throws(() => eventCodec.decode(v1({ other: "x" })), /exactly one event sample/);
  assert.throws(() => eventCodec.decode(v1({ event: JSON.stringify({ event_action: "acknowledge", dedup_key: "k" }) })), /neither trigger nor resolve/);
  assert.throws(() => eventCodec.decode(Buffer.from(JSON.stringify({ v: 2, at: 1, event: { event_action: "trigger", dedup_key: "k" } }))), /trigger without payload.summary/);
  assert.throws(() => eventCodec.decode(Buffer.from(JSON.stringify({ v: 9, at: 1, event: {} }))), /unknown stored event version 9/);
  assert.throws(() => eventCodec.decode(Buffer.from("garbage")), SyntaxError);
  const e = { at: 5, event: encodeResolve(state) };
  assert.deepEqual(eventCodec.decode(eventCodec.encode(e)), e);
});
