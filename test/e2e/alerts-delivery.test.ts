/**
 * The Alerter against a local PagerDuty stand-in (real HTTP on loopback) with a manual clock:
 * transitions and their events land in the state file together; a 400 is dead-lettered with
 * PagerDuty's `errors` logged and the next event still goes; events of one key keep their order;
 * the alert outbox and the export outbox share the file without discarding each other's rows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import { Alerter } from "../../src/alerts/alerter.js";
import { alertsSchema } from "../../src/alerts/config.js";
import type { SeriesSnapshot } from "../../src/aggregate/series.js";
import { Outbox } from "../../src/delivery/outbox.js";
import { eventCodec } from "../../src/alerts/event-codec.js";
import { flushCodec } from "../../src/sinks/flush-codec.js";
import { HttpTransport } from "../../src/delivery/transport.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/log.js";
import { waitUntil } from "../helpers/emulator.js";

const KEY = "0123456789abcdef0123456789abcdef";

function series(queueId: string, p90: number | null, answered: number): SeriesSnapshot {
  const f = { offered: answered, answered, abandoned: 0, shortAbandoned: 0, flowout: 0, overSla: 0, serviceLevel: 1, asaSeconds: 1, abandonRate: 0, answeredWaitSeconds: { p50: null, p90, p95: null, p99: null, max: null }, abandonedWaitSeconds: { p50: null, p90: null, p95: null, p99: null, max: null } };
  const iv = { ...f, start: "", end: "" };
  return { queueId, queueName: queueId.toUpperCase(), mediaType: "voice", windows: { "15m": f }, intervals: { current: iv, previous: null, today: iv }, now: { waiting: 0, interacting: 0, longestWaitingSeconds: null } } as unknown as SeriesSnapshot;
}

async function receiver(answer: (body: any, n: number) => number) {
  const got: any[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const body = JSON.parse(text);
      const status = answer(body, got.length);
      if (status === 202) got.push(body);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(status === 400 ? { status: "invalid event", message: "Event object is invalid", errors: ["'payload.summary' is required"] } : { status: "success" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v2/enqueue`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test("transitions persist with their events; a 400 is dead-lettered with PagerDuty's errors and the next event still goes, in order", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-alerts-del-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let refuseFirst = true;
  const rx = await receiver(() => {
    if (refuseFirst) {
      refuseFirst = false;
      return 400;
    }
    return 202;
  });
  t.after(() => rx.close());
  const lines: string[] = [];
  const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const config = alertsSchema.parse({ pagerduty: { routingKey: KEY, eventsUrl: rx.url, retryMaxSeconds: 1 } });
  const clock = new ManualClock(Date.parse("2026-01-05T09:00:00Z"));
  const file = join(dir, "state.sqlite");
  let db = new Database(file);
  let figures = [series("a", 90, 20), series("b", 20, 20)];
  const transport = new HttpTransport({ maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1000, timeoutMs: 2000 });
  const make = () => new Alerter({ config, clock, log, db, snapshot: () => figures, gate: () => true, transport });
  let alerter = make();
  const tick = (seconds: number) => {
    clock.advance(seconds * 1000);
    return alerter.evaluate().map((e) => `${e.dedup_key.split("/")[2]} ${e.event_action}`);
  };

  // Queue a breaches: pending, then (default hold-down 120 s) firing; b stays calm.
  assert.deepEqual(tick(0), []);
  assert.deepEqual(alerter.alertStates().map((a) => [a.queueId, a.state]), [["a", "pending"]]);
  assert.deepEqual(tick(130), ["a trigger"]);
  await waitUntil(() => alerter.outbox.pending("pagerduty") === 0, 5000, "first event dead-lettered");
  assert.equal(rx.got.length, 0, "the refused trigger was not retried");
  const refusal = lines.map((l) => JSON.parse(l)).find((l) => l.status === 400);
  assert.deepEqual(refusal?.errors, ["'payload.summary' is required"], "PagerDuty's errors are logged");
  assert.equal(alerter.runner!.deadLetters, 1);

  // A restart (new connection, new Alerter) keeps the firing state: no second trigger.
  await alerter.stop();
  db.close();
  db = new Database(file);
  alerter = make();
  assert.deepEqual(alerter.alertStates().map((x) => [x.queueId, x.state]), [["a", "firing"]]);
  assert.deepEqual(tick(10), []);
  figures = [series("a", 30, 20), series("b", 20, 20)];
  assert.deepEqual(tick(10), [], "clear hold-down starts");
  assert.deepEqual(tick(300), ["a resolve"]);
  figures = [series("a", 95, 20), series("b", 20, 20)];
  tick(0);
  assert.deepEqual(tick(120), ["a trigger"]);
  await waitUntil(() => rx.got.length === 2, 5000, "resolve and trigger delivered");
  assert.deepEqual(rx.got.map((e) => `${e.routing_key === KEY} ${e.event_action}`), ["true resolve", "true trigger"], "in order, with the routing key added at send time");
  const stored = db.prepare("SELECT COUNT(*) AS n FROM alert_states").get() as { n: number };
  assert.equal(stored.n, 1, "only the non-inactive alert is stored");
  assert.ok(!JSON.stringify(db.prepare("SELECT * FROM alert_flushes").all()).includes(KEY), "the routing key is never stored");
  await alerter.stop();
  db.close();
});

test("the alert outbox and the export outbox share the state file without discarding each other's rows", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-alerts-ob-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, "s.sqlite"));
  const exportOutbox = () => new Outbox(db, { table: "export", codec: flushCodec, destinations: ["victoriametrics"], maxPending: 10 });
  const alertOutbox = () => new Outbox(db, { table: "alert", codec: eventCodec, destinations: ["pagerduty"], maxPending: 10 });
  exportOutbox().add({ at: 1, samples: [] }, ["victoriametrics"]);
  alertOutbox().add({ at: 2, event: { event_action: "resolve", dedup_key: "k" } }, ["pagerduty"]);
  // Re-opened in either order, each still holds its own row.
  const ex2 = exportOutbox();
  const al2 = alertOutbox();
  assert.deepEqual([ex2.pending("victoriametrics"), al2.pending("pagerduty"), ex2.removedSinks.length, al2.removedSinks.length], [1, 1, 0, 0]);
  assert.equal(ex2.oldest("victoriametrics")?.item?.at, 1);
  assert.deepEqual(al2.oldest("pagerduty")?.item, { at: 2, event: { event_action: "resolve", dedup_key: "k" } });
  db.close();
  void silentLogger;
});

test("a rule removed from the configuration resolves its open alert; a queue that left the selection clears", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-alerts-rm-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, "s.sqlite"));
  const clock = new ManualClock(Date.parse("2026-01-05T09:00:00Z"));
  const rule = (name: string) => ({ name, figure: "answeredWaitP90", window: "15m", threshold: 60, forSeconds: 0, clearForSeconds: 0 });
  let figures = [series("a", 90, 20), series("b", 90, 20)];
  const one = new Alerter({ config: alertsSchema.parse({ rules: [rule("old"), rule("kept")] }), clock, log: silentLogger, db, snapshot: () => figures, gate: () => true });
  assert.equal(one.evaluate().filter((e) => e.event_action === "trigger").length, 4);
  const two = new Alerter({ config: alertsSchema.parse({ rules: [rule("kept")] }), clock, log: silentLogger, db, snapshot: () => figures, gate: () => true });
  assert.deepEqual(two.alertStates().map((a) => `${a.rule} ${a.queueId}`), ["kept a", "kept b"], "the removed rule's alerts are not shown");
  figures = [series("a", 90, 20)]; // b left the selection
  clock.advance(10_000);
  assert.deepEqual(
    two.evaluate().map((e) => `${e.dedup_key} ${e.event_action}`).sort(),
    ["queue-monitor/kept/b/voice resolve", "queue-monitor/old/a/voice resolve", "queue-monitor/old/b/voice resolve"],
  );
  assert.deepEqual(two.alertStates().map((a) => `${a.rule} ${a.queueId} ${a.state}`), ["kept a firing", "kept b resolved"]);
  db.close();
});
