/**
 * The monitor's durable state: one SQLite file (better-sqlite3), log-structured.
 *  - Every batch (about twice a second) appends the newly counted events to the `events` log and
 *    their identities to `seen`, and sets the watermark and counters, in one transaction: small
 *    writes, however many queues there are.
 *  - Every checkpoint writes the engine's changed series together with the log position they
 *    include (`checkpoint_seq`), then trims the log behind it.
 *  - Loading gives the checkpointed series plus the log after it, which the caller replays.
 * So the engine's state (checkpoint + log), the identities, the watermark and the counters always
 * describe the same moment: after a crash the service restarts from a state that matches its
 * watermark, and backfill from there fills the rest.
 */
import Database from "better-sqlite3";
import type { QueueEvent } from "../domain/queue-event.js";
import type { SeriesState } from "../aggregate/series.js";

const SCHEMA_VERSION = 3;

export interface Batch {
  /** Newly counted events (identity + event), in the order they were applied. */
  events: { id: string; event: QueueEvent }[];
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
  private readonly insertSeen: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly setCounter: Database.Statement;
  private readonly commitTx: (b: Batch) => void;
  private readonly checkpointTx: (series: SeriesState[]) => void;
  // export hook (issue 9): state that must commit with each batch (the wait histogram).
  private readonly participants: { write(): void; committed(): void }[] = [];

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
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, state TEXT NOT NULL);
      -- Identities are looked up in memory; the file only reloads and prunes them by time, so no
      -- table here is keyed by the (random) identity: inserts append instead of scattering pages
      -- (15x faster), and uniqueness is the dedup's job (the chaos test checks it).
      CREATE TABLE IF NOT EXISTS seen (time INTEGER NOT NULL, id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS seen_time ON seen (time);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, kind TEXT NOT NULL, queue_id TEXT NOT NULL,
        media_type TEXT NOT NULL, conversation_id TEXT NOT NULL, participant_id TEXT NOT NULL,
        time INTEGER NOT NULL, wait_ms INTEGER
      );
    `);
    const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    if (version && Number(version.value) !== SCHEMA_VERSION) {
      throw new Error(`state file ${file}: schema version ${version.value}, this build reads ${SCHEMA_VERSION}`);
    }
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    this.upsertSeries = this.db.prepare("INSERT INTO series (key, state) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state");
    this.insertSeen = this.db.prepare("INSERT INTO seen (id, time) VALUES (?, ?)");
    this.insertEvent = this.db.prepare(
      "INSERT INTO events (id, kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.setMeta = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.setCounter = this.db.prepare("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    this.commitTx = this.db.transaction((b: Batch) => {
      for (const { id, event: e } of b.events) {
        this.insertSeen.run(id, e.time);
        this.insertEvent.run(id, e.kind, e.queueId, e.mediaType, e.conversationId, e.participantId, e.time, e.waitMs ?? null);
      }
      if (b.watermark !== null) this.setMeta.run("watermark", String(b.watermark));
      for (const [k, v] of Object.entries(b.counters)) this.setCounter.run(k, v);
      for (const [k, v] of Object.entries(b.meta ?? {})) this.setMeta.run(k, v);
      for (const p of this.participants) p.write();
    });
    // AUTOINCREMENT: sequence numbers never go back, even after the log is trimmed empty.
    const lastSeq = this.db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq");
    const trim = this.db.prepare("DELETE FROM events WHERE seq <= ?");
    this.checkpointTx = this.db.transaction((series: SeriesState[]) => {
      for (const st of series) this.upsertSeries.run(`${st.queueId}/${st.mediaType}`, JSON.stringify(st));
      const seq = (lastSeq.get() as { seq: number }).seq;
      this.setMeta.run("checkpoint_seq", String(seq));
      // With recordEvents the log doubles as an audit trail and is kept whole.
      if (!this.recordEvents) trim.run(seq);
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
    const checkpointSeq = Number(meta("checkpoint_seq") ?? 0);
    const replay = (
      this.db
        .prepare("SELECT kind, queue_id, media_type, conversation_id, participant_id, time, wait_ms FROM events WHERE seq > ? ORDER BY seq")
        .all(checkpointSeq) as { kind: QueueEvent["kind"]; queue_id: string; media_type: string; conversation_id: string; participant_id: string; time: number; wait_ms: number | null }[]
    ).map((r) => ({
      kind: r.kind,
      queueId: r.queue_id,
      mediaType: r.media_type,
      conversationId: r.conversation_id,
      participantId: r.participant_id,
      time: r.time,
      ...(r.wait_ms === null ? {} : { waitMs: r.wait_ms }),
    }));
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
    this.commitTx(b);
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
   * Writes the engine's changed series as of everything committed so far, and trims the log
   * behind them. The caller commits its pending batch first, so the series include exactly
   * the logged events.
   */
  checkpoint(series: SeriesState[]): void {
    this.checkpointTx(series);
  }

  /** Forgets identities older than `before` (they can no longer come back). */
  pruneSeen(before: number): number {
    return this.db.prepare("DELETE FROM seen WHERE time < ?").run(before).changes;
  }

  close(): void {
    this.db.close();
  }
}
