/**
 * The watermark W and the queues' coverage: which events are known to be counted, and so which
 * may still be admitted. Pure: no clock, no I/O; the service feeds it times and persists its state.
 *
 * Invariants:
 *  - W means "every event before W, of every covered queue, is counted". It never goes back. It
 *    moves with the stream (all channels live, nothing awaiting backfill: the oldest channel's last
 *    frame minus a latency allowance) or when a settled backfill over every queue ends past it.
 *  - A queue that enters the selection after the state began (new, renamed into a pattern, moved
 *    into a division, re-added) is a *pickup*: nothing of it before its floor was ever counted
 *    (the floor is the start of the business day, or the time it last left the selection), so
 *    until its own backfill has settled, its events from the floor on are admitted however old:
 *    the late-event horizon does not apply to it, and the identities of such events are kept.
 *  - The late-event horizon (W - overlap - margin) drops an unseen event older than it: its
 *    identity may have been forgotten, so counting it could count it twice. The margin follows
 *    the details API's measured lag (never less than the configured one), so a late version is
 *    not dropped as too old to tell. Queues with an interval the loss detector has still to
 *    compare or is chasing are held open from that interval (their identities are kept from
 *    there), like pickups.
 *  - The horizon of a queue that is not a pickup never reaches back before `keptFrom`, the time
 *    from which every counted identity is still held (identities are forgotten there, and a
 *    restart loads them only from there): a margin that grows with a newly measured lag, or a
 *    chase that begins after its interval's identities were forgotten, cannot admit an event
 *    that was counted and forgotten. (A pickup's events before its floor were never counted.)
 */

export interface WatermarkState {
  watermark: number;
  /** Queues whose day backfill has not settled yet: queue id -> floor (epoch ms). */
  pickups: [string, number][];
  /** Queues covered by W; null for state files from before coverage was recorded (all are). */
  known: string[] | null;
  /** Queues that left the selection: id -> when (a re-add only needs what came after). */
  removed: [string, number][];
}

export interface WatermarkSettings {
  /** Backfill overlap (ms): backfills re-read this much before W. */
  overlapMs: number;
  /** Extra identity retention behind W - overlap (ms). */
  marginMs: number;
}

/** Where the stream may take W: the oldest live channel's last frame minus the allowance, or null. */
export function streamWatermark(s: { lastFrames: number[]; allLive: boolean; backfillIdle: boolean; initialDone: boolean; allowanceMs: number }): number | null {
  if (!s.allLive || !s.backfillIdle || !s.initialDone || s.lastFrames.length === 0) return null;
  return Math.min(...s.lastFrames) - s.allowanceMs;
}

export class Watermark {
  private w: number;
  private heldAt: number | null = null;
  private marginMs: number;
  /** Every counted identity from here on is held (see the header). */
  private keptFrom = -Infinity;
  /** Queues the loss detector may still re-read: queue id -> start of the earliest such interval. */
  private recoveries = new Map<string, number>();
  private readonly pickups = new Map<string, number>();
  private known: Set<string> | null;
  private readonly removed = new Map<string, number>();
  /** Bumped whenever the coverage (not W) changes, so it is persisted only then. */
  version = 0;

  constructor(
    state: WatermarkState,
    private readonly s: WatermarkSettings,
  ) {
    this.w = state.watermark;
    this.marginMs = s.marginMs;
    for (const [q, f] of state.pickups) this.pickups.set(q, f);
    this.known = state.known === null ? null : new Set(state.known);
    for (const [q, t] of state.removed) this.removed.set(q, t);
  }

  get value(): number {
    return this.w;
  }

  /** Moves W forward to `t` (never back, never past a hold); true when it moved. */
  advance(t: number): boolean {
    const to = this.heldAt === null ? t : Math.min(t, this.heldAt);
    if (!(to > this.w)) return false;
    this.w = to;
    return true;
  }

  /**
   * Keeps W at or before `t` until released (null): events from `t` on were not counted (the
   * state file could not take them) and a backfill must count them first.
   */
  hold(t: number | null): void {
    this.heldAt = t;
  }

  get held(): number | null {
    return this.heldAt;
  }

  /**
   * The queues now selected: those not covered yet become pickups from their floor (start of the
   * business day `dayStart`, or the time they left the selection if later). On the first start of
   * a state file (`initial`), W itself starts at the day start and every queue is covered.
   * @returns the new pickups, [queueId, floor].
   */
  select(selected: string[], dayStart: number, initial: boolean): [string, number][] {
    const out: [string, number][] = [];
    if (initial || this.known === null) {
      this.known = new Set([...(this.known ?? []), ...selected]);
      this.version++;
      return out;
    }
    for (const q of selected) {
      if (this.known.has(q) || this.pickups.has(q)) continue;
      const floor = Math.max(dayStart, this.removed.get(q) ?? -Infinity);
      this.pickups.set(q, floor);
      this.removed.delete(q);
      this.known.add(q);
      out.push([q, floor]);
    }
    if (out.length > 0) this.version++;
    return out;
  }

  /** A queue left the selection at `t`. */
  remove(queueId: string, t: number): void {
    this.known?.delete(queueId);
    this.pickups.delete(queueId);
    this.removed.set(queueId, t);
    this.version++;
  }

  /** The pickups still waiting for their backfill to settle. */
  pendingPickups(): [string, number][] {
    return [...this.pickups];
  }

  isPickup(queueId: string): boolean {
    return this.pickups.has(queueId);
  }

  /** A settled backfill covered these queues from their floor on: they are ordinary queues now. */
  settled(queueIds: Iterable<string>): void {
    for (const q of queueIds) if (this.pickups.delete(q)) this.version++;
  }

  /** Unseen events of this queue older than this are dropped (they may have been counted). */
  horizon(queueId: string): number {
    const held = Math.min(this.w - this.s.overlapMs - this.marginMs, (this.recoveries.get(queueId) ?? Infinity) - this.s.overlapMs);
    const pickup = this.pickups.get(queueId);
    return pickup !== undefined ? Math.min(held, pickup - this.s.overlapMs) : Math.max(this.keptFrom, held);
  }

  /** Identities before `t` were forgotten (or never loaded): no horizon reaches back past it again. */
  forgotBefore(t: number): void {
    if (t > this.keptFrom) this.keptFrom = t;
  }

  /** Identities older than this can be forgotten: no queue's horizon reaches them. */
  pruneBefore(): number {
    let h = this.w - this.s.overlapMs - this.marginMs;
    for (const f of this.pickups.values()) h = Math.min(h, f - this.s.overlapMs);
    for (const f of this.recoveries.values()) h = Math.min(h, f - this.s.overlapMs);
    return h;
  }

  /** Identity retention behind W - overlap: at least the configured margin, more when the measured lag says so. */
  setMargin(ms: number): void {
    this.marginMs = Math.max(this.s.marginMs, ms);
  }

  get margin(): number {
    return this.marginMs;
  }

  /** The queues held open by the loss detector (replaces the previous set). */
  setRecoveries(floors: Map<string, number>): void {
    this.recoveries = floors;
  }

  /** Forgets removal times before `t` (a re-add then starts at the day start anyway). */
  forgetRemovedBefore(t: number): void {
    for (const [q, at] of this.removed) {
      if (at < t) {
        this.removed.delete(q);
        this.version++;
      }
    }
  }

  toState(): WatermarkState {
    return { watermark: this.w, pickups: [...this.pickups], known: this.known === null ? null : [...this.known], removed: [...this.removed] };
  }
}
