/**
 * The state file's log: one row per batch, read back event by event (replay, identities, the
 * `events` view), pruned by time behind the checkpoint, and schema-3 files carried over.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { storedIdentity } from "../../../src/ingest/dedup.js";
import { StateStore } from "../../../src/store/state-store.js";

const dir = mkdtempSync(join(tmpdir(), "qm-store-"));
const ev = (conv: string, kind: QueueEvent["kind"], time: number, waitMs?: number): QueueEvent => ({
  kind,
  queueId: "q1",
  mediaType: "chat",
  conversationId: conv,
  participantId: `p-${conv}`,
  time,
  ...(waitMs === undefined ? {} : { waitMs }),
});
const batch = (events: QueueEvent[]) => events.map((e) => ({ id: storedIdentity(e), event: e }));

test("batches: replay after the checkpoint in order, identities by time, counters as last written", () => {
  const file = join(dir, "a.sqlite");
  const store = new StateStore(file);
  const first = [ev("a", "offered", 1000), ev("a", "answered", 4000, 3000), ev("b", "offered", 2000)];
  store.commit({ events: batch(first), watermark: 500, counters: { streamEvents: 3, duplicatesDropped: 0 } });
  store.checkpoint([]);
  const second = [ev("b", "abandoned", 9000, 7000), ev("c", "offered", 8000)];
  // Events under their own identity carry none: the store derives it.
  store.commit({ events: second.map((event) => ({ event })), watermark: 7000, counters: { streamEvents: 5, duplicatesDropped: 0 } });
  store.commit({ events: [], watermark: 7500, counters: { streamEvents: 5, duplicatesDropped: 2 } });
  store.close();

  const again = new StateStore(file);
  const loaded = again.load(0);
  assert.deepEqual(loaded.replay, second, "events after the checkpoint, in order, waits kept");
  assert.deepEqual(loaded.seen, [...first, ...second].map((e) => [storedIdentity(e), e.time]));
  assert.deepEqual(loaded.counters, { streamEvents: 5, duplicatesDropped: 2 });
  assert.equal(loaded.watermark, 7500);
  assert.deepEqual(
    again.load(3000).seen.map(([, t]) => t),
    [4000, 9000, 8000],
    "identities older than asked for are not read back",
  );
  assert.equal(loaded.seenFrom, 0, "nothing pruned yet: every identity from where it was asked");
  // Pruning drops checkpointed rows whose every event is older; never the log after the checkpoint.
  assert.equal(again.pruneSeen(20_000), 3);
  assert.deepEqual(again.load(0).replay, second);
  assert.equal(again.load(0).seenFrom, 20_000, "identities before the prune may be gone: a load says from where it holds them");
  again.checkpoint([]);
  assert.equal(again.pruneSeen(8500), 0, "a row with one newer event is kept whole");
  assert.equal(again.pruneSeen(9001), 2);
  assert.equal(again.load(30_000).seenFrom, 30_000);
  assert.equal(again.load(0).seenFrom, 20_000, "a later prune that removed rows never moves it back");
  assert.deepEqual(again.load(0), { ...again.load(0), replay: [], seen: [] });
  again.close();
});

test("recordEvents: the log is kept whole and reads event by event through the events view", () => {
  const file = join(dir, "b.sqlite");
  const store = new StateStore(file, true);
  const events = [ev("a", "offered", 1000), ev("a", "flowout", 4000, 3000), ev("b", "offered", 2000)];
  store.commit({ events: events.slice(0, 2).map((event) => ({ event })), watermark: null, counters: {} });
  store.commit({ events: [...batch(events.slice(2)), { id: "custom/identity", event: events[2] }], watermark: null, counters: {} });
  store.checkpoint([]);
  assert.equal(store.pruneSeen(10_000), 0);
  assert.deepEqual(store.load(1500).seen, [[storedIdentity(events[1]), 4000], [storedIdentity(events[2]), 2000], ["custom/identity", 2000]]);
  const rows = store.database.prepare("SELECT id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms FROM events ORDER BY batch, position").all();
  assert.deepEqual(
    rows,
    [...events, events[2]].map((e, i) => ({ id: i === 3 ? "custom/identity" : storedIdentity(e), kind: e.kind, queue_id: e.queueId, media_type: e.mediaType, conversation_id: e.conversationId, participant_id: e.participantId, time: e.time, wait_ms: e.waitMs ?? null })),
  );
  store.close();
});

test("a schema-3 state file is carried over: replay, identities, checkpoint position, counters", () => {
  const file = join(dir, "v3.sqlite");
  const db = new Database(file);
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE series (key TEXT PRIMARY KEY, state TEXT NOT NULL);
    CREATE TABLE seen (time INTEGER NOT NULL, id TEXT NOT NULL);
    CREATE INDEX seen_time ON seen (time);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, kind TEXT NOT NULL, queue_id TEXT NOT NULL,
      media_type TEXT NOT NULL, conversation_id TEXT NOT NULL, participant_id TEXT NOT NULL,
      time INTEGER NOT NULL, wait_ms INTEGER
    );
  `);
  // Logged: a and b's offers (checkpointed at seq 2), then b's end and c's offer (after it).
  // Seen only: an older visit whose log rows were trimmed by an earlier checkpoint.
  const old = ev("z", "answered", 500, 100);
  const logged = [ev("a", "offered", 1000), ev("b", "offered", 2000), ev("b", "abandoned", 9000, 7000), ev("c", "offered", 8000)];
  const insertEvent = db.prepare("INSERT INTO events (id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const e of logged) insertEvent.run(storedIdentity(e), e.kind, e.queueId, e.mediaType, e.conversationId, e.participantId, e.time, e.waitMs ?? null);
  for (const e of [old, ...logged]) db.prepare("INSERT INTO seen (id, time) VALUES (?, ?)").run(storedIdentity(e), e.time);
  // A series as schema 3 wrote it (the shape has not changed since); the store checks what it reads back.
  const series = { queueId: "q1", mediaType: "chat", totals: { offered: 2, answered: 0, abandoned: 0, flowout: 0 }, firstMinute: 0, minutes: [], intervals: [], today: null, open: [["a/p-a", 1000]], observation: null, dropped: { window: 0, interval: 0, today: 0 } };
  db.prepare("INSERT INTO series (key, state) VALUES (?, ?)").run("q1/chat", JSON.stringify(series));
  for (const [k, v] of [["schema", "3"], ["checkpoint_seq", "2"], ["watermark", "8500"], ["startedAt", "100"]]) db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(k, v);
  db.prepare("INSERT INTO counters (name, value) VALUES ('streamEvents', 4)").run();
  db.close();

  const store = new StateStore(file);
  const loaded = store.load(0);
  assert.deepEqual(loaded.replay, logged.slice(2), "only what followed the checkpoint is replayed");
  assert.deepEqual(loaded.seen.sort(), [old, ...logged].map((e): [string, number] => [storedIdentity(e), e.time]).sort());
  assert.deepEqual(loaded.series, [series]);
  assert.equal(loaded.watermark, 8500);
  assert.equal(loaded.startedAt, 100);
  assert.deepEqual(loaded.counters, { streamEvents: 4 });
  assert.equal(loaded.meta.schema, "4");
  // New batches follow the carried-over log; a checkpoint then covers everything.
  const next = ev("d", "offered", 9500);
  store.commit({ events: batch([next]), watermark: 9000, counters: { streamEvents: 5 } });
  assert.deepEqual(store.load(0).replay, [...logged.slice(2), next]);
  store.checkpoint([]);
  assert.deepEqual(store.load(0).replay, []);
  assert.equal(store.pruneSeen(8800), 3, "the old visit and a, b's offers");
  store.close();
  const reopened = new StateStore(file);
  assert.equal(reopened.load(0).seen.length, 3, "opened again: nothing migrated twice");
  reopened.close();
});

test("a state file of another schema is refused with a message naming it", () => {
  const file = join(dir, "v2.sqlite");
  const db = new Database(file);
  db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '2');");
  db.close();
  assert.throws(() => new StateStore(file), /schema version 2, this build reads 4/);
});
