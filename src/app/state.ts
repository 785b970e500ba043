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
import type { Problems } from "./problems.js";

/** The meta key of the queue coverage (pickups, known, removed). */
export const COVERAGE_KEY = "coverage";

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
  /** Standing problems: a state file that cannot be written is one ("state"). */
  problems: Problems;
  /** Backfills events refused from `from` on; `done` once a settled read covers them. */
  recover: (from: number, done: () => void) => void;
  /** Sources waiting for what they delivered to be committed (EventBridge deletes its messages then). */
  commits?: CommitWaiters;
  clock: Clock;
  log: Logger;
}

export class MonitorState {
  private coverageWritten = -1;
  private recovering = false;

  constructor(private readonly p: StateParts) {}

  /** One transaction: the new events (the log), their identities, W, the counters, the coverage. */
  commit(): void {
    const w = streamWatermark({ ...this.p.stream(), allowanceMs: this.p.allowanceMs });
    if (w !== null) this.p.watermark.advance(w);
    const v = this.p.watermark.version;
    const covered = this.p.commits?.take() ?? [];
    const ok = this.p.committer.commit(this.batchState());
    if (ok) this.coverageWritten = v;
    this.p.commits?.settle(covered, ok);
    this.watch();
  }

  /** Writes the changed series at the current log position (after committing the pending batch). */
  checkpoint(): void {
    const v = this.p.watermark.version;
    const covered = this.p.commits?.take() ?? [];
    if (this.p.committer.checkpoint(this.batchState())) this.coverageWritten = v;
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
    if (this.p.watermark.version !== this.coverageWritten) {
      const { pickups, known, removed } = this.p.watermark.toState();
      meta[COVERAGE_KEY] = JSON.stringify({ pickups, known, removed });
    }
    return { watermark: this.p.watermark.value, counters: { ...this.p.counters, ...this.p.liveCounters() }, meta };
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
