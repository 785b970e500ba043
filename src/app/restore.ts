/**
 * A start from the state file, in the order that keeps every part consistent with what was
 * committed: W and the queue coverage first (a new file starts W at the business day's start),
 * then only the identities no source can deliver again are left behind (the measured lag's
 * margin and the chases in progress say how far back that is; W learns from where the file still
 * holds them, so no horizon reaches past), the queues' names and
 * service-level goals (the log is replayed with each queue's own threshold), the checkpointed
 * series with the log after them, and the counters. Unreadable rows are said and counted.
 */
import type { Engine } from "../aggregate/engine.js";
import type { Config } from "../config/schema.js";
import { Watermark, type WatermarkState } from "../ingest/watermark.js";
import type { LoadedState, StateStore, StoredPosition } from "../store/state-store.js";
import type { LagTracker } from "../sources/genesys/backfill/lag.js";
import type { Logger } from "../util/log.js";
import { COVERAGE_KEY, identityMargin, LAG_KEY, parseCoverage, parseLag, parseQueues, QUEUES_KEY } from "./state.js";

/** Identities are kept at least this long behind W - overlap (more when the measured lag says so). */
export const DEDUP_MARGIN_MS = 3_600_000;

export interface Restored {
  stored: StoredPosition;
  loaded: LoadedState;
  watermark: Watermark;
  counters: Record<string, number>;
  /** A new state file: the first discovery's queues are covered by W from the day start. */
  fresh: boolean;
}

/** What the identities to load must cover besides W: the measured lag (restored here from the file) and the loss detector's chases. */
export interface Retention {
  lag: LagTracker;
  recoveries: Map<string, number>;
}

export function restoreState(store: StateStore, engine: Engine, config: Config, now: number, log: Logger, retention: Retention): Restored {
  const bf = config.backfill;
  const stored = store.stored();
  let coverage: WatermarkState;
  if (stored.watermark !== null) {
    coverage = { watermark: stored.watermark, pickups: [], known: null, removed: [], ...parseCoverage(config.state.file, stored.meta[COVERAGE_KEY]) };
  } else {
    const w = bf.initial === "today" ? engine.dayStart(now) : now - bf.initial * 60_000;
    coverage = { watermark: w, pickups: [], known: [], removed: [] };
    store.setStartedAt(now);
    log.info({ from: new Date(w).toISOString() }, "new state file; first backfill");
  }
  const watermark = new Watermark(coverage, { overlapMs: bf.overlapSeconds * 1000, marginMs: DEDUP_MARGIN_MS });
  retention.lag.restore(parseLag(stored.meta[LAG_KEY]));
  watermark.setMargin(identityMargin(retention.lag, now));
  watermark.setRecoveries(retention.recoveries);
  const loaded = store.load(watermark.pruneBefore());
  watermark.forgotBefore(loaded.seenFrom);
  for (const q of parseQueues(stored.meta[QUEUES_KEY])) engine.setQueue(q.id, q);
  engine.restore(loaded.series);
  for (const e of loaded.replay) engine.apply(e);
  const counters = { ...loaded.counters };
  for (const p of loaded.problems) log.error({ table: p.table, row: p.row, lost: p.lost }, p.message);
  counters.stateRowsSkipped = (counters.stateRowsSkipped ?? 0) + loaded.problems.length;
  if (stored.watermark !== null) log.info({ watermark: new Date(stored.watermark).toISOString(), series: loaded.series.length, replayed: loaded.replay.length, pickups: coverage.pickups.length }, "state restored; backfilling from the watermark");
  return { stored, loaded, watermark, counters, fresh: stored.watermark === null };
}
