/**
 * Batches and checkpoints: newly counted events wait here until the next commit, which writes
 * them with W, the counters and the queue coverage in one transaction; a checkpoint writes the
 * engine's changed series at the log position they include.
 *
 * Nothing is forgotten before it is written: a failed commit keeps its batch for the next one,
 * and a failed checkpoint keeps the series marked changed, so the next checkpoint (which trims
 * the log behind it) still writes them.
 */
import type { Engine } from "../aggregate/engine.js";
import type { QueueEvent } from "../domain/queue-event.js";
import type { Logger } from "../util/log.js";
import type { Batch, StateStore } from "./state-store.js";

export class Committer {
  private pending: { id?: string; event: QueueEvent }[] = [];
  commitFailures = 0;
  checkpointFailures = 0;

  constructor(
    private readonly store: StateStore,
    private readonly engine: Engine,
    private readonly log: Logger,
  ) {}

  add(id: string, event: QueueEvent): void {
    this.pending.push({ id, event });
  }

  /** An event under its own stored identity (`storedIdentity`), which the store derives. */
  addOwn(event: QueueEvent): void {
    this.pending.push({ event });
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** One transaction: the pending events (the log), their identities, W, counters, meta. */
  commit(state: Omit<Batch, "events">): boolean {
    const events = this.pending;
    this.pending = [];
    try {
      this.store.commit({ ...state, events });
      return true;
    } catch (e) {
      // Keep the batch: it is retried with the next commit.
      this.pending = events.concat(this.pending);
      this.commitFailures++;
      this.log.error({ err: (e as Error).message, events: events.length }, "state commit failed");
      return false;
    }
  }

  /** Commits, then writes the changed series; skipped while a batch could not land. */
  checkpoint(state: Omit<Batch, "events">): boolean {
    if (!this.commit(state) || this.pending.length > 0) return false;
    try {
      this.engine.persistDirty((series) => this.store.checkpoint(series));
      return true;
    } catch (e) {
      this.checkpointFailures++;
      this.log.error({ err: (e as Error).message }, "state checkpoint failed; the changed series are kept for the next one");
      return false;
    }
  }
}
