/**
 * Whose file is it: our files are marked (application_id), older ones of ours are recognised
 * and marked, anything else is refused before a byte of it changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { APPLICATION_ID } from "../../../src/store/state-file.js";
import { StateFileError, StateStore } from "../../../src/store/state-store.js";

const dir = mkdtempSync(join(tmpdir(), "qm-state-file-"));
const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
/** The header's application_id, read without SQLite (a read-only connection would leave a -shm file). */
const appId = (f: string) => readFileSync(f).readUInt32BE(68);

/** Another program's database, as it left it. */
function foreign(name: string, sql: string, wal = false): { file: string; hash: string } {
  const file = join(dir, name);
  const db = new Database(file);
  if (wal) db.pragma("journal_mode = WAL");
  db.exec(sql);
  db.close();
  return { file, hash: sha(file) };
}

function assertUntouched(file: string, hash: string, tables: string[], journal: string) {
  assert.equal(sha(file), hash, "not a byte of the file changed");
  const db = new Database(file, { readonly: true });
  const names = (db.prepare("SELECT name FROM sqlite_schema ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const mode = db.pragma("journal_mode", { simple: true });
  db.close();
  assert.deepEqual(names, tables, "no table of ours was added");
  assert.equal(mode, journal, "the journal mode is as it was (no switch to WAL)");
}

test("another application's database is refused, named, and left as it was", () => {
  const { file, hash } = foreign("crm.sqlite", "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER, customer INTEGER); INSERT INTO customers VALUES (1, 'x');");
  const err = (() => {
    try {
      new StateStore(file);
    } catch (e) {
      return e as StateFileError;
    }
    assert.fail("opened another application's database");
  })();
  assert.ok(err instanceof StateFileError);
  assert.equal(err.kind, "not-ours");
  assert.equal(err.message, `state file ${file}: open: is a SQLite database of another application (tables: customers, orders); refusing to use it as the state file`);
  assertUntouched(file, hash, ["customers", "orders"], "delete");
  assert.equal(existsSync(`${file}-wal`), false);
});

test("a database with its own log table (the one that failed half-way) is refused before anything is written", () => {
  const { file, hash } = foreign("app.sqlite", "CREATE TABLE log (id INTEGER PRIMARY KEY, line TEXT); CREATE TABLE settings (k TEXT, v TEXT);");
  assert.throws(() => new StateStore(file), (e: Error) => e.message === `state file ${file}: open: is a SQLite database of another application (tables: log, settings); refusing to use it as the state file`);
  assertUntouched(file, hash, ["log", "settings"], "delete");
});

test("another application's mark (application_id) and its WAL-mode file are refused untouched", () => {
  const { file, hash } = foreign("geo.gpkg", "PRAGMA application_id = 1196444487; CREATE TABLE gpkg_contents (table_name TEXT);", true);
  assert.throws(() => new StateStore(file), /open: is a SQLite database of another application \(application_id 0x47504b47, tables: gpkg_contents\); refusing/);
  assertUntouched(file, hash, ["gpkg_contents"], "wal");
});

test("a file with our meta table but not our other tables is not taken for ours", () => {
  const { file, hash } = foreign("half.sqlite", "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '4'); CREATE TABLE log (id INTEGER, line TEXT);");
  assert.throws(() => new StateStore(file), /another application \(tables: log, meta\): not a queue-monitor state file of schema 4 \(table series is missing; table counters is missing; table log has columns \(id, line\), not \(seq, newest, n, events\)\); refusing/);
  assertUntouched(file, hash, ["log", "meta", "sqlite_autoindex_meta_1"], "delete");
});

test("a file that is not SQLite is refused and left as it was", () => {
  const file = join(dir, "notes.txt");
  writeFileSync(file, "these are someone's notes, long enough to fill a SQLite header of one hundred bytes.............\n");
  const before = sha(file);
  assert.throws(() => new StateStore(file), (e: Error) => e.message === `state file ${file}: open: is not a SQLite database; refusing to use it as the state file`);
  assert.equal(sha(file), before);
});

test("a state file whose directory does not exist says so", () => {
  const file = join(dir, "no-such-dir", "s.sqlite");
  assert.throws(() => new StateStore(file), (e: Error) => e.message === `state file ${file}: open: its directory ${join(dir, "no-such-dir")} does not exist`);
});

test("a new file and an empty one are ours: initialised and marked", () => {
  for (const name of ["new.sqlite", "empty.sqlite"]) {
    const file = join(dir, name);
    if (name === "empty.sqlite") writeFileSync(file, "");
    const store = new StateStore(file);
    store.commit({ events: [], watermark: 42, counters: {} });
    store.close();
    assert.equal(appId(file), APPLICATION_ID);
    const again = new StateStore(file);
    assert.equal(again.load(0).watermark, 42);
    again.close();
  }
  // An empty SQLite database (a header, no tables) is ours too.
  const file = join(dir, "vacuumed.sqlite");
  new Database(file).exec("VACUUM");
  new StateStore(file).close();
  assert.equal(appId(file), APPLICATION_ID);
});

test("a schema-4 state file from before the mark still loads and gets the mark", () => {
  const file = join(dir, "v4.sqlite");
  const store = new StateStore(file);
  store.commit({ events: [{ event: { kind: "offered", queueId: "q", mediaType: "voice", conversationId: "c", participantId: "p", time: 1000 } }], watermark: 900, counters: { streamEvents: 1 } });
  store.close();
  // What an older build left: the same tables, no application_id.
  const db = new Database(file);
  db.pragma("application_id = 0");
  db.close();
  assert.equal(appId(file), 0);
  const again = new StateStore(file);
  const loaded = again.load(0);
  again.close();
  assert.equal(loaded.watermark, 900);
  assert.equal(loaded.replay.length, 1);
  assert.equal(loaded.counters.streamEvents, 1);
  assert.equal(appId(file), APPLICATION_ID);
  assert.equal(existsSync(`${file}-shm`), false, "the read-only look leaves no shared-memory file behind");
});

test("a marked file that lost a table, or of a newer schema, is refused naming what is wrong", () => {
  const file = join(dir, "broken.sqlite");
  new StateStore(file).close();
  let db = new Database(file);
  db.exec("DROP TABLE series");
  db.close();
  assert.throws(() => new StateStore(file), (e: Error) => e instanceof StateFileError && e.kind === "corrupt" && e.message === `state file ${file}: open: a queue-monitor state file of schema 4, but table series is missing; refusing to use it`);
  const newer = join(dir, "newer.sqlite");
  new StateStore(newer).close();
  db = new Database(newer);
  db.exec("UPDATE meta SET value = '5' WHERE key = 'schema'");
  db.close();
  assert.throws(() => new StateStore(newer), /state file .*newer\.sqlite: open: schema version 5, written by a newer queue-monitor, this build reads 4 \(and carries over 3\); refusing/);
});

test("a state file held by another monitor is named as in use, marked on disk or not yet", () => {
  const file = join(dir, "held.sqlite");
  const inUse = (e: Error) => e instanceof StateFileError && e.kind === "locked" && /^state file .*held\.sqlite: open: in use by another queue-monitor process/.test(e.message);
  // Just created: the mark is still in the first monitor's WAL, so the file is looked at read-only first.
  let first = new StateStore(file);
  assert.throws(() => new StateStore(file), inUse);
  first.close();
  assert.equal(appId(file), APPLICATION_ID);
  // Marked on disk: straight to the lock.
  first = new StateStore(file);
  assert.throws(() => new StateStore(file), inUse);
  first.close();
});
