/**
 * The monitor's durable state: one SQLite file (better-sqlite3), written in one transaction per
 * batch so the engine's series, the identities of counted events, the watermark and the
 * self-health counters always describe the same moment. After a crash the service restarts from
 * a state that matches its watermark, and backfill from there fills the rest.
 */
import Database from "better-sqlite3";
import type { QueueEvent } from "../domain/queue-event.js";
import type { SeriesState } from "../aggregate/series.js";

const SCHEMA_VERSION = 1;

export interface Batch {
  series: SeriesState[];
  /** Newly counted events (identity + event). */
  events: { id: string; event: QueueEvent }[];
  watermark: number | null;
  counters: Record<string, number>;
}

export interface LoadedState {
  series: SeriesState[];
  /** Counted identities with their event time, newest retained window only. */
  seen: [string, number][];
  watermark: number | null;
  startedAt: number | null;
  counters: Record<string, number>;
}

export class StateStore {
  private readonly db: Database.Database;
  private readonly upsertSeries: Database.Statement;
  private readonly insertSeen: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly setCounter: Database.Statement;
  private readonly commitTx: (b: Batch) => void;

  /**
   * @param file path of the SQLite file (created if missing)
   * @param recordEvents also keep every counted event (an audit trail; off by default)
   */
  constructor(
    readonly file: string,
    readonly recordEvents = false,
  ) {
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new Error(`state file ${file}: cannot open: ${(e as Error).message}`, { cause: e });
    }
    // WAL + NORMAL survives a killed process (not a power cut) and lets readers look while we write.
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, time INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS seen_time ON seen (time);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, queue_id TEXT NOT NULL, media_type TEXT NOT NULL,
        conversation_id TEXT NOT NULL, participant_id TEXT NOT NULL, time INTEGER NOT NULL, wait_ms INTEGER
      ) WITHOUT ROWID;
    `);
    const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    if (version && Number(version.value) !== SCHEMA_VERSION) {
      throw new Error(`state file ${file}: schema version ${version.value}, this build reads ${SCHEMA_VERSION}`);
    }
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    this.upsertSeries = this.db.prepare("INSERT INTO series (key, state) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state");
    this.insertSeen = this.db.prepare("INSERT OR IGNORE INTO seen (id, time) VALUES (?, ?)");
    this.insertEvent = this.db.prepare(
      "INSERT OR IGNORE INTO events (id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.setMeta = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.setCounter = this.db.prepare("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    this.commitTx = this.db.transaction((b: Batch) => {
      for (const s of b.series) this.upsertSeries.run(`${s.queueId}/${s.mediaType}`, JSON.stringify(s));
      for (const { id, event: e } of b.events) {
        this.insertSeen.run(id, e.time);
        if (this.recordEvents) this.insertEvent.run(id, e.kind, e.queueId, e.mediaType, e.conversationId, e.participantId, e.time, e.waitMs ?? null);
      }
      if (b.watermark !== null) this.setMeta.run("watermark", String(b.watermark));
      for (const [k, v] of Object.entries(b.counters)) this.setCounter.run(k, v);
    });
  }

  /** Loads everything; `seenSince` bounds the identities read back (older ones can no longer recur). */
  load(seenSince: number): LoadedState {
    const series: SeriesState[] = [];
    for (const row of this.db.prepare("SELECT key, state FROM series").iterate() as Iterable<{ key: string; state: string }>) {
      try {
        series.push(JSON.parse(row.state) as SeriesState);
      } catch (e) {
        throw new Error(`state file ${this.file}: series ${row.key} is corrupt: ${(e as Error).message}`, { cause: e });
      }
    }
    const seen = (this.db.prepare("SELECT id, time FROM seen WHERE time >= ?").raw().all(seenSince) as [string, number][]);
    const meta = (k: string) => (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(k) as { value: string } | undefined)?.value;
    const counters: Record<string, number> = {};
    for (const r of this.db.prepare("SELECT name, value FROM counters").all() as { name: string; value: number }[]) counters[r.name] = r.value;
    const wm = meta("watermark");
    const started = meta("startedAt");
    return { series, seen, watermark: wm === undefined ? null : Number(wm), startedAt: started === undefined ? null : Number(started), counters };
  }

  setStartedAt(t: number): void {
    this.setMeta.run("startedAt", String(t));
  }

  commit(b: Batch): void {
    this.commitTx(b);
  }

  /** Forgets identities older than `before` (they can no longer come back). */
  pruneSeen(before: number): number {
    return this.db.prepare("DELETE FROM seen WHERE time < ?").run(before).changes;
  }

  close(): void {
    this.db.close();
  }
}
