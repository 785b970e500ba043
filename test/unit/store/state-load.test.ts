/**
 * What the store reads back is checked: rows that do not decode are skipped and said (naming the
 * file and the row) or stop the start; loading reads only the log it needs, through the indexes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { storedIdentity } from "../../../src/ingest/dedup.js";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import { LOAD_QUERIES, StateFileError, StateStore } from "../../../src/store/state-store.js";
import { ManualClock } from "../../../src/util/clock.js";

const dir = mkdtempSync(join(tmpdir(), "qm-store-unit-"));
const NOW = Date.parse("2026-05-04T15:00:00Z");
const ev = (queueId: string, conv: string, time: number): QueueEvent => ({ kind: "offered", queueId, mediaType: "voice", conversationId: conv, participantId: `p-${conv}`, time });

/** A state file with two real series (from the engine) checkpointed and two batches after it. */
function stateFile(name: string) {
  const file = join(dir, name);
  const engine = new Engine({ ...defaultEngineSettings }, new ManualClock(NOW));
  const store = new StateStore(file);
  const before = [ev("q1", "a", NOW - 5000), ev("q2", "b", NOW - 4000)];
  for (const e of before) engine.apply(e);
  store.commit({ events: before.map((event) => ({ event })), watermark: NOW - 6000, counters: { streamEvents: 2, duplicatesDropped: 0 } });
  engine.persistDirty((s) => store.checkpoint(s));
  const after1 = [ev("q1", "c", NOW - 3000), ev("q1", "d", NOW - 2500)];
  const after2 = [ev("q2", "e", NOW - 2000)];
  store.commit({ events: after1.map((event) => ({ event })), watermark: NOW - 3000, counters: { streamEvents: 4, duplicatesDropped: 0 } });
  store.commit({ events: after2.map((event) => ({ event })), watermark: NOW - 2000, counters: { streamEvents: 5, duplicatesDropped: 0 } });
  store.close();
  return { file, before, after1, after2, edit: (sql: string) => new Database(file).exec(sql).close() };
}

test("a series that does not decode is skipped and named; the others load", () => {
  const f = stateFile("series.sqlite");
  f.edit(`UPDATE series SET state = json_set(state, '$.minutes', 5) WHERE key = 'q1/voice'`);
  const store = new StateStore(f.file);
  const loaded = store.load(0);
  store.close();
  assert.deepEqual(loaded.series.map((s) => s.queueId), ["q2"]);
  assert.deepEqual(loaded.problems, [{ table: "series", row: "q1/voice", message: `state file ${f.file}: series q1/voice: not a series state (minutes is not a list); skipped (its figures restart empty)` }]);
  // What is loaded restores: the engine never sees the bad row ("st.minutes is not iterable").
  const engine = new Engine({ ...defaultEngineSettings }, new ManualClock(NOW));
  engine.restore(loaded.series);
  for (const e of loaded.replay) engine.apply(e);
  assert.deepEqual(Object.fromEntries(engine.snapshot().map((s) => [s.queueId, s.totals.offered])), { q1: 2, q2: 2 });
});

test("series rows that are not JSON, hold another series or a bad bucket are each named", () => {
  const f = stateFile("series2.sqlite");
  f.edit(`UPDATE series SET state = '{"queueId": "q1", ' WHERE key = 'q1/voice'; UPDATE series SET state = json_set(state, '$.queueId', 'q9') WHERE key = 'q2/voice';
          INSERT INTO series (key, state) SELECT 'q3/voice', json_set(json_set(state, '$.queueId', 'q3'), '$.today', json_array(1, 2, json_object('offered', 'many'))) FROM series WHERE key = 'q2/voice'`);
  const store = new StateStore(f.file);
  const { problems, series } = store.load(0);
  store.close();
  assert.equal(series.length, 0);
  // JSON.parse's own words vary with the Node version: matched loosely.
  const messages = problems.map((p) => p.message.replace(f.file, "F"));
  assert.equal(messages.length, 3);
  assert.match(messages[0], /^state file F: series q1\/voice: not JSON \(.*position.*\); skipped \(its figures restart empty\)$/);
  assert.deepEqual(messages.slice(1), [
    "state file F: series q2/voice: not a series state (holds q9/voice); skipped (its figures restart empty)",
    "state file F: series q3/voice: not a series state (today: offered is not a number); skipped (its figures restart empty)",
  ]);
});

test("a log row or an event in one that does not decode is skipped and counted; the rest replays", () => {
  const f = stateFile("log.sqlite");
  // seq 2 (after1) is not JSON; in seq 3 (after2) the event's time is text.
  f.edit(`UPDATE log SET events = '[["x"' WHERE seq = 2; UPDATE log SET events = json_insert(events, '$[#]', json_array(NULL, 'offered', 'q2', 'voice', 'f', 'p-f', 'soon', NULL)) WHERE seq = 3`);
  const store = new StateStore(f.file);
  const loaded = store.load(0);
  store.close();
  assert.deepEqual(loaded.replay, f.after2, "the good event of row 3 replays");
  assert.deepEqual(loaded.seen, [...f.before, ...f.after2].map((e) => [storedIdentity(e), e.time]));
  assert.deepEqual(loaded.problems.map((p) => [p.table, p.row, p.lost]), [["log", "2", 2], ["log", "3", 1]]);
  const [m2, m3] = loaded.problems.map((p) => p.message.replace(f.file, "F"));
  assert.match(m2, /^state file F: log row 2: not JSON \(.*\); its 2 events skipped \(missing from the figures; a backfill may count them again\)$/);
  assert.equal(m3, "state file F: log row 3: event 1: time is not a number; 1 of its 2 events skipped (missing from the figures; a backfill may count them again)");
});

test("counters and startedAt that do not decode are skipped; a bad watermark or checkpoint position stops the start", () => {
  const f = stateFile("meta.sqlite");
  f.edit(`UPDATE counters SET value = 'lots' WHERE name = 'duplicatesDropped'; INSERT INTO meta VALUES ('startedAt', 'yesterday')`);
  let store = new StateStore(f.file);
  const loaded = store.load(0);
  store.close();
  assert.deepEqual(loaded.counters, { streamEvents: 5 });
  assert.equal(loaded.startedAt, null);
  assert.deepEqual(loaded.problems.map((p) => p.message.replace(f.file, "F")), [
    `state file F: meta startedAt: not a time ("yesterday"); skipped (the start time is unknown)`,
    `state file F: counters duplicatesDropped: not a number ("lots"); skipped (the counter starts again from 0)`,
  ]);
  f.edit(`UPDATE meta SET value = 'abc' WHERE key = 'watermark'`);
  store = new StateStore(f.file);
  assert.throws(() => store.load(0), (e: Error) => e instanceof StateFileError && e.kind === "corrupt" && e.message === `state file ${f.file}: meta watermark: not a time ("abc"); refusing to start: it decides what is backfilled`);
  store.close();
  f.edit(`UPDATE meta SET value = '${NOW}' WHERE key = 'watermark'; UPDATE meta SET value = '1.5' WHERE key = 'checkpoint_seq'`);
  store = new StateStore(f.file);
  assert.throws(() => store.stored(), /state file .*: meta checkpoint_seq: not a log position \("1\.5"\); refusing to start: it decides which logged events are replayed/);
  store.close();
});

test("a table gone while running is named with the file and the operation", () => {
  const file = join(dir, "gone.sqlite");
  const store = new StateStore(file);
  store.database.exec("DROP TABLE counters");
  assert.throws(() => store.commit({ events: [{ event: ev("q1", "a", NOW) }], watermark: NOW, counters: { streamEvents: 1 } }), (e: Error) => e.message === `state file ${file}: commit of 1 events (tables log, meta, counters): SQLITE_ERROR: no such table: counters`);
  assert.throws(() => store.load(0), (e: Error) => e.message === `state file ${file}: table counters: SQLITE_ERROR: no such table: counters`);
  store.close();
});

test("loading uses the indexes: the primary key after the checkpoint, log_newest behind it", () => {
  const store = new StateStore(join(dir, "plan.sqlite"), true);
  const plan = (sql: string) => (store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.match(/\?/g) ?? []).map(() => 0)) as { detail: string }[]).map((r) => r.detail);
  assert.deepEqual(plan(LOAD_QUERIES.afterCheckpoint), ["SEARCH log USING INTEGER PRIMARY KEY (rowid>?)"]);
  assert.deepEqual(plan(LOAD_QUERIES.identitiesBehind), ["SEARCH log USING COVERING INDEX log_newest (newest>?)"]);
  assert.deepEqual(plan(LOAD_QUERIES.row), ["SEARCH log USING INTEGER PRIMARY KEY (rowid=?)"]);
  assert.deepEqual(plan(LOAD_QUERIES.firstSeq), ["SEARCH log"]);
  assert.deepEqual(plan(LOAD_QUERIES.scanBehind), ["SEARCH log USING INTEGER PRIMARY KEY (rowid<?)"]);
  // The query this replaces read every row: `seq > ? OR newest >= ?` is a full scan.
  assert.deepEqual(plan("SELECT seq, newest, events FROM log WHERE seq > ? OR newest >= ? ORDER BY seq"), ["SCAN log"]);
  store.close();
});

test("recordEvents: rows older than seenSince are never read (a damaged one is not even noticed)", () => {
  const file = join(dir, "audit.sqlite");
  const store = new StateStore(file, true);
  const day: QueueEvent[][] = [];
  for (let b = 0; b < 50; b++) day.push([0, 1, 2].map((i) => ev("q1", `c${b}-${i}`, NOW - 3_600_000 + b * 60_000 + i)));
  for (const events of day.slice(0, 40)) store.commit({ events: events.map((event) => ({ event })), watermark: null, counters: {} });
  store.checkpoint([]);
  for (const events of day.slice(40)) store.commit({ events: events.map((event) => ({ event })), watermark: NOW - 600_000, counters: {} });
  // The caller reads the watermark first and asks for identities from its horizon on.
  const { watermark } = store.stored();
  assert.equal(watermark, NOW - 600_000);
  const horizon = watermark! - 15 * 60_000;
  store.database.exec("UPDATE log SET events = 'damaged' WHERE seq = 1");
  const loaded = store.load(horizon);
  const all = day.flat();
  assert.deepEqual(loaded.replay, day.slice(40).flat());
  assert.deepEqual(loaded.seen, all.filter((e) => e.time >= horizon).map((e) => [storedIdentity(e), e.time]));
  assert.deepEqual(loaded.problems, [], "row 1 lies before the horizon: not read");
  assert.deepEqual(store.load(0).problems.map((p) => p.row), ["1"], "asked for everything, it is read (and found damaged)");
  store.close();
});
