import { test } from "node:test";
import assert from "node:assert/strict";
import { checkExport, storedFlushes, type ExportedSeries } from "../../../../bench/soak/export-check.js";

const T = Date.parse("2026-05-04T09:00:00Z");
const flushes = [1, 2, 3, 4, 5].map((i) => ({ seq: i, at: T + i * 30_000 }));
const at = flushes.map((f) => f.at);
const series = (name: string, labels: Record<string, string>, ts: number[], values: number[] = ts.map((_, i) => i)): ExportedSeries => ({ metric: { __name__: name, ...labels }, timestamps: ts, values });
const offered = (ts: number[], values?: number[]) => series("genesys_queue_offered_total", { queue_id: "q1", media_type: "voice" }, ts, values);
const always = () => ["queue_monitor_queues", "queue_monitor_connected", "queue_monitor_ready", "queue_monitor_stream_events_total", "queue_monitor_reconnects_total"].map((n) => series(n, {}, at));

test("the flushes of a log, by sequence, whatever else the lines say", () => {
  const log = [
    JSON.stringify({ level: 30, msg: "export flush stored", seq: 2, atMs: 2000, at: "x" }),
    '{"level":30,"msg":"export flush stored","seq":3,"atM', // cut by a kill -9
    JSON.stringify({ level: 30, msg: "monitor running" }),
    JSON.stringify({ level: 30, msg: "export flush stored", seq: 1, atMs: 1000 }),
  ].join("\n");
  assert.deepEqual(storedFlushes(log), [
    { seq: 1, at: 1000 },
    { seq: 2, at: 2000 },
  ]);
});

test("every flush once at its timestamp: nothing to say", () => {
  const r = checkExport(flushes, [...always(), offered(at.slice(1))], new Map([["q1/voice/offered", 3]]));
  assert.deepEqual(r.differences, []);
  assert.equal(r.samples, 5 * 5 + 4);
});

test("a resent flush, a stray timestamp, a missing flush and a counter that went back are each named", () => {
  const s = always();
  s[0] = series("queue_monitor_queues", {}, [at[0], at[1], at[3], at[4]]); // flush 3 never arrived
  const r = checkExport(flushes, [...s, offered([at[0], at[1], at[1], at[2] + 1, at[3], at[4]], [1, 5, 5, 6, 4, 7])], new Map([["q1/voice/offered", 8]]));
  const byField = new Map(r.differences.map((d) => [`${d.check}/${d.field}`, d]));
  assert.equal(byField.get("vm-exactly-once/samples per flush")?.got, 2);
  assert.match(String(byField.get("vm-exactly-once/samples per flush")?.detail), /identical: a flush resent/);
  assert.equal(byField.get("vm-exactly-once/timestamps of no stored flush")?.got, 1);
  const missing = r.differences.filter((d) => d.field === "stored flushes missing");
  assert.deepEqual(
    missing.map((d) => [d.slice, d.expected, d.got]),
    [
      ["queue_monitor_queues{}", 5, 4],
      ['genesys_queue_offered_total{media_type="voice",queue_id="q1"}', 5, 4],
    ],
  );
  assert.match(String(byField.get("vm-counters-monotonic/decreases")?.detail), /6 -> 4/);
  assert.deepEqual([byField.get("vm-final-values/value at the last flush 2026-05-04T09:02:30.000Z")?.expected, byField.get("vm-final-values/value at the last flush 2026-05-04T09:02:30.000Z")?.got], [8, 7]);
  assert.equal(r.differences.length, 6);
});

test("a flush labelled with the queue id for its name (made before the name was known) is named, and the gap it leaves", () => {
  const named = series("genesys_queue_offered_total", { queue_id: "q1", queue_name: "Sales", media_type: "voice" }, [at[0], at[1], at[3], at[4]]);
  const byId = series("genesys_queue_offered_total", { queue_id: "q1", queue_name: "q1", media_type: "voice" }, [at[2]]);
  const r = checkExport(flushes, [...always(), named, byId]);
  assert.deepEqual(
    r.differences.map((d) => [d.field, d.got]),
    [
      ["stored flushes missing", 4],
      ["queue_name", "q1"],
    ],
  );
});

test("a series no flush reached is reported once, not per sample", () => {
  const r = checkExport(flushes, always().slice(1));
  assert.deepEqual(
    r.differences.map((d) => [d.slice, d.got]),
    [["queue_monitor_queues", "absent"]],
  );
});
