/**
 * Alert states in the monitor's state file (same connection, whose exclusive lock the store holds).
 * A transition and the PagerDuty event it causes are written in one transaction (the caller's),
 * so after a kill -9 a firing alert is still firing (no second trigger) and its trigger is either
 * both recorded and queued or neither.
 */
import type Database from "better-sqlite3";
import type { AlertState } from "./evaluate.js";

export class AlertStore {
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec("CREATE TABLE IF NOT EXISTS alert_states (dedup_key TEXT PRIMARY KEY, state TEXT NOT NULL)");
    this.upsert = db.prepare("INSERT INTO alert_states (dedup_key, state) VALUES (?, ?) ON CONFLICT(dedup_key) DO UPDATE SET state = excluded.state");
    this.remove = db.prepare("DELETE FROM alert_states WHERE dedup_key = ?");
  }

  /** Every stored state; unreadable rows are skipped and reported. */
  load(): { states: AlertState[]; corrupt: string[] } {
    const states: AlertState[] = [];
    const corrupt: string[] = [];
    for (const row of this.db.prepare("SELECT dedup_key, state FROM alert_states").all() as { dedup_key: string; state: string }[]) {
      try {
        const s = JSON.parse(row.state) as AlertState;
        if (typeof s.state !== "string" || typeof s.since !== "number") throw new Error("bad shape");
        states.push(s);
      } catch {
        corrupt.push(row.dedup_key);
      }
    }
    return { states, corrupt };
  }

  save(s: AlertState): void {
    this.upsert.run(s.dedupKey, JSON.stringify(s));
  }

  delete(key: string): void {
    this.remove.run(key);
  }

  transaction<T>(f: () => T): T {
    return this.db.transaction(f)();
  }
}
