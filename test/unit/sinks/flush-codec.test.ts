/**
 * The export outbox's codec against rows written by the code before outboxes had codecs
 * (test/fixtures/state/old-outbox.sqlite): they are read, delivered as they were stored, and the
 * dead letters kept; new rows in the same file read back too.
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
import { Outbox } from "../../../src/delivery/outbox.js";
import { DeliveryRunner } from "../../../src/delivery/runner.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { flushCodec } from "../../../src/sinks/flush-codec.js";
import { buildFlush, FrameFlush, type Flush } from "../../../src/sinks/samples.js";
import { encodeImportText, victoriaMetricsSink } from "../../../src/sinks/victoriametrics/encode.js";
import { silentLogger } from "../../../src/util/log.js";
import { FIXTURE_AT, fixtureFlush, fixtureSnapshots } from "../../helpers/export-fixture.js";

const OLD = fileURLToPath(new URL("../../../../test/fixtures/state/old-outbox.sqlite", import.meta.url));

function oldStateFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "qm-old-state-")), "state.sqlite");
  copyFileSync(OLD, file);
  return file;
}

/** Families added to the service's own samples after the fixture's rows were written: not in them. */
const ADDED_SINCE = /^queue_monitor_(state_|loss_(un)?recovered|analytics_lag|settle_horizon|backfill_pages)/;
/** The fixture's flush as the code that wrote the old rows built it (and its snapshots without staffing and predictions: fixtureSnapshots(false)). */
function asStored(f: Flush): Flush {
  const keep = (x: { family: string }) => !ADDED_SINCE.test(x.family);
  return f instanceof FrameFlush ? new FrameFlush(f.at, f.frame, f.rest.filter(keep)) : { at: f.at, samples: f.samples.filter(keep) };
}

const plain = (f: Flush) => ({ at: f.at, samples: f.samples.map((s) => ({ family: s.family, name: s.name, labels: { ...s.labels }, value: s.value })) });

test("export rows written before codecs (versions 1 and 2) are read, pending counts and dead letters intact", () => {
  const db = new Database(oldStateFile());
  const ob = new Outbox(db, { table: "export", codec: flushCodec, destinations: ["victoriametrics", "influxdb"], maxPending: 100 });
  assert.deepEqual([ob.pending("victoriametrics"), ob.pending("influxdb"), ob.removedSinks], [3, 1, []]);
  const rows = ob.rows("victoriametrics");
  assert.ok(rows.every((r) => r.error === undefined), JSON.stringify(rows.map((r) => r.error)));
  assert.deepEqual(plain(rows[0].item!), plain(asStored(fixtureFlush(false))), "version 1: the plain flush as stored");
  const frame = buildFlush(FIXTURE_AT + 60_000, { snapshots: fixtureSnapshots(false) });
  assert.ok(rows[1].item instanceof FrameFlush, "version 2 comes back as a frame");
  assert.deepEqual(plain(rows[1].item), plain(frame));
  assert.equal(encodeImportText(rows[2].item!), encodeImportText(buildFlush(FIXTURE_AT + 120_000, { snapshots: fixtureSnapshots(false) })));
  assert.deepEqual(rows.map((r) => r.at), [FIXTURE_AT, FIXTURE_AT + 60_000, FIXTURE_AT + 120_000]);
  assert.deepEqual(db.prepare("SELECT sink, at, status, message FROM export_dead_letters").all(), [{ sink: "influxdb", at: FIXTURE_AT, status: 400, message: "partial write: field type conflict" }]);
  // A row written now sits beside the old ones and reads back.
  const { seq } = ob.add(frame, ["influxdb"]);
  assert.equal(ob.newest("influxdb")!.seq, seq);
  assert.deepEqual(plain(ob.newest("influxdb")!.item!), plain(frame));
  db.close();
});

test("old export rows are delivered as they were stored, oldest first", async (t) => {
  const got: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => (got.push(body), res.writeHead(204).end()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => server.close(r)));
  const db = new Database(oldStateFile());
  const ob = new Outbox(db, { table: "export", codec: flushCodec, destinations: ["victoriametrics"], maxPending: 100 });
  assert.deepEqual(ob.removedSinks, ["influxdb"], "a sink no longer configured: its rows go");
  const runner = new DeliveryRunner(victoriaMetricsSink("victoriametrics", { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }), ob, new HttpTransport({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0, timeoutMs: 5000 }), silentLogger, { outage: { baseMs: 10, capMs: 10 } });
  await runner.drain(true);
  assert.deepEqual([runner.sent, runner.deadLetters, ob.pending("victoriametrics")], [3, 0, 0]);
  assert.deepEqual(got, [asStored(fixtureFlush(false)), buildFlush(FIXTURE_AT + 60_000, { snapshots: fixtureSnapshots(false) }), buildFlush(FIXTURE_AT + 120_000, { snapshots: fixtureSnapshots(false) })].map(encodeImportText));
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM export_flushes").get() as { n: number }).n, 0, "delivered rows leave no flush behind");
  db.close();
});

test("the flush codec refuses what is not a flush, naming what is wrong", () => {
  assert.throws(() => flushCodec.decode(Buffer.from("plain text")), /incorrect header|unknown compression/i);
  assert.throws(() => flushCodec.decode(gzipSync(JSON.stringify({ samples: [] }))), /no time/);
  assert.throws(() => flushCodec.decode(gzipSync(JSON.stringify({ at: 1, samples: [["m", "m", {}, "x"]] }))), /samples\[0\] is not \[family, name, labels, value\]/);
  assert.throws(() => flushCodec.decode(gzipSync(JSON.stringify({ v: 3, at: 1 }))), /version 3 is newer/);
  assert.throws(() => flushCodec.decode(gzipSync(JSON.stringify({ v: 2, at: 1, slots: [["m", "m", null]], series: [{}], values: "", rest: [] }))), /holds 0 value bytes for 1 series x 1 slots/);
});
