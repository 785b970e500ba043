/**
 * The monitor's durable state: one SQLite file (better-sqlite3), log-structured.
 *  - Every batch (about twice a second) appends the newly counted events, with their identities,
 *    as ONE row of the `log` table (a JSON array), and sets the watermark and the changed
 *    counters, in one transaction: one row per batch however many events or queues there are.
 *  - Every checkpoint writes the engine's changed series together with the log position they
 *    include (`checkpoint_seq`).
 *  - Loading gives the checkpointed series plus the log after it, which the caller replays, and
 *    the identities of the log's rows from `seenSince` on (the dedup's memory across a restart).
 *  - Pruning drops checkpointed rows whose every event is older than the identities' horizon
 *    (with `recordEvents` the log is kept whole: an audit trail, readable row by row through
 *    the `events` view).
 * So the engine's state (checkpoint + log), the identities, the watermark and the counters always
 * describe the same moment: after a crash the service restarts from a state that matches its
 * watermark, and backfill from there fills the rest.
 *
 * Every error names the file and the table, row or operation (StateFileError, with its kind:
 * disk-full, read-only, ...). What is read back is checked before it is used; see `load` for
 * which rows stop the start and which are skipped and reported.
 */
import type Database from "better-sqlite3";
import type { QueueEvent } from "../domain/queue-event.js";
import { storedIdentity } from "../ingest/dedup.js";
import type { SeriesState } from "../aggregate/series.js";
import { decodeLogRow, decodeSeries, logEntry, type LogEntry } from "./state-codec.js";
import { named, StateFileError } from "./state-errors.js";
import { APPLICATION_ID, openStateFile, SCHEMA_VERSION } from "./state-file.js";
import { migrateFrom3 } from "./migrate-v3.js";

export { StateFileError, type StateErrorKind } from "./state-errors.js";

export interface Batch {
  /** Newly counted events (identity + event), in the order they were applied; no id: the event's own (`storedIdentity`). */
  events: { id?: string; event: QueueEvent }[];
  watermark: number | null;
  counters: Record<string, number>;
  /** Other state committed with the batch (e.g. queue coverage), by key. */
  meta?: Record<string, string>;
}

/** A row that was read back but could not be used: skipped, and said. */
export interface StateProblem {
  table: "series" | "log" | "counters" | "meta";
  /** The row's key: "q1/voice", a log sequence number, a counter or meta name. */
  row: string;
  /** The whole sentence, file and row named, with what the skip costs. */
  message: string;
  /** Events of a log row that could not be read. */
  lost?: number;
}

/** What the meta table says about where the state stands, read without touching the log. */
export interface StoredPosition {
  watermark: number | null;
  startedAt: number | null;
  /** The last log row the checkpointed series include. */
  checkpointSeq: number;
  /** Every meta entry, including those committed via `Batch.meta`. */
  meta: Record<string, string>;
  problems: StateProblem[];
}

export interface LoadedState extends StoredPosition {
  series: SeriesState[];
  /** Events counted after the checkpoint, in order: apply them to the restored series. */
  replay: QueueEvent[];
  /** Counted identities with their event time, from `seenSince` on, in log order. */
  seen: [string, number][];
  /**
   * `seen` holds every counted identity from here on: `seenSince`, or later where an earlier
   * process pruned the file past it (then an unseen event older than this may have been counted).
   */
  seenFrom: number;
  counters: Record<string, number>;
}

/** Meta key: identities before this time may have been pruned from the file. */
const IDENTITIES_FROM_KEY = "identities_from";

/**
 * The reads of the log on load, each served by an index (EXPLAIN QUERY PLAN in the tests): the
 * rows after the checkpoint by the primary key; the checkpointed rows that still hold
 * identities from `seenSince` on found in `log_newest` alone (without INDEXED BY the planner
 * walks every row up to the checkpoint instead), then read one by one by primary key in log
 * order. Everything older is never read, however long a recordEvents log grows. When more than
 * a quarter of the rows behind the checkpoint are wanted, they are read in one ordered pass.
 */
export const LOAD_QUERIES = {
  afterCheckpoint: "SELECT seq, n, events FROM log WHERE seq > ? ORDER BY seq",
  identitiesBehind: "SELECT seq FROM log INDEXED BY log_newest WHERE newest >= ? AND seq <= ?",
  row: "SELECT seq, n, events FROM log WHERE seq = ?",
  firstSeq: "SELECT min(seq) FROM log",
  scanBehind: "SELECT seq, n, events FROM log WHERE seq <= ? AND newest >= ? ORDER BY seq",
} as const;

const TABLES = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  -- One row per committed batch: its events as a JSON array of LogEntry arrays, the newest
  -- event time (pruning, loading) and the count. Identities are looked up in memory; the file
  -- only reloads and prunes them, so a batch is one appended row, not two per event.
  CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, newest INTEGER NOT NULL, n INTEGER NOT NULL, events TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS log_newest ON log (newest);
`;
// The log event by event, for audits and ad hoc queries (the columns of schema 3's table).
const EVENTS_VIEW = `
  CREATE VIEW IF NOT EXISTS events AS
    SELECT log.seq AS batch, e.key AS position,
           COALESCE(e.value->>0, (e.value->>4) || '/' || (e.value->>5) || '/' || (e.value->>2) || '/' || IIF(e.value->>1 = 'offered', 'offered', 'end:' || (e.value->>1))) AS id,
           e.value->>1 AS kind, e.value->>2 AS queue_id,
           e.value->>3 AS media_type, e.value->>4 AS conversation_id, e.value->>5 AS participant_id,
           e.value->>6 AS time, e.value->>7 AS wait_ms
    FROM log, json_each(log.events) AS e;
`;

export class StateStore {
  private readonly db: Database.Database;
  private readonly upsertSeries: Database.Statement;
  private readonly appendLog: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly setCounter: Database.Statement;
  private readonly commitTx: (b: Batch, counters: [string, number][]) => void;
  private readonly pruneTx: (before: number) => number;
  private readonly checkpointTx: (series: SeriesState[]) => void;
  // State of other parts that must commit with each batch (the wait histogram, the loss detector).
  private readonly participants: { write(): void; committed(): void }[] = [];
  /** Counter values as last committed: a batch writes only those that changed. */
  private readonly writtenCounters = new Map<string, number>();

  /**
   * @param file path of the SQLite file (created if missing; refused if it is not ours)
   * @param recordEvents also keep every counted event (an audit trail; off by default)
   * @throws StateFileError naming the file and why
   */
  constructor(
    readonly file: string,
    readonly recordEvents = false,
  ) {
    const { db, version } = openStateFile(file);
    this.db = db;
    try {
      named(file, "initialise (tables meta, series, counters, log)", () =>
        db.transaction(() => {
          db.exec(TABLES);
          if (version === 3) migrateFrom3(db);
          db.exec(EVENTS_VIEW);
          db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
          db.pragma(`application_id = ${APPLICATION_ID}`);
        })(),
      );
      this.upsertSeries = db.prepare("INSERT INTO series (key, state) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state");
      this.appendLog = db.prepare("INSERT INTO log (newest, n, events) VALUES (?, ?, ?)");
      this.setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      this.setCounter = db.prepare("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value");
      this.commitTx = db.transaction((b: Batch, counters: [string, number][]) => {
        if (b.events.length > 0) {
          const entries: LogEntry[] = [];
          let newest = -Infinity;
          for (const { id, event: e } of b.events) {
            entries.push(logEntry(id, e));
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
      const lastSeq = db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0) AS seq");
      this.checkpointTx = db.transaction((series: SeriesState[]) => {
        for (const st of series) this.upsertSeries.run(`${st.queueId}/${st.mediaType}`, JSON.stringify(st));
        this.setMeta.run("checkpoint_seq", String((lastSeq.get() as { seq: number }).seq));
      });
      const prune = db.prepare("DELETE FROM log WHERE newest < ? AND seq <= COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'checkpoint_seq'), 0) RETURNING n");
      // The file holds every identity from here on: `load` says so (never earlier than an older prune said).
      const raiseIdentitiesFrom = db.prepare(`INSERT INTO meta (key, value) VALUES ('${IDENTITIES_FROM_KEY}', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(meta.value AS REAL) < CAST(excluded.value AS REAL)`);
      this.pruneTx = db.transaction((before: number) => {
        let n = 0;
        for (const r of prune.all(before) as { n: number }[]) n += r.n;
        if (n > 0) raiseIdentitiesFrom.run(String(before));
        return n;
      });
      for (const [name, value] of this.readCounters([])) this.writtenCounters.set(name, value);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private problem(table: StateProblem["table"], row: string, what: string, lost?: number): StateProblem {
    return { table, row, message: `state file ${this.file}: ${table === "log" ? "log row" : table} ${row}: ${what}`, ...(lost === undefined ? {} : { lost }) };
  }

  /**
   * The meta table alone (cheap: no series, no log), e.g. to compute the identities' horizon
   * before `load`. The watermark and the checkpoint position decide what is backfilled and what
   * replayed, so one that does not decode stops the start; a bad startedAt is skipped.
   * @throws StateFileError naming the row
   */
  stored(): StoredPosition {
    const meta: Record<string, string> = {};
    for (const r of named(this.file, "table meta", () => this.db.prepare("SELECT key, value FROM meta").all()) as { key: string; value: unknown }[]) meta[r.key] = String(r.value);
    const problems: StateProblem[] = [];
    const number = (key: string, integer: boolean): number | null | string => {
      const v = meta[key];
      if (v === undefined) return null;
      const n = Number(v);
      return v.trim() !== "" && Number.isFinite(n) && (!integer || (Number.isInteger(n) && n >= 0)) ? n : `not ${integer ? "a log position" : "a time"} (${JSON.stringify(v.slice(0, 40))})`;
    };
    const required = (key: string, integer: boolean, why: string): number | null => {
      const v = number(key, integer);
      if (typeof v === "string") throw new StateFileError(this.file, `meta ${key}`, "corrupt", `${v}; refusing to start: ${why}`);
      return v;
    };
    const watermark = required("watermark", false, "it decides what is backfilled");
    const checkpointSeq = required("checkpoint_seq", true, "it decides which logged events are replayed") ?? 0;
    let startedAt = number("startedAt", false);
    if (typeof startedAt === "string") {
      problems.push(this.problem("meta", "startedAt", `${startedAt}; skipped (the start time is unknown)`));
      startedAt = null;
    }
    return { watermark, startedAt, checkpointSeq, meta, problems };
  }

  private readCounters(problems: StateProblem[]): [string, number][] {
    const out: [string, number][] = [];
    for (const r of named(this.file, "table counters", () => this.db.prepare("SELECT name, value FROM counters").all()) as { name: string; value: unknown }[]) {
      if (typeof r.value === "number" && Number.isFinite(r.value)) out.push([r.name, r.value]);
      else problems.push(this.problem("counters", r.name, `not a number (${JSON.stringify(r.value)}); skipped (the counter starts again from 0)`));
    }
    return out;
  }

  /**
   * Everything needed to resume: series, the log after the checkpoint (replay) and the
   * identities from `seenSince` on, which should be the identities' horizon (older ones can no
   * longer recur, and with recordEvents the log behind it is never read).
   *
   * Rows that do not decode: the watermark and checkpoint position stop the start (see
   * `stored`); a series, a log row (or an event in one) or a counter is skipped and returned in
   * `problems`, so one damaged row costs that row (a queue's figures restart empty; a batch's
   * events are missing from the figures or may be counted again by a backfill; a counter
   * restarts) instead of every figure of the monitor.
   * @throws StateFileError naming the file and the table
   */
  load(seenSince: number): LoadedState {
    const pos = this.stored();
    const problems = pos.problems;
    const series: SeriesState[] = [];
    named(this.file, "table series", () => {
      for (const row of this.db.prepare("SELECT key, state FROM series").iterate() as Iterable<{ key: string; state: unknown }>) {
        const d = decodeSeries(String(row.state), row.key);
        if ("state" in d) series.push(d.state);
        else problems.push(this.problem("series", row.key, `${d.problem}; skipped (its figures restart empty)`));
      }
    });
    const counters = Object.fromEntries(this.readCounters(problems));
    const seen: [string, number][] = [];
    const replay: QueueEvent[] = [];
    const read = (rows: Iterable<[number, number, string]>, afterCheckpoint: boolean) => {
      for (const [seq, n, text] of rows) {
        const { entries, bad, firstProblem } = decodeLogRow(String(text));
        if (bad !== 0) {
          const lost = bad < 0 ? n : bad;
          const cost = afterCheckpoint ? "missing from the figures; a backfill may count them again" : "their identities are forgotten; a backfill may count them again";
          problems.push(this.problem("log", String(seq), `${firstProblem}; ${bad < 0 ? `its ${n}` : `${bad} of its ${entries.length + bad}`} events skipped (${cost})`, lost));
        }
        for (const [id, kind, queueId, mediaType, conversationId, participantId, time, waitMs] of entries) {
          if (time >= seenSince) seen.push([id ?? storedIdentity({ kind, queueId, mediaType, conversationId, participantId, time }), time]);
          if (afterCheckpoint) replay.push(waitMs === null ? { kind, queueId, mediaType, conversationId, participantId, time } : { kind, queueId, mediaType, conversationId, participantId, time, waitMs });
        }
      }
    };
    named(this.file, "table log", () => {
      const behind = (this.db.prepare(LOAD_QUERIES.identitiesBehind).pluck().all(seenSince, pos.checkpointSeq) as number[]).sort((a, b) => a - b);
      // Most of the rows wanted (seenSince far back): one pass in order beats a lookup per row.
      const first = this.db.prepare(LOAD_QUERIES.firstSeq).pluck().get() as number | null;
      if (first !== null && behind.length > (pos.checkpointSeq - first + 1) / 4) {
        read(this.db.prepare(LOAD_QUERIES.scanBehind).raw().iterate(pos.checkpointSeq, seenSince) as Iterable<[number, number, string]>, false);
      } else {
        const row = this.db.prepare(LOAD_QUERIES.row).raw();
        read((function* () {
          for (const seq of behind) yield row.get(seq) as [number, number, string];
        })(), false);
      }
      read(this.db.prepare(LOAD_QUERIES.afterCheckpoint).raw().iterate(pos.checkpointSeq) as Iterable<[number, number, string]>, true);
    });
    const pruned = Number(pos.meta[IDENTITIES_FROM_KEY]);
    return { ...pos, series, replay, seen, seenFrom: Number.isFinite(pruned) ? Math.max(seenSince, pruned) : seenSince, counters, problems };
  }

  setStartedAt(t: number): void {
    named(this.file, "meta startedAt", () => this.setMeta.run("startedAt", String(t)));
  }

  /** Appends a batch: events, identities, watermark, counters, in one transaction. */
  commit(b: Batch): void {
    const changed: [string, number][] = [];
    for (const k in b.counters) {
      const v = b.counters[k];
      if (this.writtenCounters.get(k) !== v) changed.push([k, v]);
    }
    named(this.file, `commit of ${b.events.length} events (tables log, meta, counters)`, () => this.commitTx(b, changed));
    for (const [k, v] of changed) this.writtenCounters.set(k, v);
    for (const p of this.participants) p.committed();
  }

  /** The connection, for tables that live in the same file (the export outbox); the lock is ours. */
  get database(): Database.Database {
    return this.db;
  }

  /** `write` runs inside every batch transaction, `committed` after it succeeded. */
  addCommitParticipant(p: { write(): void; committed(): void }): void {
    this.participants.push(p);
  }

  /**
   * Writes the engine's changed series as of everything committed so far: the log behind them
   * is no longer replayed (only its identities are read back until pruned). The caller commits
   * its pending batch first, so the series include exactly the logged events.
   */
  checkpoint(series: SeriesState[]): void {
    named(this.file, `checkpoint of ${series.length} series (tables series, meta)`, () => this.checkpointTx(series));
  }

  /**
   * Forgets identities older than `before` (they can no longer come back): drops the log rows
   * already checkpointed whose every event is older (with recordEvents the log is kept whole,
   * and `load` skips the old identities instead).
   * @returns how many identities were dropped from the file
   */
  pruneSeen(before: number): number {
    if (this.recordEvents) return 0;
    return named(this.file, "pruning identities (tables log, meta)", () => this.pruneTx(before));
  }

  close(): void {
    this.db.close();
  }
}
