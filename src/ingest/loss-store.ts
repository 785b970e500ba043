/**
 * The loss detector's intervals in the state file (same connection: the store holds its lock),
 * written in the transaction of each batch: the counts of an interval are those of the events the
 * same transaction logs, so after a crash both sides of every comparison are as they were.
 */
import type Database from "better-sqlite3";
import type { Logger } from "../util/log.js";
import { LossDetector, type ChaseSettings, type IntervalRecord } from "./loss-detector.js";

const isCounts = (c: unknown) => typeof c === "object" && c !== null && ["offered", "answered", "abandoned", "flowout"].every((k) => Number.isInteger((c as Record<string, unknown>)[k]));

/** A stored record, checked; null when it does not decode (the row is then dropped, and said). */
function decode(text: string): IntervalRecord | null {
  try {
    const r = JSON.parse(text) as IntervalRecord;
    if (!isCounts(r.ours) || (r.theirs !== null && typeof r.theirs !== "object")) return null;
    if (r.chase !== null && !(typeof r.chase === "object" && Number.isInteger(r.chase.attempts) && Number.isFinite(r.chase.nextAt))) return null;
    return r;
  } catch {
    return null;
  }
}

export class LossStore {
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  /** Changes not yet committed: kept until a transaction that wrote them succeeded. */
  private readonly unwritten = new Map<string, IntervalRecord | null>();

  constructor(private readonly db: Database.Database) {
    db.exec("CREATE TABLE IF NOT EXISTS loss_intervals (key TEXT PRIMARY KEY, record TEXT NOT NULL)");
    this.upsert = db.prepare("INSERT INTO loss_intervals (key, record) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET record = excluded.record");
    this.remove = db.prepare("DELETE FROM loss_intervals WHERE key = ?");
  }

  /** Every stored interval; rows that do not decode are returned apart (to be said), and deleted. */
  load(): { records: [string, IntervalRecord][]; bad: string[] } {
    const records: [string, IntervalRecord][] = [];
    const bad: string[] = [];
    for (const row of this.db.prepare("SELECT key, record FROM loss_intervals").all() as { key: string; record: string }[]) {
      const r = decode(row.record);
      if (r) records.push([row.key, r]);
      else {
        bad.push(row.key.replaceAll("\u0000", "/"));
        this.remove.run(row.key);
      }
    }
    return { records, bad };
  }

  /** For StateStore.addCommitParticipant: `d`'s changes go with each batch. */
  commitParticipant(d: LossDetector): { write(): void; committed(): void } {
    return {
      write: () => {
        for (const [k, r] of d.takeDirty()) this.unwritten.set(k, r);
        for (const [k, r] of this.unwritten) {
          if (r === null) this.remove.run(k);
          else this.upsert.run(k, JSON.stringify(r));
        }
      },
      committed: () => this.unwritten.clear(),
    };
  }
}

/** The store and a detector restored from it; unreadable rows are said (`file` names the state file). */
export function openLossDetector(db: Database.Database, file: string, log: Logger, settleMs: number, chase: ChaseSettings): { store: LossStore; detector: LossDetector } {
  const store = new LossStore(db);
  const rows = store.load();
  if (rows.bad.length > 0) log.error({ intervals: rows.bad.slice(0, 20), count: rows.bad.length }, `state file ${file}: table loss_intervals: unreadable rows skipped (those intervals are not compared with Genesys')`);
  return { store, detector: new LossDetector(settleMs, chase, rows.records) };
}
