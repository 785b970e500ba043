/**
 * The monitor's durable state: one SQLite file (better-sqlite3), log-structured.
 *  - Every batch (about twice a second) appends the newly counted events, with their identities,
 *    as ONE row of the `log` table (a JSON array), and sets the watermark and the changed
 *    counters, in one transaction: one row per batch however many events or queues there are.
 *  - Every checkpoint writes the engine's changed series together with the log position they
 *    include (`checkpoint_seq`).
 *  - Loading gives the checkpointed series plus the log after it, which the caller replays, and
 *    the identities of the log's retained rows (the dedup's memory across a restart).
 *  - Pruning drops checkpointed rows whose every event is older than the identities' horizon
 *    (with `recordEvents` the log is kept whole: an audit trail, readable row by row through
 *    the `events` view).
 * So the engine's state (checkpoint + log), the identities, the watermark and the counters always
 * describe the same moment: after a crash the service restarts from a state that matches its
 * watermark, and backfill from there fills the rest.
 */
import Database from "better-sqlite3";
import type { QueueEvent } from "../domain/queue-event.js";
import { storedIdentity } from "../ingest/dedup.js";
import type { SeriesState } from "../aggregate/series.js";

const SCHEMA_VERSION = 4;

/**
 * One logged event: [identity, kind, queue, media, conversation, participant, time, wait or null].
 * The identity is null when it is the event's own (`storedIdentity`): 40 % less to write.
 */
type LogEntry = [string | null, QueueEvent["kind"], string, string, string, string, number, number | null];
/** Events per row when older state files are carried over into the log. */
const MIGRATION_ROW = 1000;

export interface Batch {
  /** Newly counted events (identity + event), in the order they were applied; no id: the event's own (`storedIdentity`). */
  events: { id?: string; event: QueueEvent }[];
  watermark: number | null;
  counters: Record<string, number>;
  /** Other state committed with the batch (e.g. queue coverage), by key. */
  meta?: Record<string, string>;
}

export interface LoadedState {
  series: SeriesState[];
  /** Events counted after the checkpoint, in order: apply them to the restored series. */
  replay: QueueEvent[];
  /** Counted identities with their event time, newest retained window only. */
  seen: [string, number][];
  watermark: number | null;
  startedAt: number | null;
  counters: Record<string, number>;
  /** Every meta entry, including those committed via `Batch.meta`. */
  meta: Record<string, string>;
}

export class StateStore {
  private readonly db: Database.Database;
  private readonly upsertSeries: Database.Statement;
  private readonly appendLog: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly setCounter: Database.Statement;
  private readonly commitTx: (b: Batch, counters: [string, number][]) => void;
  private readonly prune: Database.Statement;
  private readonly checkpointTx: (series: SeriesState[]) => void;
  // export hook (issue 9): state that must commit with each batch (the wait histogram).
  private readonly participants: { write(): void; committed(): void }[] = [];
  /** Counter values as last committed: a batch writes only those that changed. */
  private readonly writtenCounters = new Map<string, number>();

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
    // One monitor per state file: two would each count events the other already counted.
    // The exclusive lock is held until close; the OS drops it if the process dies.
    this.db.pragma("locking_mode = EXCLUSIVE");
    this.db.pragma("busy_timeout = 1000");
    // WAL + NORMAL survives a killed process (not a power cut).
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.exec("BEGIN EXCLUSIVE; COMMIT;");
    } catch (e) {
      this.db.close();
      const busy = /locked|busy/i.test((e as Error).message);
      throw new Error(busy ? `state file ${file} is in use by another queue-monitor process` : `state file ${file}: ${(e as Error).message}`, { cause: e });
    }
    this.db.pragma("synchronous = NORMAL");
    const version = this.schemaVersion();
    if (version !== null && version !== SCHEMA_VERSION && version !== 3) {
      throw new Error(`state file ${file}: schema version ${version}, this build reads ${SCHEMA_VERSION}`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      -- One row per committed batch: its events as a JSON array of LogEntry arrays, the newest
      -- event time (pruning) and the count. Identities are looked up in memory; the file only
      -- reloads and prunes them, so a batch is one appended row, not two per event.
      CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, newest INTEGER NOT NULL, n INTEGER NOT NULL, events TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS log_newest ON log (newest);
    `);
    if (version === 3) this.migrateFrom3();
    // The log event by event, for audits and ad hoc queries (the columns of schema 3's table).
    this.db.exec(`
      CREATE VIEW IF NOT EXISTS events AS
        SELECT log.seq AS batch, e.key AS position,
               COALESCE(e.value->>0, (e.value->>4) || '/' || (e.value->>5) || '/' || (e.value->>2) || '/' || IIF(e.value->>1 = 'offered', 'offered', 'end:' || (e.value->>1))) AS id,
               e.value->>1 AS kind, e.value->>2 AS queue_id,
               e.value->>3 AS media_type, e.value->>4 AS conversation_id, e.value->>5 AS participant_id,
               e.value->>6 AS time, e.value->>7 AS wait_ms
        FROM log, json_each(log.events) AS e;
    `);
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
    this.upsertSeries = this.db.prepare("INSERT INTO series (key, state) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state");
    this.appendLog = this.db.prepare("INSERT INTO log (newest, n, events) VALUES (?, ?, ?)");
    this.setMeta = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.setCounter = this.db.prepare("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    this.commitTx = this.db.transaction((b: Batch, counters: [string, number][]) => {
      if (b.events.length > 0) {
        const entries: LogEntry[] = [];
        let newest = -Infinity;
        for (const { id, event: e } of b.events) {
          entries.push([id ?? null, e.kind, e.queueId, e.mediaType, e.conversationId, e.participantId, e.time, e.waitMs ?? null]);
          if (e.time > newest) newest = e.time;
        }
        this.appendLog.run(newest, entries.length, JSON.stringify(entries));
      }
      if (b.watermark !== null) this.setMeta.run("watermark", String(b.watermark));
      for (const [k, v] of counters) this.setCounter.run(k, v);
      for (const [k, v] of Object.entries(b.meta ?? {})) this.setMeta.run(k, v);
      for (const p of this.participants) p.write();
    });
    // AUTOINCREMENT: sequence numbers never go back, even after the log is pruned empty.
    const lastSeq = this.db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0) AS seq");
    this.checkpointTx = this.db.transaction((series: SeriesState[]) => {
      for (const st of series) this.upsertSeries.run(`${st.queueId}/${st.mediaType}`, JSON.stringify(st));
      this.setMeta.run("checkpoint_seq", String((lastSeq.get() as { seq: number }).seq));
    });
    this.prune = this.db.prepare("DELETE FROM log WHERE newest < ? AND seq <= COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'checkpoint_seq'), 0) RETURNING n");
    for (const r of this.db.prepare("SELECT name, value FROM counters").all() as { name: string; value: number }[]) this.writtenCounters.set(r.name, r.value);
  }

  private schemaVersion(): number | null {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    if (!hasMeta) return null;
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    return row ? Number(row.value) : null;
  }

  /**
   * Schema 3 kept a row per event in `events` (the log after the checkpoint, or all of it with
   * recordEvents) and a row per identity in `seen`. Both move into `log` rows, in order, the
   * checkpoint position carried over: identities only in `seen` first (checkpointed; only their
   * identity and time are ever read again), then the logged events up to the checkpoint, then
   * those after it (replayed on load).
   */
  private migrateFrom3(): void {
    this.db.transaction(() => {
      const meta = this.db.prepare("SELECT value FROM meta WHERE key = 'checkpoint_seq'").get() as { value: string } | undefined;
      const oldCheckpoint = Number(meta?.value ?? 0);
      const events = this.db
        .prepare("SELECT seq, id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms FROM events ORDER BY seq")
        .raw()
        .all() as [number, string, QueueEvent["kind"], string, string, string, string, number, number | null][];
      const logged = new Set(events.map((r) => r[1]));
      const seenOnly: LogEntry[] = [];
      for (const [id, time] of this.db.prepare("SELECT id, time FROM seen ORDER BY time").raw().all() as [string, number][]) {
        if (logged.has(id)) continue;
        const fact = id.slice(id.lastIndexOf("/") + 1);
        const kind = (fact.startsWith("end:") ? fact.slice(4) : "offered") as QueueEvent["kind"];
        seenOnly.push([id, kind, "", "", "", "", time, null]);
      }
      const append = this.db.prepare("INSERT INTO log (newest, n, events) VALUES (?, ?, ?)");
      const write = (entries: LogEntry[]) => {
        for (let i = 0; i < entries.length; i += MIGRATION_ROW) {
          const chunk = entries.slice(i, i + MIGRATION_ROW);
          append.run(Math.max(...chunk.map((e) => e[6])), chunk.length, JSON.stringify(chunk));
        }
      };
      const entry = (r: (typeof events)[number]): LogEntry => [r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]];
      write(seenOnly);
      write(events.filter((r) => r[0] <= oldCheckpoint).map(entry));
      const seq = (this.db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0) AS seq").get() as { seq: number }).seq;
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('checkpoint_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seq));
      write(events.filter((r) => r[0] > oldCheckpoint).map(entry));
      this.db.exec("DROP TABLE events; DROP TABLE seen;");
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
    })();
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
    const meta = (k: string) => (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(k) as { value: string } | undefined)?.value;
    const counters: Record<string, number> = {};
    for (const r of this.db.prepare("SELECT name, value FROM counters").all() as { name: string; value: number }[]) counters[r.name] = r.value;
    const checkpointSeq = Number(meta("checkpoint_seq") ?? 0);
    const seen: [string, number][] = [];
    const replay: QueueEvent[] = [];
    const rows = this.db.prepare("SELECT seq, newest, events FROM log WHERE seq > ? OR newest >= ? ORDER BY seq").raw().iterate(checkpointSeq, seenSince) as Iterable<[number, number, string]>;
    for (const [seq, , text] of rows) {
      let entries: LogEntry[];
      try {
        entries = JSON.parse(text) as LogEntry[];
      } catch (e) {
        throw new Error(`state file ${this.file}: log row ${seq} is corrupt: ${(e as Error).message}`, { cause: e });
      }
      for (const [id, kind, queueId, mediaType, conversationId, participantId, time, waitMs] of entries) {
        if (time >= seenSince) seen.push([id ?? storedIdentity({ kind, queueId, mediaType, conversationId, participantId, time }), time]);
        if (seq > checkpointSeq) replay.push(waitMs === null ? { kind, queueId, mediaType, conversationId, participantId, time } : { kind, queueId, mediaType, conversationId, participantId, time, waitMs });
      }
    }
    const wm = meta("watermark");
    const started = meta("startedAt");
    const allMeta: Record<string, string> = {};
    for (const r of this.db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]) allMeta[r.key] = r.value;
    return { series, replay, seen, watermark: wm === undefined ? null : Number(wm), startedAt: started === undefined ? null : Number(started), counters, meta: allMeta };
  }

  setStartedAt(t: number): void {
    this.setMeta.run("startedAt", String(t));
  }

  /** Appends a batch: events, identities, watermark, counters, in one transaction. */
  commit(b: Batch): void {
    const changed: [string, number][] = [];
    for (const k in b.counters) {
      const v = b.counters[k];
      if (this.writtenCounters.get(k) !== v) changed.push([k, v]);
    }
    this.commitTx(b, changed);
    for (const [k, v] of changed) this.writtenCounters.set(k, v);
    for (const p of this.participants) p.committed();
  }

  // ---- export hooks (issue 9) ----
  /** The connection, for tables that live in the same file (the export outbox); the lock is ours. */
  get database(): Database.Database {
    return this.db;
  }

  /** `write` runs inside every batch transaction, `committed` after it succeeded. */
  addCommitParticipant(p: { write(): void; committed(): void }): void {
    this.participants.push(p);
  }
  // ---- end export hooks ----

  /**
   * Writes the engine's changed series as of everything committed so far: the log behind them
   * is no longer replayed (only its identities are read back until pruned). The caller commits
   * its pending batch first, so the series include exactly the logged events.
   */
  checkpoint(series: SeriesState[]): void {
    this.checkpointTx(series);
  }

  /**
   * Forgets identities older than `before` (they can no longer come back): drops the log rows
   * already checkpointed whose every event is older (with recordEvents the log is kept whole,
   * and `load` skips the old identities instead).
   * @returns how many identities were dropped from the file
   */
  pruneSeen(before: number): number {
    if (this.recordEvents) return 0;
    let n = 0;
    for (const r of this.prune.all(before) as { n: number }[]) n += r.n;
    return n;
  }

  close(): void {
    this.db.close();
  }
}
