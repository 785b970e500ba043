/**
 * The durable outbox: items waiting for their destinations, in the monitor's SQLite state file
 * (same connection: the store holds the file's exclusive lock). What an item is and how it is
 * stored is its codec's business (metric flushes: sinks/flush-codec.ts; PagerDuty events:
 * alerts/event-codec.ts); each kind has its own tables, `<table>_flushes`, `<table>_pending` and
 * `<table>_dead_letters` (pinned names: "export_" and "alert_"; the blob column is `samples`
 * whatever it holds).
 *
 * An item is stored once and referenced by one pending row per destination, so a slow sink costs
 * one row per flush, not one copy of the figures. Rows survive restarts and outages, keep their
 * timestamps, and drain oldest first. Each destination keeps at most `maxPending` items: beyond it
 * the shedding policy says which go (default: the oldest), and add() returns them with a reason
 * for the caller to count and log. A row that no longer decodes is handed out as such (`error`),
 * never thrown at the reader: the runner dead-letters it.
 */
import type Database from "better-sqlite3";

export interface Codec<T> {
  /** Names the stored kind in logs and dead letters ("metric-flush", "pagerduty-event"). */
  readonly name: string;
  /** The version encode() writes; decode() reads it and every earlier one. */
  readonly version: number;
  encode(item: T): Buffer;
  /** Throws when the bytes are not an item of this codec. */
  decode(bytes: Buffer): T;
  /** The item's own time, kept in the row's `at` column (and in its dead letter). */
  at(item: T): number;
}

/** A pending item, or the reason it cannot be read. */
export type OutboxRow<T> = { seq: number; at: number; item: T; error?: undefined } | { seq: number; at: number; item?: undefined; error: string };

/** Which of a destination's pending rows (oldest first) to drop when it holds `excess` too many. */
export type ShedPolicy<T> = (pending: OutboxRow<T>[], excess: number) => { seq: number; reason: string }[];

/** A row the bound removed. */
export interface ShedRow<T> {
  destination: string;
  seq: number;
  at: number;
  reason: string;
  item?: T;
}

export interface OutboxOptions<T> {
  /** Table prefix (pinned): "export" for metric flushes, "alert" for PagerDuty events. */
  table: "export" | "alert";
  codec: Codec<T>;
  /** Destinations configured now: rows waiting for any other are discarded at start. */
  destinations: string[];
  maxPending: number;
  /** Default: the oldest rows go first (reason "cap"), read without decoding. */
  shed?: ShedPolicy<T>;
}

export class Outbox<T> {
  readonly codec: Codec<T>;
  /** Destinations whose waiting items were discarded at start because they are no longer configured. */
  readonly removedSinks: string[];
  private readonly counts = new Map<string, number>();
  private cache: OutboxRow<T> | null = null;
  private readonly maxPending: number;
  private readonly shed: ShedPolicy<T> | undefined;
  private readonly st: Record<"insertFlush" | "insertPending" | "oldest" | "newest" | "deletePending" | "deleteOlder" | "orphans" | "orphan" | "row" | "count" | "oldestN" | "trimTo" | "all" | "dead" | "trimDead", Database.Statement>;
  private readonly addTx: (item: T, names: string[]) => { seq: number; dropped: Record<string, number>; shed: ShedRow<T>[] };

  constructor(
    private readonly db: Database.Database,
    o: OutboxOptions<T>,
  ) {
    this.codec = o.codec;
    this.maxPending = o.maxPending;
    this.shed = o.shed;
    const t = (name: string) => `${o.table}_${name}`;
    db.exec(`
      CREATE TABLE IF NOT EXISTS export_flushes (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, samples BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS export_pending (sink TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sink, seq)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS export_pending_seq ON export_pending (seq);
      CREATE TABLE IF NOT EXISTS export_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL, status INTEGER NOT NULL, message TEXT NOT NULL);
    `.replaceAll("export_", `${o.table}_`));
    this.st = {
      insertFlush: db.prepare(`INSERT INTO ${t("flushes")} (at, samples) VALUES (?, ?)`),
      insertPending: db.prepare(`INSERT INTO ${t("pending")} (sink, seq) VALUES (?, ?)`),
      oldest: db.prepare(`SELECT seq FROM ${t("pending")} WHERE sink = ? ORDER BY seq LIMIT 1`),
      newest: db.prepare(`SELECT seq FROM ${t("pending")} WHERE sink = ? ORDER BY seq DESC LIMIT 1`),
      deletePending: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq = ?`),
      deleteOlder: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq < ?`),
      orphans: db.prepare(`DELETE FROM ${t("flushes")} WHERE seq NOT IN (SELECT seq FROM ${t("pending")})`),
      orphan: db.prepare(`DELETE FROM ${t("flushes")} WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM ${t("pending")} WHERE seq = ?)`),
      row: db.prepare(`SELECT at, samples FROM ${t("flushes")} WHERE seq = ?`),
      count: db.prepare(`SELECT COUNT(*) AS n FROM ${t("pending")} WHERE sink = ?`),
      oldestN: db.prepare(`SELECT p.seq AS seq, COALESCE(f.at, 0) AS at FROM ${t("pending")} p LEFT JOIN ${t("flushes")} f ON f.seq = p.seq WHERE p.sink = ? ORDER BY p.seq LIMIT ?`),
      trimTo: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq <= ?`),
      all: db.prepare(`SELECT p.seq AS seq, f.at AS at, f.samples AS samples FROM ${t("pending")} p LEFT JOIN ${t("flushes")} f ON f.seq = p.seq WHERE p.sink = ? ORDER BY p.seq`),
      dead: db.prepare(`INSERT INTO ${t("dead_letters")} (sink, at, failed_at, status, message) VALUES (?, ?, ?, ?, ?)`),
      // A sink that refuses everything (a revoked token) must not grow the file without bound.
      trimDead: db.prepare(`DELETE FROM ${t("dead_letters")} WHERE id <= (SELECT MAX(id) FROM ${t("dead_letters")}) - 1000`),
    };
    // Destinations removed from the configuration: what waited for them can never be sent.
    const known = new Set(o.destinations);
    this.removedSinks = (db.prepare(`SELECT DISTINCT sink FROM ${t("pending")}`).all() as { sink: string }[]).map((r) => r.sink).filter((s) => !known.has(s));
    db.transaction(() => {
      for (const s of this.removedSinks) db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ?`).run(s);
      this.st.orphans.run();
    })();
    for (const s of o.destinations) this.counts.set(s, (this.st.count.get(s) as { n: number }).n);
    this.addTx = db.transaction((item: T, names: string[]) => {
      const seq = Number(this.st.insertFlush.run(this.codec.at(item), this.codec.encode(item)).lastInsertRowid);
      const dropped: Record<string, number> = {};
      const shed: ShedRow<T>[] = [];
      for (const s of names) {
        this.st.insertPending.run(s, seq);
        const n = (this.counts.get(s) ?? 0) + 1;
        this.counts.set(s, n);
        if (n <= this.maxPending) continue;
        const gone = this.shedRows(s, n - this.maxPending);
        if (gone.length === 0) continue;
        dropped[s] = gone.length;
        this.counts.set(s, n - gone.length);
        shed.push(...gone);
      }
      if (shed.length > 0) {
        this.st.orphans.run();
        this.cache = null;
      }
      return { seq, dropped, shed };
    });
  }

  /**
   * Stores an item for the given destinations; returns its sequence and what the bound removed
   * (counts per destination, and each row with its reason).
   */
  add(item: T, destinations: string[]): { seq: number; dropped: Record<string, number>; shed: ShedRow<T>[] } {
    const counts = new Map(this.counts);
    try {
      return this.addTx(item, destinations);
    } catch (e) {
      // The transaction rolled back: so do the in-memory counts.
      for (const [k, v] of counts) this.counts.set(k, v);
      throw e;
    }
  }

  pending(destination: string): number {
    return this.counts.get(destination) ?? 0;
  }

  /** Room left before the bound sheds anything. */
  room(destination: string): number {
    return Math.max(0, this.maxPending - this.pending(destination));
  }

  oldest(destination: string): OutboxRow<T> | undefined {
    return this.read((this.st.oldest.get(destination) as { seq: number } | undefined)?.seq);
  }

  newest(destination: string): OutboxRow<T> | undefined {
    return this.read((this.st.newest.get(destination) as { seq: number } | undefined)?.seq);
  }

  /** Every pending row of a destination, oldest first (decoded; the shedding policy's view). */
  rows(destination: string): OutboxRow<T>[] {
    return (this.st.all.all(destination) as { seq: number; at: number | null; samples: Buffer | null }[]).map((r) => this.decodeRow(r.seq, r.at, r.samples));
  }

  /** Delivered (or dead-lettered): the destination no longer waits for it. */
  done(destination: string, seq: number): void {
    this.db.transaction(() => {
      const n = this.st.deletePending.run(destination, seq).changes;
      this.counts.set(destination, Math.max(0, this.pending(destination) - n));
      this.st.orphan.run(seq, seq);
    })();
  }

  /** Latest-only destinations: every item before `seq` is superseded by it. */
  supersede(destination: string, seq: number): number {
    const n = this.st.deleteOlder.run(destination, seq).changes;
    if (n > 0) {
      this.counts.set(destination, Math.max(0, this.pending(destination) - n));
      this.st.orphans.run();
    }
    return n;
  }

  /**
   * Records an item that will never be delivered (refused, unbuildable, undecodable) and removes
   * it. The last 1,000 are kept, with their time and reason, not their content.
   */
  deadLetter(destination: string, row: { seq: number; at: number }, status: number, message: string): void {
    this.db.transaction(() => {
      this.st.dead.run(destination, row.at, Date.now(), status, message.slice(0, 2000));
      this.st.trimDead.run();
      this.done(destination, row.seq);
    })();
  }

  private shedRows(destination: string, excess: number): ShedRow<T>[] {
    if (!this.shed) {
      const rows = this.st.oldestN.all(destination, excess) as { seq: number; at: number }[];
      if (rows.length === 0) return [];
      this.st.trimTo.run(destination, rows[rows.length - 1].seq);
      return rows.map((r) => ({ destination, seq: r.seq, at: r.at, reason: "cap" }));
    }
    const pending = this.rows(destination);
    const bySeq = new Map(pending.map((r) => [r.seq, r]));
    const out: ShedRow<T>[] = [];
    for (const { seq, reason } of this.shed(pending, excess)) {
      const r = bySeq.get(seq);
      if (!r || this.st.deletePending.run(destination, seq).changes === 0) continue;
      bySeq.delete(seq);
      out.push({ destination, seq, at: r.at, reason, ...(r.item === undefined ? {} : { item: r.item }) });
    }
    return out;
  }

  private read(seq: number | undefined): OutboxRow<T> | undefined {
    if (seq === undefined) return undefined;
    if (this.cache?.seq === seq) return this.cache;
    const row = this.st.row.get(seq) as { at: number; samples: Buffer } | undefined;
    this.cache = this.decodeRow(seq, row?.at ?? null, row?.samples ?? null);
    return this.cache;
  }

  private decodeRow(seq: number, at: number | null, bytes: Buffer | null): OutboxRow<T> {
    if (bytes === null) return { seq, at: at ?? 0, error: `${this.codec.name}: stored item ${seq} is missing` };
    try {
      return { seq, at: at ?? 0, item: this.codec.decode(bytes) };
    } catch (e) {
      return { seq, at: at ?? 0, error: `${this.codec.name} v${this.codec.version} cannot read stored item ${seq}: ${(e as Error).message}` };
    }
  }
}
