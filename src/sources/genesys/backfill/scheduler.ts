/**
 * Backfill scheduling: which range to re-read from analytics, when, and when a range counts as
 * settled. Pure decisions (no clock, no I/O); the runner runs the jobs it hands out.
 *
 *  - Two kinds of work. Jobs that cover a gap (the first start, a stream gap, a pickup, events
 *    the state file refused) settle, as below. Re-reads (reconciliation, the loss detector's
 *    chases) are single passes over what W already covers: whatever a pass finds is counted at
 *    once, and the next re-read reads back a horizon again (reconciliation) or the detector
 *    compares again and decides (a chase), so re-reads need no settling of their own. Each kind
 *    has one pending slot: a new need merges into it (union of ranges and queues), so bursts cost
 *    one query. One pass runs at a time, a covering job's first.
 *  - A settling job may wait a horizon between passes (an hour, where the lag was measured that
 *    long); re-reads never wait behind it, so reconciliation keeps its rhythm and a chase its
 *    pauses.
 *  - A job first runs an *immediate* pass, as soon as the stream is back. The details API lags
 *    behind, so *settling* passes re-read the range until it has stayed the same for longer than
 *    the settle horizon: the margin times the largest lag measured recently (./lag.ts), never less
 *    than the configured guess. Precisely: settled once a pass finds the API caught up with the
 *    stream (`apiCaughtUp`), the range unchanged since a pass at least a horizon ago, and the
 *    range's end at least a horizon in the past; at most `maxSettlePasses` settling passes.
 *  - A failed pass is retried as an immediate pass after a backoff.
 *  - Long ranges (a first start's whole day, a long outage): what ended long before the immediate
 *    pass was already in the API then, so settling passes re-read only from `settleFrom` = the
 *    immediate pass's time minus a few horizons, not the whole day again (5,000 pages for 500,000
 *    conversations). A version later than that is the reconciliation's and the loss detector's.
 *  - Jobs that cover a gap hold W until they settle; re-reads hold nothing.
 */

export type JobCause = "initial" | "gap" | "pickup" | "reconcile" | "loss" | "retry" | "refused";

export interface BackfillJob {
  /** Range start: events before `from - overlap` are dropped on our side. */
  from: number;
  to: number;
  /** Clock time at which to run. */
  readyAt: number;
  settle: boolean;
  /** null: every monitored queue. */
  queueIds: Set<string> | null;
  /** Real time the gap closed (for "time from reconnect to caught up"). */
  liveAtReal: number;
  attempts: number;
  cause: JobCause;
  /** Settling passes done so far. */
  passes: number;
  /** Identities of the events in the range that the previous pass returned. */
  previous: Set<string> | null;
  /** API pages this job's passes have cost so far. */
  pages: number;
  /** Settling passes read from here (not `from`): see the header. Undefined: the whole range. */
  settleFrom?: number;
  /** Clock time of the pass after which the range's events last changed (or of the first pass). */
  changedAt?: number;
  /** The job covers a gap: W waits for it to settle. */
  covers: boolean;
  /** A re-read: one pass, in the re-read slot (never settles). */
  reread: boolean;
}

export interface SchedulerSettings {
  /** How long a range must stay unchanged to count as settled, now (clock ms; the measured lag's horizon). */
  horizonMs: () => number;
  maxSettlePasses: number;
}

/** Causes whose jobs cover a gap (W waits for them). */
const COVERING: ReadonlySet<JobCause> = new Set(["initial", "gap", "pickup", "refused"]);
/** Causes whose jobs are re-reads of what W covers: single passes (see the header). */
const REREADS: ReadonlySet<JobCause> = new Set(["reconcile", "loss"]);

export type PassOutcome =
  | { kind: "immediate" }
  | { kind: "unsettled"; passes: number; nextAt: number }
  | { kind: "settled"; passes: number; stable: boolean }
  | { kind: "reread" };

/**
 * Whether the details API has ingested up to where it matters: its latest event (`apiFrontier`,
 * over everything a pass returned) reaches the range's end `to`, or, if the stream itself has
 * seen nothing that recent, the latest event the stream saw (`streamFrontier`).
 */
export function apiCaughtUp(apiFrontier: number, streamFrontier: number, to: number): boolean {
  return apiFrontier >= Math.min(to, streamFrontier);
}

export function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** A new job, with no settling history. */
export function newJob(j: Pick<BackfillJob, "from" | "to" | "readyAt" | "queueIds" | "cause"> & Partial<BackfillJob>): BackfillJob {
  const reread = REREADS.has(j.cause);
  return { liveAtReal: Date.now(), attempts: 0, passes: 0, previous: null, pages: 0, ...j, settle: !reread && (j.settle ?? false), covers: COVERING.has(j.cause), reread };
}

export class BackfillScheduler {
  /** The pending covering job (immediate or settling). */
  job: BackfillJob | null = null;
  /** The pending re-read. */
  reread: BackfillJob | null = null;
  running: BackfillJob | null = null;
  /** Jobs scheduled since start, by cause (for self-health). */
  readonly scheduled: Record<JobCause, number> = { initial: 0, gap: 0, pickup: 0, reconcile: 0, loss: 0, retry: 0, refused: 0 };

  constructor(private readonly s: SchedulerSettings) {}

  /** Adds a need, merging it into the pending job. */
  schedule(job: BackfillJob): void {
    this.scheduled[job.cause]++;
    if (job.reread) this.mergeReread(job);
    else this.merge(job);
  }

  /** Re-reads merge into one pass, as soon as either is due. */
  private mergeReread(job: BackfillJob): void {
    const r = this.reread;
    if (!r) {
      this.reread = job;
      return;
    }
    r.from = Math.min(r.from, job.from);
    r.to = Math.max(r.to, job.to);
    r.readyAt = Math.min(r.readyAt, job.readyAt);
    r.queueIds = r.queueIds === null || job.queueIds === null ? null : new Set([...r.queueIds, ...job.queueIds]);
    r.attempts = Math.min(r.attempts, job.attempts);
    r.liveAtReal = Math.max(r.liveAtReal, job.liveAtReal);
    // Reconciliation's name wins: its pass reads every queue and is counted as one.
    if (job.cause === "reconcile") r.cause = "reconcile";
  }

  private merge(job: BackfillJob): void {
    const j = this.job;
    if (!j) {
      this.job = job;
      return;
    }
    // A merged job settles only if both did; an unsettled pass re-reads the whole merged range,
    // so nothing an earlier settling job covered is lost. Its settling evidence starts over.
    const sameRange = j.from === job.from && j.to === job.to && j.queueIds === null && job.queueIds === null && j.settleFrom === job.settleFrom;
    // The merged job's narrowed window covers both jobs' windows.
    const settleFrom = Math.min(j.settleFrom ?? j.from, job.settleFrom ?? job.from);
    j.from = Math.min(j.from, job.from);
    j.settleFrom = settleFrom > j.from ? settleFrom : undefined;
    j.to = Math.max(j.to, job.to);
    j.settle = j.settle && job.settle;
    j.readyAt = j.settle ? Math.max(j.readyAt, job.readyAt) : Math.min(j.readyAt, job.readyAt);
    j.liveAtReal = Math.max(j.liveAtReal, job.liveAtReal);
    j.queueIds = j.queueIds === null || job.queueIds === null ? null : new Set([...j.queueIds, ...job.queueIds]);
    j.attempts = Math.min(j.attempts, job.attempts);
    j.pages += job.pages;
    j.covers = j.covers || job.covers;
    if (job.changedAt !== undefined) j.changedAt = Math.max(j.changedAt ?? -Infinity, job.changedAt);
    if (!sameRange || !j.settle) {
      j.passes = 0;
      j.previous = null;
      j.changedAt = undefined;
    }
  }

  /** The job to run now, if one is due and none is running (a covering job first); it is then `running`. */
  take(now: number): BackfillJob | null {
    if (this.running) return null;
    const due = (j: BackfillJob | null): j is BackfillJob => j !== null && now >= j.readyAt;
    const j = due(this.job) ? this.job : due(this.reread) ? this.reread : null;
    if (!j) return null;
    if (j === this.job) this.job = null;
    else this.reread = null;
    this.running = j;
    return j;
  }

  /**
   * A pass over `job` returned `seen` (identities of the events in its range), queried at
   * `queriedAt` (clock); `caughtUp`: see apiCaughtUp. Decides what follows: a settling pass,
   * another one, or settled.
   */
  succeeded(job: BackfillJob, seen: Set<string>, queriedAt: number, caughtUp = true): PassOutcome {
    this.running = null;
    if (job.reread) return { kind: "reread" };
    const h = this.s.horizonMs();
    if (!job.settle) {
      // What ended a few horizons before this pass was in the API already: settling re-reads only the rest.
      const horizon = queriedAt - 4 * h;
      const narrowNow = job.settleFrom === undefined && job.from < horizon;
      const settleFrom = narrowNow ? horizon : job.settleFrom;
      this.merge({ ...job, settle: true, readyAt: Math.max(queriedAt, job.to + h), attempts: 0, passes: 0, previous: narrowNow ? null : seen, changedAt: queriedAt, settleFrom });
      return { kind: "immediate" };
    }
    const passes = job.passes + 1;
    const changed = job.previous === null || !sameSet(job.previous, seen);
    const changedAt = changed ? queriedAt : (job.changedAt ?? queriedAt);
    const quiet = queriedAt - changedAt >= h && queriedAt - job.to >= h;
    const stable = caughtUp && !changed && quiet;
    if (stable || passes >= this.s.maxSettlePasses) return { kind: "settled", passes, stable };
    // Not yet: read again once the range could have stayed unchanged for a whole horizon.
    const nextAt = Math.max(queriedAt + Math.min(h, 1000), changedAt + h, job.to + h);
    this.merge({ ...job, readyAt: nextAt, passes, previous: seen, changedAt });
    return { kind: "unsettled", passes, nextAt };
  }

  /** The pass failed; it runs again (as an immediate pass) at `retryAt`. */
  failed(job: BackfillJob, retryAt: number): void {
    this.running = null;
    this.scheduled.retry++;
    if (job.reread) this.mergeReread({ ...job, readyAt: retryAt, attempts: job.attempts + 1 });
    else this.merge({ ...job, settle: false, readyAt: retryAt, attempts: job.attempts + 1, passes: 0, previous: null, cause: "retry" });
  }

  /** A job covering a gap is pending or running: W waits. */
  get covering(): boolean {
    return this.job?.covers === true || this.running?.covers === true;
  }

  /**
   * A pass still to come may count events of this queue in [from, to): a running job, a pending
   * re-read, or a covering job whose range has not been read since it was scheduled or merged.
   * A settling job waiting for its next pass has read the range already: what it may still find
   * came late, which is the loss detector's to chase, not to wait a horizon for.
   */
  touches(queueId: string, from: number, to: number): boolean {
    const t = (j: BackfillJob | null) => j !== null && j.from < to && j.to >= from && (j.queueIds === null || j.queueIds.has(queueId));
    return t(this.running) || t(this.reread) || (t(this.job) && this.job!.changedAt === undefined);
  }

  /** A gap is known and its immediate pass has not run yet (or is running). */
  get catchingUp(): boolean {
    const unsettled = (j: BackfillJob | null) => j !== null && !j.settle && !j.reread;
    return unsettled(this.job) || unsettled(this.running);
  }
}
