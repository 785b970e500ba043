/**
 * The exporter's outbox bound: every flush it drops is counted on /metrics by sink and reason,
 * and said, once and then rate-limited while it goes on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { Exporter } from "../../../src/sinks/exporter.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { deliveryPolicy } from "../../../src/delivery/policy.js";
import { ManualClock } from "../../../src/util/clock.js";
import { fixtureSnapshots } from "../../helpers/export-fixture.js";
import { captureLog, ERROR } from "../../helpers/log-capture.js";

test("a full export outbox drops the oldest flushes: counted by sink and reason on /metrics, logged once then rate-limited", async () => {
  const db = new Database(":memory:");
  const clock = new ManualClock(Date.parse("2026-01-15T09:00:00Z"));
  const { log, lines } = captureLog();
  const exporter = new Exporter({
    config: { flushSeconds: 60, maxPendingFlushes: 2, sinks: [{ type: "victoriametrics", url: "http://127.0.0.1:9" }] },
    clock,
    log,
    db,
    snapshot: fixtureSnapshots,
    health: () => ({ connected: true, ready: true, queues: 2, channels: [], lastEventAgeSeconds: 0, counters: {}, http: { byStatus: {}, tooLarge: 4 } }),
    transport: new HttpTransport({ ...deliveryPolicy("sink"), request: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0, timeoutMs: 2000 } }),
  });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(60_000);
    times.push(clock.now());
    exporter.flush();
    await exporter.drained();
  }
  const [runner] = exporter.runners;
  assert.deepEqual([runner.dropped, runner.discarded.cap, exporter.outbox.pending("victoriametrics")], [3, 3, 2]);
  assert.deepEqual(exporter.outbox.rows("victoriametrics").map((r) => r.at), times.slice(3), "the newest are kept");
  const text = (await exporter.metrics()).body.toString("utf8");
  assert.match(text, /^queue_monitor_export_dropped_total\{sink="victoriametrics"\} 3$/m);
  assert.match(text, /^queue_monitor_export_discarded_total\{sink="victoriametrics",reason="cap"\} 3$/m);
  assert.match(text, /^queue_monitor_export_discarded_total\{sink="victoriametrics",reason="unbuildable"\} 0$/m);
  assert.match(text, /^queue_monitor_http_too_large_total\{destination="genesys"\} 4$/m);
  assert.match(text, /^queue_monitor_http_too_large_total\{destination="victoriametrics"\} 0$/m);
  const said = lines.filter((l) => l.level === ERROR && /outbox full/.test(l.msg));
  assert.equal(said.length, 1, "three drops, one line: the rest are counted, not repeated");
  assert.deepEqual([said[0].sink, said[0].reason, said[0].at], ["victoriametrics", "cap", new Date(times[0]).toISOString()]);
  await exporter.stop();
  db.close();
});
