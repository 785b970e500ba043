/**
 * Cumulative histogram of answered waits per queue x media, since the state file began, for
 * PromQL's histogram_quantile across queues (quantile gauges cannot be aggregated).
 *
 * It must agree with the engine's totals after a kill -9, so it is written inside the state
 * store's batch transaction (StateStore.addCommitParticipant): the rows on disk always include
 * exactly the committed events. Events replayed from the log on restart were already in the rows,
 * so only newly counted events are observed (Monitor.ingest).
 */
import type Database from "better-sqlite3";
import { seriesKey, type QueueEvent } from "../domain/queue-event.js";
import { WAIT_BUCKETS, type WaitHistogramValue } from "./samples.js";

interface Entry extends WaitHistogramValue {
  queueId: string;
  mediaType: string;
}

export class WaitHistogram {
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<Entry>();
  private readonly upsert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec("CREATE TABLE IF NOT EXISTS export_wait_histogram (queue_id TEXT NOT NULL, media_type TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (queue_id, media_type))");
    this.upsert = db.prepare("INSERT INTO export_wait_histogram (queue_id, media_type, state) VALUES (?, ?, ?) ON CONFLICT(queue_id, media_type) DO UPDATE SET state = excluded.state");
    for (const r of db.prepare("SELECT queue_id, media_type, state FROM export_wait_histogram").all() as { queue_id: string; media_type: string; state: string }[]) {
      try {
        const st = JSON.parse(r.state) as WaitHistogramValue;
        // A state written with other bucket bounds cannot be re-binned: start that series afresh.
        if (!Array.isArray(st.counts) || st.counts.length !== WAIT_BUCKETS.length + 1) continue;
        this.entries.set(seriesKey(r.queue_id, r.media_type), { queueId: r.queue_id, mediaType: r.media_type, counts: st.counts, sumSeconds: st.sumSeconds });
      } catch {
        // Unreadable row: that series restarts from zero (a counter reset Prometheus handles).
      }
    }
  }

  /** Files a newly counted event (only answered ones with a wait matter). */
  observe(e: QueueEvent): void {
    if (e.kind !== "answered" || e.waitMs === undefined || !Number.isFinite(e.waitMs)) return;
    const key = seriesKey(e.queueId, e.mediaType);
    let h = this.entries.get(key);
    if (!h) this.entries.set(key, (h = { queueId: e.queueId, mediaType: e.mediaType, counts: new Array<number>(WAIT_BUCKETS.length + 1).fill(0), sumSeconds: 0 }));
    const s = Math.max(0, e.waitMs) / 1000;
    for (let i = WAIT_BUCKETS.length - 1; i >= 0 && s <= WAIT_BUCKETS[i]; i--) h.counts[i]++;
    h.counts[WAIT_BUCKETS.length]++;
    h.sumSeconds += s;
    this.dirty.add(h);
  }

  get(queueId: string, mediaType: string): WaitHistogramValue | undefined {
    return this.entries.get(seriesKey(queueId, mediaType));
  }

  /** Called inside the store's batch transaction. */
  write(): void {
    for (const h of this.dirty) this.upsert.run(h.queueId, h.mediaType, JSON.stringify({ counts: h.counts, sumSeconds: h.sumSeconds }));
  }

  /** Called once that transaction committed (a failed one keeps the rows dirty for the next). */
  committed(): void {
    this.dirty.clear();
  }
}
