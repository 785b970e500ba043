/**
 * The "now" figures (waiting, interacting, alerting) from observations: messages carry only the
 * metrics that changed, so they are merged per queue and media (never zero-filled) and a full
 * reading goes to the engine.
 */
import type { Engine } from "../aggregate/engine.js";
import { ObservationMerger, type MergedObservation, type ObservationUpdate } from "../normalize/observation.js";

export class NowFigures {
  private readonly merger = new ObservationMerger();

  constructor(
    private readonly engine: Engine,
    /** Told every full reading after the engine (the predictions' interacting counts). */
    private readonly listener?: (queueId: string, mediaType: string, o: MergedObservation) => void,
  ) {}

  observe(u: ObservationUpdate): void {
    const merged = this.merger.merge(u);
    if (!merged) return;
    // The observations query answers for every media type a queue has: one with nothing going on
    // and no series yet is no series (it would list a queue x media nobody called).
    if (merged.waiting === 0 && merged.interacting === 0 && merged.alerting === 0 && this.engine.nowOf(u.queueId, u.mediaType) === null) return;
    this.engine.observe(u.queueId, u.mediaType, merged);
    this.listener?.(u.queueId, u.mediaType, merged);
  }

  /** A queue left the selection: its partial readings must not merge with a later re-add's. */
  forget(queueId: string): void {
    this.merger.forget(queueId);
  }
}
