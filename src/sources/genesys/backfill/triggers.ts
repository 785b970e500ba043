/**
 * What asks for a backfill, and what a settled one allows: the stream's gaps (per channel: only
 * the queues a channel carries are re-read when it comes back), the first start, queues that join
 * the selection (their whole day), reconciliation without a gap, and the loss detector's
 * disagreements. A settled read of every queue moves the watermark W; a settled pickup makes its
 * queues ordinary. Decisions only: the runner runs the jobs.
 */
import { AGGREGATE_MS, type Comparison, type IntervalAggregate, type LossDetector } from "../../../ingest/loss-detector.js";
import type { Watermark } from "../../../ingest/watermark.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import type { QueueChange } from "../discovery.js";
import type { BackfillConfig } from "./config.js";
import { newJob, type BackfillJob, type BackfillScheduler } from "./scheduler.js";

/** What the triggers need to know of the stream. */
export interface StreamState {
  /** Every channel is open and subscribed. */
  readonly connected: boolean;
  /** Selected queues no channel has room for: counted from analytics only. */
  unstreamedQueues(): string[];
}

export interface TriggerSettings {
  backfill: BackfillConfig;
  /** Stream latency allowance (clock ms): ranges reach this far past "now". */
  allowanceMs: number;
  /** The configured first guess of the details API's lag (clock ms): a reconciliation's first read waits this long. */
  ingestionDelayMs: () => number;
  /** How long a range must stay unchanged to count as settled (clock ms; the measured lag's horizon). */
  horizonMs: () => number;
  /** A new state file: the first discovery's queues are covered by W from the day start. */
  freshState: boolean;
  /** Start of the business day holding t. */
  dayStart: (t: number) => number;
}

/** Genesys' aggregates of these queues' 30-minute intervals in [from, to) (the aggregates query). */
export type AggregatesSource = (queueIds: string[], from: number, to: number) => Promise<IntervalAggregate[]>;

/** Failed rounds of the aggregates query before the loss detector compares without it. */
const CONFIRM_ATTEMPTS = 5;

/** Reconciliation for queues beyond the channel cap when reconcileMinutes is 0 (they have no other source). */
const UNSTREAMED_RECONCILE_MINUTES = 5;

export class BackfillTriggers {
  /** Channels whose stream broke and has not been backfilled since: name -> last frame (clock). */
  private readonly gaps = new Map<string, number>();
  private initialDone = false;
  private initialScheduled = false;
  /** Clock time up to which reconciliation has been scheduled. */
  private reconciledUntil: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private confirmingNow = false;
  private confirmFailures = 0;
  private confirmNotBefore = 0;
  /** A backfill of events the state file refused: the range it must settle, and what follows. */
  private recovery: { from: number; to: number; done: () => void } | null = null;

  constructor(
    private readonly scheduler: BackfillScheduler,
    private readonly watermark: Watermark,
    private readonly stream: StreamState,
    private readonly clock: Clock,
    private readonly s: TriggerSettings,
    private readonly counters: Record<string, number>,
    private readonly log: Logger,
  ) {
    counters.reconnects ??= 0;
    counters.reconciles ??= 0;
    counters.lossDetectorDifferences ??= 0;
  }

  /** The first backfill has run: figures are complete up to the stream. */
  get initialBackfillDone(): boolean {
    return this.initialDone;
  }

  /** Every gap backfilled (a settling re-query may still be due). */
  get caughtUp(): boolean {
    return this.initialDone && !this.scheduler.catchingUp;
  }

  /** No gap open and no backfill covering one pending: the stream alone may move W. */
  get backfillIdle(): boolean {
    return this.gaps.size === 0 && !this.scheduler.covering;
  }

  start(): void {
    const minutes = this.s.backfill.reconcileMinutes || UNSTREAMED_RECONCILE_MINUTES;
    this.timer = setInterval(() => {
      try {
        this.reconcile();
      } catch (e) {
        this.log.error({ err: (e as Error).message }, "reconciliation failed");
      }
    }, (minutes * 60_000) / this.clock.speed);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  channelDown(channel: string, lastFrameAt: number, reason: string): void {
    this.counters.reconnects++;
    if (!this.gaps.has(channel)) this.gaps.set(channel, lastFrameAt);
    this.log.warn({ channel, lastFrame: new Date(lastFrameAt).toISOString(), reason }, "stream gap opened");
  }

  /**
   * A channel is live. The first time every channel is, the initial backfill (every queue, from
   * W); after a gap, a backfill of that channel's queues from W.
   */
  channelLive(channel: string, queueIds: string[]): void {
    const now = this.clock.now();
    const to = now + this.s.allowanceMs;
    const from = this.watermark.value;
    if (!this.initialScheduled) {
      if (!this.stream.connected) return;
      this.initialScheduled = true;
      this.gaps.clear(); // the first backfill reads up to now, over every queue
      this.scheduler.schedule(newJob({ from, to, readyAt: now, queueIds: null, cause: "initial" }));
      this.log.info({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }, "stream live; first backfill scheduled");
      return;
    }
    if (!this.gaps.delete(channel)) return; // a handover or rollover: no gap
    // (A gap before the first backfill has run merges into it: the merged job reads every queue.)
    this.scheduler.schedule(newJob({ from, to, readyAt: now, queueIds: new Set(queueIds), cause: "gap" }));
    this.log.info({ channel, queues: queueIds.length, from: new Date(from).toISOString(), to: new Date(to).toISOString() }, "channel live again; its queues' gap is backfilled");
  }

  /** Queues that joined the selection after the state began get their whole day, like a first start. */
  queuesChanged(c: QueueChange): void {
    const now = this.clock.now();
    for (const id of c.removed) this.watermark.remove(id, now);
    const picked = this.watermark.select(
      c.found.map((q) => q.id),
      this.s.dayStart(now),
      this.s.freshState && c.first,
    );
    // After a restart, pickups whose backfill had not settled are read again.
    const ids = new Set(c.found.map((q) => q.id));
    const pickups = c.first ? this.watermark.pendingPickups().filter(([q]) => ids.has(q)) : picked;
    if (pickups.length === 0) return;
    const from = Math.min(...pickups.map(([, f]) => f));
    this.scheduler.schedule(newJob({ from, to: now + this.s.allowanceMs, readyAt: now, queueIds: new Set(pickups.map(([q]) => q)), cause: "pickup" }));
    const names = new Map(c.found.map((q) => [q.id, q.name]));
    this.log.info({ queues: pickups.map(([q]) => names.get(q) ?? q), from: new Date(from).toISOString() }, "queues joined the selection; their day is backfilled");
  }

  /**
   * Re-read recent minutes once the ingestion delay has passed, so a notification the service
   * left out is still counted (dedup drops what the stream had). With reconciliation off, only
   * the queues no channel carries are re-read. It keeps its rhythm while a gap's job settles (a
   * re-read does not wait behind one); only a gap not yet read at all comes first.
   */
  reconcile(): void {
    if (!this.stream.connected || !this.caughtUp) return;
    const minutes = this.s.backfill.reconcileMinutes;
    const unstreamed = this.stream.unstreamedQueues();
    if (minutes === 0 && unstreamed.length === 0) return;
    const now = this.clock.now();
    const span = (minutes || UNSTREAMED_RECONCILE_MINUTES) * 60_000;
    // Each pass starts where the previous one (or the last settled backfill) ended, so a turn
    // skipped while a backfill was busy leaves no hole, and reaches a settle horizon further back
    // behind W: versions that appear late are read there, and their lag measured.
    const from = Math.min(this.reconciledUntil ?? now, now - span, this.watermark.value) - this.s.horizonMs();
    this.reconciledUntil = now;
    this.counters.reconciles++;
    const queueIds = minutes > 0 ? null : new Set(unstreamed);
    this.scheduler.schedule(newJob({ from, to: now, readyAt: now + this.s.ingestionDelayMs(), queueIds, cause: "reconcile" }));
  }

  /**
   * The loss detector's turn: closed intervals compared with Genesys' own counts once no pass
   * still to come touches them. Where Genesys counted more the interval is re-read for that
   * queue (one pass), again and again with growing pauses (the missing version may come late).
   * Until an interval is compared, and while it is chased, its queue's identities are kept from
   * its start.
   */
  checkLoss(detector: LossDetector, monitored: (queueId: string) => boolean, aggregates?: AggregatesSource): Comparison[] {
    if (!this.stream.connected || !this.caughtUp) return []; // a gap's events are still on their way
    const now = this.clock.now();
    const touched = (q: string, from: number, to: number) => this.scheduler.touches(q, from, to);
    const confirming = aggregates !== undefined && this.confirmFailures < CONFIRM_ATTEMPTS;
    if (confirming) void this.confirm(detector, aggregates, detector.unconfirmed(now, touched).filter(([q]) => monitored(q)));
    const { compared, reread } = detector.due(now, touched, confirming);
    for (const c of compared) {
      if (c.status === "agree") continue;
      const what = { queueId: c.queueId, mediaType: c.mediaType, interval: `${c.start}/${c.end}`, genesys: c.genesys, monitor: c.monitor, chases: c.chases };
      if (c.chases === 0) this.counters.lossDetectorDifferences++;
      if (c.status === "ours-higher") this.log.info(what, "counts differ from Genesys' own for a closed interval (ours are higher: nothing to recover)");
      else if (c.status === "chasing") this.log.warn(what, c.chases === 0 ? "Genesys counted more for a closed interval; re-reading it" : "Genesys still counts more for this interval; re-reading it again later");
      else if (c.status === "recovered") this.log.info(what, "the interval's missing events were recovered: counts agree with Genesys' now");
      else if (c.status === "edge") this.log.info(what, "counts differ at the interval's edge only (its neighbours balance it): nothing was lost");
      else {
        this.counters.lossUnrecovered = (this.counters.lossUnrecovered ?? 0) + 1;
        this.log.error(what, "Genesys counts more for this interval and re-reading it never found the difference: these events are not counted");
      }
    }
    for (const [queueId, from, to] of reread) {
      if (!monitored(queueId)) continue;
      this.scheduler.schedule(newJob({ from, to, readyAt: now, queueIds: new Set([queueId]), cause: "loss" }));
    }
    this.watermark.setRecoveries(detector.holding(monitored));
    return compared;
  }

  /**
   * Asks Genesys' aggregates query for intervals about to be compared (one query per interval
   * and 50 queues), one round at a time. A refusal no retry fixes (403, 404) leaves the topic's
   * readings alone, said once; transient failures retry on later turns, CONFIRM_ATTEMPTS times.
   */
  private async confirm(detector: LossDetector, aggregates: AggregatesSource, keys: [string, string, number][]): Promise<void> {
    if (this.confirmingNow || keys.length === 0 || Date.now() < this.confirmNotBefore) return;
    this.confirmingNow = true;
    try {
      const byStart = new Map<number, [string, string, number][]>();
      for (const k of keys) byStart.set(k[2], [...(byStart.get(k[2]) ?? []), k]);
      for (const [start, ks] of byStart) {
        const aggs = await aggregates([...new Set(ks.map(([q]) => q))], start, start + AGGREGATE_MS);
        detector.confirm(ks, aggs);
      }
      this.confirmFailures = 0;
    } catch (e) {
      const permanent = (e as { permanent?: unknown }).permanent === true;
      this.confirmFailures = permanent ? CONFIRM_ATTEMPTS : this.confirmFailures + 1;
      this.confirmNotBefore = Date.now() + 30_000;
      this.log[permanent || this.confirmFailures >= CONFIRM_ATTEMPTS ? "error" : "warn"](
        { err: (e as Error).message, attempts: this.confirmFailures },
        this.confirmFailures >= CONFIRM_ATTEMPTS ? "Genesys' aggregates query is not available: the loss detector compares with the observation topic's aggregates alone" : "Genesys' aggregates query failed; retrying before comparing",
      );
    } finally {
      this.confirmingNow = false;
    }
  }

  /**
   * Events from `from` on were refused (the state file could not take them): read every queue
   * back from there; `done` runs once a settled read of every queue covers the range.
   */
  recoverRefused(from: number, done: () => void): void {
    const now = this.clock.now();
    const to = now + this.s.allowanceMs;
    this.recovery = { from, to, done };
    this.scheduler.schedule(newJob({ from, to, readyAt: now, queueIds: null, cause: "refused" }));
    this.log.warn({ from: new Date(from).toISOString() }, "the state file takes events again; the refused ones are backfilled");
  }

  /** A pass succeeded: the first backfill is done once a covering pass over every queue ran. */
  passed(job: BackfillJob): void {
    if (job.queueIds === null && !job.reread) this.initialDone = true;
  }

  /** A job settled for these queues: pickups become ordinary, and a read of every queue may move W. */
  settled(job: BackfillJob, queueIds: string[]): void {
    this.watermark.settled(queueIds);
    if (job.queueIds !== null) return;
    const r = this.recovery;
    if (r && job.from <= r.from && job.to >= r.to) {
      this.recovery = null;
      r.done();
    }
    this.reconciledUntil = Math.max(this.reconciledUntil ?? -Infinity, job.to);
    if (this.gaps.size === 0 && !this.scheduler.covering) this.watermark.advance(job.to);
  }
}
