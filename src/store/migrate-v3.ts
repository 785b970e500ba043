/**
 * Schema 3 kept a row per event in `events` (the log after the checkpoint, or all of it with
 * recordEvents) and a row per identity in `seen`. Both move into `log` rows, in order, the
 * checkpoint position carried over: identities only in `seen` first (checkpointed; only their
 * identity and time are ever read again), then the logged events up to the checkpoint, then
 * those after it (replayed on load). Runs inside the caller's transaction.
 */
import type Database from "better-sqlite3";
import type { QueueEvent } from "../domain/queue-event.js";
import type { LogEntry } from "./state-codec.js";

/** Events per row when older state files are carried over into the log. */
const MIGRATION_ROW = 1000;

export function migrateFrom3(db: Database.Database): void {
  const meta = db.prepare("SELECT value FROM meta WHERE key = 'checkpoint_seq'").get() as { value: string } | undefined;
  const oldCheckpoint = Number(meta?.value ?? 0);
  const events = db
    .prepare("SELECT seq, id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms FROM events ORDER BY seq")
    .raw()
    .all() as [number, string, QueueEvent["kind"], string, string, string, string, number, number | null][];
  const logged = new Set(events.map((r) => r[1]));
  const seenOnly: LogEntry[] = [];
  for (const [id, time] of db.prepare("SELECT id, time FROM seen ORDER BY time").raw().all() as [string, number][]) {
    if (logged.has(id)) continue;
    const fact = id.slice(id.lastIndexOf("/") + 1);
    const kind = (fact.startsWith("end:") ? fact.slice(4) : "offered") as QueueEvent["kind"];
    seenOnly.push([id, kind, "", "", "", "", time, null]);
  }
  const append = db.prepare("INSERT INTO log (newest, n, events) VALUES (?, ?, ?)");
  const write = (entries: LogEntry[]) => {
    for (let i = 0; i < entries.length; i += MIGRATION_ROW) {
      const chunk = entries.slice(i, i + MIGRATION_ROW);
      append.run(Math.max(...chunk.map((e) => e[6])), chunk.length, JSON.stringify(chunk));
    }
  };
  const entry = (r: (typeof events)[number]): LogEntry => [r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]];
  write(seenOnly);
  write(events.filter((r) => r[0] <= oldCheckpoint).map(entry));
  const seq = (db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0) AS seq").get() as { seq: number }).seq;
  db.prepare("INSERT INTO meta (key, value) VALUES ('checkpoint_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seq));
  write(events.filter((r) => r[0] > oldCheckpoint).map(entry));
  db.exec("DROP TABLE events; DROP TABLE seen;");
}
