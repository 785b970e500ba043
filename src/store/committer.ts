/**
 * Batches and checkpoints: newly counted events wait here until the next commit, which writes
 * them with W, the counters and the queue coverage in one transaction; a checkpoint writes the
 * engine's changed series at the log position they include.
 *
 * Nothing is forgotten before it is written: a failed commit keeps its batch for the next one,
 * and a failed checkpoint keeps the series marked changed, so the next checkpoint (which trims
 * the log behind it) still writes them.
 *
 * While commits fail (a full disk, a read-only file) the failure is a standing condition
 * (`failure()`, cleared by the next success), counted, and logged at most once a minute. The
 * batch kept in memory is bounded: once it holds `maxUncommitted` events the committer stops
 * accepting, and what the caller must then do so that no event is lost is this:
 *  1. Check `accepting` before counting an event (before dedup and engine): when false, do not
 *     count it and call `refuse(event)` instead. (`add` past the bound also refuses, but the
 *     engine has counted the event by then and the file will not have it.)
 *  2. While `refusedSince` is not null, treat it as an open gap: do not move W (neither from the
 *     stream nor from a settled backfill) and do not prune identities. The committer also
 *     never commits W past the oldest refused event, so a restart backfills from there.
 *  3. When `accepting` again with no `failure()`, backfill from min(W, refusedSince), as after
 *     a stream gap; once that backfill has settled (and been committed), call `clearRefused()`.
 */
import type { Engine } from "../aggregate/engine.js";
import type { QueueEvent } from "../domain/queue-event.js";
import { systemClock, type Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { ThrottledLog } from "../util/throttled-log.js";
import { classify, type StateErrorKind } from "./state-errors.js";
import type { Batch, StateStore } from "./state-store.js";

/**
 * A minute of a large organization's events: 3.6 million calls an hour (the engine bench's top
 * load) is 60,000 calls a minute, each offered and ended. About 40 MB of events in memory.
 */
export const DEFAULT_MAX_UNCOMMITTED = 120_000;

export interface CommitterOptions {
  /** Uncommitted events kept at most; past it events are refused (default DEFAULT_MAX_UNCOMMITTED). */
  maxUncommitted?: number;
  /** The monitor's clock, for `failure().since`. */
  clock?: Clock;
  /** Real time, for rate-limiting the log (default Date.now). */
  logNow?: () => number;
  /** At most one line per failure kind in this many real ms (default one minute). */
  logIntervalMs?: number;
}

export type StateOperation = "commit" | "checkpoint";

/** A standing failure to write the state file. */
export interface StateFailure {
  operation: StateOperation;
  /** When the first of the consecutive failures happened (monitor clock, epoch ms). */
  since: number;
  file: string;
  /** The last failure's message (it names the file and what was written). */
  error: string;
  kind: StateErrorKind;
  consecutive: number;
}

export class Committer {
  private pending: { id?: string; event: QueueEvent }[] = [];
  commitFailures = 0;
  checkpointFailures = 0;
  /** Events not taken because the uncommitted batch was full (`refuse`, or `add` past the bound). */
  uncommittedRefused = 0;
  private refusedFrom: number | null = null;
  private readonly failing = new Map<StateOperation, StateFailure>();
  private readonly maxUncommitted: number;
  private readonly clock: Clock;
  private readonly throttled: ThrottledLog;

  constructor(
    private readonly store: StateStore,
    private readonly engine: Engine,
    private readonly log: Logger,
    opts: CommitterOptions = {},
  ) {
    this.maxUncommitted = opts.maxUncommitted ?? DEFAULT_MAX_UNCOMMITTED;
    if (!(Number.isInteger(this.maxUncommitted) && this.maxUncommitted > 0)) throw new RangeError(`maxUncommitted must be a positive integer, got ${this.maxUncommitted}`);
    this.clock = opts.clock ?? systemClock;
    this.throttled = new ThrottledLog(log, { intervalMs: opts.logIntervalMs ?? 60_000, now: opts.logNow });
  }

  /** False once the uncommitted batch is full: the caller stops counting (see the file's comment). */
  get accepting(): boolean {
    return this.pending.length < this.maxUncommitted;
  }

  /** The oldest event time refused since the last `clearRefused`, or null. */
  get refusedSince(): number | null {
    return this.refusedFrom;
  }

  /** @returns false when refused (the batch is full): counted, and W is held before it */
  add(id: string, event: QueueEvent): boolean {
    if (!this.accepting) return this.refuse(event);
    this.pending.push({ id, event });
    return true;
  }

  /** An event under its own stored identity (`storedIdentity`), which the store derives. */
  addOwn(event: QueueEvent): boolean {
    if (!this.accepting) return this.refuse(event);
    this.pending.push({ event });
    return true;
  }

  /** The caller did not count `event` because the committer was not accepting. @returns false */
  refuse(event: QueueEvent): false {
    this.uncommittedRefused++;
    if (this.refusedFrom === null || event.time < this.refusedFrom) this.refusedFrom = event.time;
    const f = this.failure();
    this.throttled.error(
      "refused",
      { uncommitted: this.pending.length, refused: this.uncommittedRefused, refusedSince: new Date(this.refusedFrom).toISOString(), file: this.store.file, kind: f?.kind, err: f?.error },
      "state file cannot take more events: new events are refused until commits succeed again; the watermark is held before them, so a backfill counts them later",
    );
    return false;
  }

  /** Every refused event has been counted again by a settled backfill: W may move past them. */
  clearRefused(): void {
    if (this.refusedFrom === null) return;
    const unlogged = this.throttled.clear("refused")?.suppressed ?? 0;
    this.log.info({ refusedSince: new Date(this.refusedFrom).toISOString(), refused: this.uncommittedRefused, unlogged }, "refused events backfilled; the watermark moves again");
    this.refusedFrom = null;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** The standing failure (commit before checkpoint), or null while the state file is written. */
  failure(): StateFailure | null {
    const f = this.failing.get("commit") ?? this.failing.get("checkpoint");
    return f ? { ...f } : null;
  }

  /** One transaction: the pending events (the log), their identities, W, counters, meta. */
  commit(state: Omit<Batch, "events">): boolean {
    const events = this.pending;
    this.pending = [];
    // Never past a refused event: a restart then backfills from it.
    const watermark = state.watermark !== null && this.refusedFrom !== null ? Math.min(state.watermark, this.refusedFrom) : state.watermark;
    try {
      this.store.commit({ ...state, watermark, events });
      this.succeeded("commit");
      return true;
    } catch (e) {
      // Keep the batch: it is retried with the next commit.
      this.pending = events.concat(this.pending);
      this.commitFailures++;
      this.failed("commit", e, { events: events.length, uncommitted: this.pending.length }, "state commit failed; the batch is kept for the next one");
      return false;
    }
  }

  /** Commits, then writes the changed series; skipped while a batch could not land. */
  checkpoint(state: Omit<Batch, "events">): boolean {
    if (!this.commit(state) || this.pending.length > 0) return false;
    try {
      this.engine.persistDirty((series) => this.store.checkpoint(series));
      this.succeeded("checkpoint");
      return true;
    } catch (e) {
      this.checkpointFailures++;
      this.failed("checkpoint", e, {}, "state checkpoint failed; the changed series are kept for the next one");
      return false;
    }
  }

  private failed(op: StateOperation, e: unknown, fields: Record<string, unknown>, msg: string): void {
    const kind = classify(e, this.store.file);
    const error = (e as Error).message;
    let f = this.failing.get(op);
    // A new kind of failure (disk full, then read-only) is logged at once.
    if (f && f.kind !== kind) this.throttled.clear(op);
    if (f) Object.assign(f, { error, kind, consecutive: f.consecutive + 1 });
    else this.failing.set(op, (f = { operation: op, since: this.clock.now(), file: this.store.file, error, kind, consecutive: 1 }));
    this.throttled.error(op, { ...fields, kind, err: error, consecutive: f.consecutive }, msg);
  }

  private succeeded(op: StateOperation): void {
    const f = this.failing.get(op);
    if (!f) return;
    this.failing.delete(op);
    const unlogged = this.throttled.clear(op)?.suppressed ?? 0;
    this.log.info({ operation: op, failures: f.consecutive, since: new Date(f.since).toISOString(), lastError: f.error, unlogged }, `state ${op} succeeds again`);
  }
}
