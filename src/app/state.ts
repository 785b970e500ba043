/**
 * What the monitor writes to its state file, and when: each commit puts the newly counted events,
 * W, the counters and the queue coverage in one transaction (W first moves with the stream if it
 * may); a checkpoint writes the changed series; upkeep forgets identities no source can deliver
 * again. Failures are kept for the next turn (nothing is forgotten before it is written).
 */
import type { Engine } from "../aggregate/engine.js";
import type { Pipeline } from "../ingest/pipeline.js";
import { streamWatermark, type Watermark, type WatermarkState } from "../ingest/watermark.js";
import type { CommitWaiters } from "../store/commit-waiters.js";
import type { Committer } from "../store/committer.js";
import type { Batch, StateStore } from "../store/state-store.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { LagTracker } from "../sources/genesys/backfill/lag.js";
import type { MonitoredQueue } from "../sources/genesys/queues.js";
import type { Problems } from "./problems.js";

/** The meta key of the queue coverage (pickups, known, removed). */
export const COVERAGE_KEY = "coverage";
/** The meta key of the monitored queues (names, divisions, service-level goals) as last discovered. */
export const QUEUES_KEY = "queues";
/** The meta key of the measured analytics lag's samples. */
export const LAG_KEY = "analyticsLag";
/** The meta key of the predictions' state (staffing, estimators, scores), written at checkpoints. */
export const OUTLOOK_KEY = "outlook";
/** Identities are kept for this many times the largest measured lag (or the configured margin, if longer). */
const RETENTION_LAGS = 3;

/** How far behind W - overlap identities are kept, as the measured lag asks (the watermark applies the configured floor). */
export const identityMargin = (lag: LagTracker, now: number): number => RETENTION_LAGS * (lag.maxRecent(now) ?? 0);

export interface StateParts {
  store: StateStore;
  committer: Committer;
  engine: Engine;
  watermark: Watermark;
  pipeline: Pipeline;
  counters: Record<string, number>;
  /** Counters kept by this process only, written with the rest (e.g. API errors). */
  liveCounters: () => Record<string, number>;
  /** Where the stream may take W (null: not now). */
  stream: () => { lastFrames: number[]; allLive: boolean; backfillIdle: boolean; initialDone: boolean };
  allowanceMs: number;
  /** The measured analytics lag: persisted with the batches, and it sets the identities' retention. */
  lag: LagTracker;
  /** Standing problems: a state file that cannot be written is one ("state"). */
  problems: Problems;
  /** Backfills events refused from `from` on; `done` once a settled read covers them. */
  recover: (from: number, done: () => void) => void;
  /** Sources waiting for what they delivered to be committed (EventBridge deletes its messages then). */
  commits?: CommitWaiters;
  /** Meta written with each checkpoint only (state too large, or changing too often, for every commit: the predictions). */
  checkpointMeta?: () => Record<string, string>;
  clock: Clock;
  log: Logger;
}

export class MonitorState {
  private coverageWritten = -1;
  private lagWritten = -1;
  /** The queues as last discovered, until a commit has written them. */
  private queuesUnwritten: string | null = null;
  private queuesLast = "";
  private recovering = false;

  constructor(private readonly p: StateParts) {}

  /** One transaction: the new events (the log), their identities, W, the counters, the coverage. */
  commit(): void {
    const w = streamWatermark({ ...this.p.stream(), allowanceMs: this.p.allowanceMs });
    if (w !== null) this.p.watermark.advance(w);
    const v = this.p.watermark.version;
    const l = this.p.lag.version;
    const q = this.queuesUnwritten;
    const covered = this.p.commits?.take() ?? [];
    const ok = this.p.committer.commit(this.batchState());
    if (ok) {
      [this.coverageWritten, this.lagWritten] = [v, l];
      if (this.queuesUnwritten === q) this.queuesUnwritten = null;
    }
    this.p.commits?.settle(covered, ok);
    this.watch();
  }

  /**
   * The queues discovery found: kept in the state file, so that after a restart the log is
   * replayed with each queue's own service-level threshold and name, before discovery answers.
   */
  queuesFound(queues: MonitoredQueue[]): void {
    const text = JSON.stringify(queues.map(({ id, name, divisionId, divisionName, serviceLevels }) => ({ id, name, divisionId, divisionName, serviceLevels })));
    if (text === this.queuesLast) return; // unchanged since the last discovery: nothing to write
    this.queuesLast = text;
    this.queuesUnwritten = text;
  }

  /** Writes the changed series at the current log position (after committing the pending batch). */
  checkpoint(): void {
    const v = this.p.watermark.version;
    const l = this.p.lag.version;
    const covered = this.p.commits?.take() ?? [];
    const batch = this.batchState();
    batch.meta = { ...batch.meta, ...this.p.checkpointMeta?.() };
    if (this.p.committer.checkpoint(batch)) [this.coverageWritten, this.lagWritten] = [v, l];
    // The batch landed unless the commit half failed (a failed series write leaves it committed).
    this.p.commits?.settle(covered, this.p.committer.failure()?.operation !== "commit");
    this.watch();
  }

  /**
   * A state file that cannot be written is a standing problem (/readyz 503, naming the file and
   * the error). Events it refused hold W before them, and are backfilled once it takes events again.
   */
  private watch(): void {
    const { committer, watermark, problems } = this.p;
    const f = committer.failure();
    if (f) problems.raise("state", null, f.error);
    else problems.clear("state");
    const refused = committer.refusedSince;
    if (refused === null) return;
    watermark.hold(Math.min(watermark.held ?? Infinity, refused));
    if (this.recovering || !committer.accepting || f) return;
    this.recovering = true;
    this.p.recover(Math.min(watermark.value, refused), () => {
      committer.clearRefused();
      watermark.hold(null);
      this.recovering = false;
    });
  }

  /** Compacts closed buckets and forgets identities older than any source can deliver again. */
  upkeep(): void {
    this.p.watermark.setMargin(identityMargin(this.p.lag, this.p.clock.now()));
    this.p.engine.maintain();
    const before = this.p.pipeline.prune();
    this.p.watermark.forgetRemovedBefore(this.p.engine.dayStart(this.p.clock.now()));
    try {
      this.p.store.pruneSeen(before);
    } catch (e) {
      this.p.log.warn({ err: (e as Error).message }, "pruning identities failed");
    }
  }

  private batchState(): Omit<Batch, "events"> {
    const meta: Record<string, string> = {};
    if (this.p.lag.version !== this.lagWritten) meta[LAG_KEY] = JSON.stringify(this.p.lag.toState());
    if (this.queuesUnwritten !== null) meta[QUEUES_KEY] = this.queuesUnwritten;
    if (this.p.watermark.version !== this.coverageWritten) {
      const { pickups, known, removed } = this.p.watermark.toState();
      meta[COVERAGE_KEY] = JSON.stringify({ pickups, known, removed });
    }
    return { watermark: this.p.watermark.value, counters: { ...this.p.counters, ...this.p.liveCounters() }, meta };
  }
}

/** The queues as last committed (unreadable or absent: none; discovery fills them in). */
export function parseQueues(text: string | undefined): MonitoredQueue[] {
  if (text === undefined) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((q): q is MonitoredQueue => typeof q?.id === "string" && typeof q?.name === "string" && typeof q?.serviceLevels === "object" && q.serviceLevels !== null) : [];
  } catch {
    return [];
  }
}

/** The lag samples as committed (unreadable: none, the configured guess is used). */
export function parseLag(text: string | undefined): unknown {
  if (text === undefined) return [];
  try {
    return JSON.parse(text);
  } catch {
    return [];
  }
}

/** The coverage as committed (older state files have none: every queue is covered). */
export function parseCoverage(file: string, text: string | undefined): Partial<WatermarkState> {
  if (text === undefined) return {};
  try {
    const c = JSON.parse(text) as Partial<WatermarkState>;
    return { pickups: c.pickups ?? [], known: c.known ?? null, removed: c.removed ?? [] };
  } catch (e) {
    throw new Error(`state file ${file}: meta ${COVERAGE_KEY}: queue coverage is corrupt: ${(e as Error).message}`, { cause: e });
  }
}

/** A meta value as JSON; absent: undefined, unreadable: null (the part starts empty and counts it). */
export function parseMetaJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
