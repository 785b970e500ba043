/**
 * The durable outbox: flushes waiting for a sink, in the monitor's SQLite state file (same
 * connection: the store holds the file's exclusive lock). A flush is stored once (gzip'd samples
 * with their monitor-clock time) and referenced by one pending row per sink, so a slow sink costs
 * one row per flush, not one copy of the figures. Rows survive restarts and outages, keep their
 * timestamps, and drain oldest first. Each sink keeps at most `maxPending` flushes: beyond it the
 * oldest are dropped, and the caller counts and logs them.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type Database from "better-sqlite3";
import { extraLabels, labelSet } from "../sinks/labels.js";
import { FrameFlush, QueueFrame, type Flush, type Sample } from "../sinks/samples.js";

/** Version 1: one [family, name, labels, value] per sample (rows written before issue 12). */
type Packed = { at: number; samples: [string, string, Record<string, string>, number][] };

export interface OutboxItem {
  seq: number;
  flush: Flush;
}

export class Outbox {
  private readonly counts = new Map<string, number>();
  private cache: OutboxItem | null = null;
  private readonly st: Record<"insertFlush" | "insertPending" | "oldest" | "newest" | "deletePending" | "deleteOlder" | "orphans" | "orphan" | "flush" | "count" | "trim" | "dead" | "trimDead", Database.Statement>;
  private readonly addTx: (flush: Flush, sinks: string[]) => { seq: number; dropped: Record<string, number> };

  constructor(
    private readonly db: Database.Database,
    sinks: string[],
    private readonly maxPending: number,
    // alerting hook (issue 10): PagerDuty events use their own tables ("alert_..."), so neither
    // outbox discards the other's rows as waiting for a sink it does not know.
    prefix: "export" | "alert" = "export",
  ) {
    const t = (name: string) => `${prefix}_${name}`;
    db.exec(`
      CREATE TABLE IF NOT EXISTS export_flushes (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, samples BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS export_pending (sink TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (sink, seq)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS export_pending_seq ON export_pending (seq);
      CREATE TABLE IF NOT EXISTS export_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, at INTEGER NOT NULL,
        failed_at INTEGER NOT NULL, status INTEGER NOT NULL, message TEXT NOT NULL);
    `.replaceAll("export_", `${prefix}_`));
    this.st = {
      insertFlush: db.prepare(`INSERT INTO ${t("flushes")} (at, samples) VALUES (?, ?)`),
      insertPending: db.prepare(`INSERT INTO ${t("pending")} (sink, seq) VALUES (?, ?)`),
      oldest: db.prepare(`SELECT seq FROM ${t("pending")} WHERE sink = ? ORDER BY seq LIMIT 1`),
      newest: db.prepare(`SELECT seq FROM ${t("pending")} WHERE sink = ? ORDER BY seq DESC LIMIT 1`),
      deletePending: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq = ?`),
      deleteOlder: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq < ?`),
      orphans: db.prepare(`DELETE FROM ${t("flushes")} WHERE seq NOT IN (SELECT seq FROM ${t("pending")})`),
      orphan: db.prepare(`DELETE FROM ${t("flushes")} WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM ${t("pending")} WHERE seq = ?)`),
      flush: db.prepare(`SELECT at, samples FROM ${t("flushes")} WHERE seq = ?`),
      count: db.prepare(`SELECT COUNT(*) AS n FROM ${t("pending")} WHERE sink = ?`),
      trim: db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ? AND seq IN (SELECT seq FROM ${t("pending")} WHERE sink = ? ORDER BY seq LIMIT ?)`),
      dead: db.prepare(`INSERT INTO ${t("dead_letters")} (sink, at, failed_at, status, message) VALUES (?, ?, ?, ?, ?)`),
      // A sink that refuses everything (a revoked token) must not grow the file without bound.
      trimDead: db.prepare(`DELETE FROM ${t("dead_letters")} WHERE id <= (SELECT MAX(id) FROM ${t("dead_letters")}) - 1000`),
    };
    // Sinks removed from the configuration: what waited for them can never be sent.
    const known = new Set(sinks);
    const stale = (db.prepare(`SELECT DISTINCT sink FROM ${t("pending")}`).all() as { sink: string }[]).map((r) => r.sink).filter((s) => !known.has(s));
    this.removedSinks = stale;
    db.transaction(() => {
      for (const s of stale) db.prepare(`DELETE FROM ${t("pending")} WHERE sink = ?`).run(s);
      this.st.orphans.run();
    })();
    for (const s of sinks) this.counts.set(s, (this.st.count.get(s) as { n: number }).n);
    this.addTx = db.transaction((flush: Flush, names: string[]) => {
      const seq = Number(this.st.insertFlush.run(flush.at, pack(flush)).lastInsertRowid);
      const dropped: Record<string, number> = {};
      for (const s of names) {
        this.st.insertPending.run(s, seq);
        const n = (this.counts.get(s) ?? 0) + 1;
        if (n > this.maxPending) {
          dropped[s] = this.st.trim.run(s, s, n - this.maxPending).changes;
          this.counts.set(s, n - dropped[s]);
        } else {
          this.counts.set(s, n);
        }
      }
      if (Object.keys(dropped).length > 0) this.st.orphans.run();
      return { seq, dropped };
    });
  }

  /** Sinks whose waiting flushes were discarded at start because they are no longer configured. */
  readonly removedSinks: string[];

  /** Stores a flush for the given sinks; returns its sequence and what the bound dropped per sink. */
  add(flush: Flush, sinks: string[]): { seq: number; dropped: Record<string, number> } {
    const counts = new Map(this.counts);
    try {
      return this.addTx(flush, sinks);
    } catch (e) {
      // The transaction rolled back: so do the in-memory counts.
      for (const [k, v] of counts) this.counts.set(k, v);
      throw e;
    }
  }

  pending(sink: string): number {
    return this.counts.get(sink) ?? 0;
  }

  oldest(sink: string): OutboxItem | undefined {
    return this.item((this.st.oldest.get(sink) as { seq: number } | undefined)?.seq);
  }

  newest(sink: string): OutboxItem | undefined {
    return this.item((this.st.newest.get(sink) as { seq: number } | undefined)?.seq);
  }

  /** Delivered (or dead-lettered): the sink no longer waits for it. */
  done(sink: string, seq: number): void {
    this.db.transaction(() => {
      const n = this.st.deletePending.run(sink, seq).changes;
      this.counts.set(sink, Math.max(0, this.pending(sink) - n));
      this.st.orphan.run(seq, seq);
    })();
  }

  /** Latest-only sinks: every flush before `seq` is superseded by it. */
  supersede(sink: string, seq: number): number {
    const n = this.st.deleteOlder.run(sink, seq).changes;
    if (n > 0) {
      this.counts.set(sink, Math.max(0, this.pending(sink) - n));
      this.st.orphans.run();
    }
    return n;
  }

  /** Records a refused flush (the last 1,000 refusals are kept, not their figures: they would be refused again). */
  deadLetter(sink: string, item: OutboxItem, status: number, message: string): void {
    this.st.dead.run(sink, item.flush.at, Date.now(), status, message.slice(0, 2000));
    this.st.trimDead.run();
    this.done(sink, item.seq);
  }

  private item(seq: number | undefined): OutboxItem | undefined {
    if (seq === undefined) return undefined;
    if (this.cache?.seq === seq) return this.cache;
    const row = this.st.flush.get(seq) as { at: number; samples: Buffer } | undefined;
    if (!row) return undefined;
    this.cache = { seq, flush: unpack(row.samples) };
    return this.cache;
  }
}

/**
 * Version 2 (issue 12), a FrameFlush: the slots and label sets once, the values as raw doubles
 * (NaN = no data), the service's own samples as in version 1. No object per sample either way,
 * and per-queue label sets come back interned (their encodings already made).
 */
type PackedV2 = {
  v: 2;
  at: number;
  slots: [string, string, Record<string, string> | null][];
  series: Record<string, string>[];
  /** base64 of the Float64Array (little-endian, as written by this machine's typed arrays). */
  values: string;
  rest: Packed["samples"];
};

function pack(flush: Flush): Buffer {
  let p: Packed | PackedV2;
  if (flush instanceof FrameFlush) {
    const f = flush.frame;
    p = {
      v: 2,
      at: flush.at,
      slots: f.slots.map((s) => [s.family, s.name, s.extra ? s.extra.labels : null]),
      series: f.series.map((l) => l.labels),
      values: Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength).toString("base64"),
      rest: flush.rest.map((s) => [s.family, s.name, s.labels, s.value]),
    };
  } else {
    p = { at: flush.at, samples: flush.samples.map((s) => [s.family, s.name, s.labels, s.value]) };
  }
  // Level 1: most of the size win at a fraction of the time (label sets repeat heavily).
  return gzipSync(JSON.stringify(p), { level: 1 });
}

function unpack(b: Buffer): Flush {
  const p = JSON.parse(gunzipSync(b).toString("utf8")) as Packed | PackedV2;
  const samples = (rows: Packed["samples"]) => rows.map(([family, name, labels, value]): Sample => ({ family, name, labels, value }));
  if (!("v" in p)) return { at: p.at, samples: samples(p.samples) };
  const raw = Buffer.from(p.values, "base64");
  const values = new Float64Array(raw.byteLength / 8);
  new Uint8Array(values.buffer).set(raw);
  const slots = p.slots.map(([family, name, extra]) => ({ family, name, extra: extra ? extraLabels(extra) : null }));
  const frame = new QueueFrame(slots, p.series.map((l) => labelSet(l)), values);
  return new FrameFlush(p.at, frame, samples(p.rest));
}
