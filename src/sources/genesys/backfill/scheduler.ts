/**
 * Backfill scheduling: which range to re-read from analytics, when, and when a range counts as
 * settled. Pure decisions (no clock, no I/O); the service runs the jobs it hands out.
 *
 *  - One job is pending at a time (and one running): a new need merges into the pending job
 *    (union of ranges and queues), so bursts of gaps cost one query.
 *  - A job first runs an *immediate* pass, as soon as the stream is back. The details API lags
 *    behind (ingestion delay), so *settling* passes re-read the whole range after the configured
 *    delay, then twice that, four times ... until the API has evidently caught up, at most
 *    `maxSettlePasses`. The configured delay is a guess; the evidence is (a) the API shows
 *    activity at least as recent as the stream's (up to the range's end: `apiCaughtUp`), and (b)
 *    two consecutive passes return the same events in the range. Two empty passes alone prove
 *    nothing when the lag exceeds the range, hence (a). Only a settled job may move W.
 *  - A failed pass is retried as an immediate pass after a backoff.
 *  - Long ranges (a first start's whole day, a long outage): what ended long before the immediate
 *    pass was already in the API then, so settling passes re-read only from `settleFrom` = the
 *    immediate pass's time minus the longest lag the settling would wait for (ingestion delay x
 *    2^maxSettlePasses), not the whole day again (5,000 pages for 500,000 conversations). The
 *    immediate pass's events cover more than that window, so two narrowed passes must agree.
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
}

export interface SchedulerSettings {
  /** The configured ingestion delay, in clock ms. */
  ingestionDelayMs: number;
  maxSettlePasses: number;
}

export type PassOutcome =
  | { kind: "immediate" }
  | { kind: "unsettled"; passes: number; nextAt: number }
  | { kind: "settled"; passes: number; stable: boolean };

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
  return { settle: false, liveAtReal: Date.now(), attempts: 0, passes: 0, previous: null, pages: 0, ...j };
}

export class BackfillScheduler {
  job: BackfillJob | null = null;
  running: BackfillJob | null = null;
  /** Jobs scheduled since start, by cause (for self-health). */
  readonly scheduled: Record<JobCause, number> = { initial: 0, gap: 0, pickup: 0, reconcile: 0, loss: 0, retry: 0, refused: 0 };

  constructor(private readonly s: SchedulerSettings) {}

  /** Adds a need, merging it into the pending job. */
  schedule(job: BackfillJob): void {
    this.scheduled[job.cause]++;
    this.merge(job);
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
    if (!sameRange || !j.settle) {
      j.passes = 0;
      j.previous = null;
    }
  }

  /** The job to run now, if one is due and none is running; it is then `running`. */
  take(now: number): BackfillJob | null {
    const j = this.job;
    if (!j || this.running || now < j.readyAt) return null;
    this.job = null;
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
    const d = this.s.ingestionDelayMs;
    if (!job.settle) {
      const horizon = queriedAt - d * 2 ** this.s.maxSettlePasses;
      // Narrowed now: this pass read more than the settling passes will, so its events cannot be compared.
      const narrowNow = job.settleFrom === undefined && job.from < horizon;
      const settleFrom = narrowNow ? horizon : job.settleFrom;
      this.merge({ ...job, settle: true, readyAt: Math.max(queriedAt, job.to + d), attempts: 0, passes: 0, previous: narrowNow ? null : seen, settleFrom });
      return { kind: "immediate" };
    }
    const passes = job.passes + 1;
    const stable = caughtUp && job.previous !== null && sameSet(job.previous, seen);
    if (stable || passes >= this.s.maxSettlePasses) return { kind: "settled", passes, stable };
    // Still changing: the API had not caught up. Wait twice as long past the range's end.
    const nextAt = Math.max(queriedAt, job.to + d * 2 ** passes);
    this.merge({ ...job, readyAt: nextAt, passes, previous: seen });
    return { kind: "unsettled", passes, nextAt };
  }

  /** The pass failed; it runs again (as an immediate pass) at `retryAt`. */
  failed(job: BackfillJob, retryAt: number): void {
    this.running = null;
    this.scheduled.retry++;
    this.merge({ ...job, settle: false, readyAt: retryAt, attempts: job.attempts + 1, passes: 0, previous: null, cause: "retry" });
  }

  /** A gap is known and its immediate pass has not run yet (or is running). */
  get catchingUp(): boolean {
    const unsettled = (j: BackfillJob | null) => j !== null && !j.settle;
    return unsettled(this.job) || unsettled(this.running);
  }

  get idle(): boolean {
    return this.job === null && this.running === null;
  }
}
