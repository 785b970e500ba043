/**
 * Runs the backfill jobs the scheduler hands out, one at a time: the details query over the job's
 * queues and range, every event through the ingest pipeline (dedup makes re-reads harmless), then
 * the scheduler decides what follows (a settling pass, settled; a re-read is one pass) and the
 * triggers what a settled job allows. A failed pass is retried with backoff; a refusal no retry
 * can fix is a standing problem (logged once a minute) and retried at most once a minute.
 */
import { delayMs, type BackoffOptions } from "../../../delivery/retry.js";
import { HttpError } from "../../../delivery/transport.js";
import type { Pipeline, Seen } from "../../../ingest/pipeline.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import { areaOf, type Problems } from "../../../app/problems.js";
import type { BackfillConfig } from "./config.js";
import { backfill, type DetailsApi } from "./query.js";
import { apiCaughtUp, type BackfillJob, type BackfillScheduler } from "./scheduler.js";
import type { LagTracker } from "./lag.js";
import type { BackfillTriggers } from "./triggers.js";

/** A blocked area (permanent API error, backfill too large) is retried at most this far apart (real ms). */
const BLOCKED_RETRY_MS = 60_000;
/** A running backfill logs its progress at most this often (real ms). */
const PROGRESS_LOG_MS = 5_000;

/** A backfill pass's progress in /api/health (`backfill.progress`). */
export interface BackfillProgressView {
  cause: string;
  running: boolean;
  startedAt: string;
  elapsedSeconds: number;
  pages: number;
  conversations: number;
  /** Share of the pass done, 0..1. */
  rangeDone: number;
  /** Seconds to go at the rate limit's pace; 0 when done, null before anything is known. */
  etaSeconds: number | null;
}

export interface RunnerParts {
  client: DetailsApi;
  scheduler: BackfillScheduler;
  triggers: BackfillTriggers;
  pipeline: Pipeline;
  problems: Problems;
  clock: Clock;
  log: Logger;
  /** Persisted counters: backfills, backfillPages, backfillFailures, settlePasses, settleUnstable, reconcilePages. */
  counters: Record<string, number>;
  /** The monitored queues now (a job's queues that left the selection are not read). */
  queueIds: () => string[];
  has: (queueId: string) => boolean;
  /** Requests per minute the rate limit allows, and 429s seen so far (for the ETA and the log). */
  rate: { perMinute: number; throttled: () => number };
  /** Sees every details response body as received (run --record). */
  onPage?: (body: unknown) => void;
  /** Waits between failed passes (the Genesys delivery preset's outage backoff). */
  retry: BackoffOptions;
  /** The measured lag: facts the API returns for the first time are checked against earlier passes. */
  lag: LagTracker;
}

export class BackfillRunner {
  lastDurationMs: number | null = null;
  lastCatchUpMs: number | null = null;
  lastSettle: { passes: number; stable: boolean; pages: number } | null = null;
  progress: BackfillProgressView | null = null;
  /** Real time and pages of recent passes (the cost against the rate limit). */
  private readonly pageTimes: [number, number][] = [];

  constructor(
    private readonly p: RunnerParts,
    private readonly cfg: BackfillConfig,
  ) {
    for (const k of ["backfills", "backfillPages", "backfillFailures", "settlePasses", "settleUnstable", "reconcilePages"]) p.counters[k] ??= 0;
  }

  /** Details pages read per real minute over the last ten minutes. */
  pagesPerMinute(realNow = Date.now()): number {
    while (this.pageTimes.length > 0 && this.pageTimes[0][0] < realNow - 600_000) this.pageTimes.shift();
    return this.pageTimes.reduce((n, [, p]) => n + p, 0) / 10;
  }

  /** Starts the due job, if any (call often: jobs become due on the clock). */
  tick(): void {
    const j = this.p.scheduler.take(this.p.clock.now());
    if (j) void this.run(j);
  }

  private async run(j: BackfillJob): Promise<void> {
    const { clock, counters, log, scheduler, pipeline } = this.p;
    const started = Date.now();
    const queriedAt = clock.now();
    // A long range's settling passes re-read only its last part (scheduler.ts).
    const floor = Math.max(j.from, j.settleFrom ?? j.from) - this.cfg.overlapSeconds * 1000;
    const ids = j.queueIds ? [...j.queueIds].filter((q) => this.p.has(q)) : this.p.queueIds();
    const lag = this.p.lag;
    const seen: Seen = { set: new Set<string>(), until: j.to, frontier: -Infinity, firstRead: (e) => lag.firstSeen(e.queueId, e.time, clock.now()) };
    const progress: BackfillProgressView = { cause: j.cause, running: true, startedAt: new Date(started).toISOString(), elapsedSeconds: 0, pages: 0, conversations: 0, rangeDone: 0, etaSeconds: null };
    this.progress = progress;
    let loggedAt = started;
    try {
      // A settling pass reads up to now, to see how far the API has ingested (apiCaughtUp).
      const queryTo = j.settle ? Math.max(j.to, queriedAt) : j.to;
      const r = await backfill(
        this.p.client,
        { queueIds: ids, from: floor, to: j.to, queryTo, maxConversationMs: this.cfg.maxConversationHours * 3_600_000, chunkMs: this.cfg.chunkMinutes * 60_000 },
        (events) => pipeline.ingest(events, "backfill", floor, seen),
        {
          onPage: this.p.onPage,
          concurrency: this.cfg.concurrency,
          ratePerSecond: this.p.rate.perMinute / 60,
          onProgress: (pr) => {
            const realNow = Date.now();
            Object.assign(progress, { elapsedSeconds: (realNow - started) / 1000, pages: pr.pages, conversations: pr.conversations, rangeDone: pr.rangeDone, etaSeconds: pr.etaSeconds === null ? null : Math.round(pr.etaSeconds) });
            if (realNow - loggedAt < PROGRESS_LOG_MS) return;
            loggedAt = realNow;
            log.info({ cause: j.cause, pages: pr.pages, conversations: pr.conversations, done: `${(pr.rangeDone * 100).toFixed(1)}%`, etaSeconds: progress.etaSeconds, throttled: this.p.rate.throttled() }, "backfill progress");
          },
        },
      );
      Object.assign(progress, { running: false, elapsedSeconds: (Date.now() - started) / 1000, pages: r.pages, conversations: r.conversations, rangeDone: 1, etaSeconds: 0 });
      lag.passed({ queueIds: j.queueIds === null ? null : new Set(ids), from: floor, to: queryTo, at: queriedAt });
      this.pageTimes.push([Date.now(), r.pages]);
      this.p.problems.clear("backfill");
      this.p.problems.clear("token");
      counters.backfills++;
      counters.backfillPages += r.pages;
      if (j.reread) counters.reconcilePages += r.pages;
      this.lastDurationMs = Date.now() - started;
      if (j.settle) counters.settlePasses++;
      this.p.triggers.passed(j);
      const streamFrontier = Math.max(-Infinity, ...ids.map((q) => pipeline.streamFrontier.get(q) ?? -Infinity));
      const caught = apiCaughtUp(seen.frontier, streamFrontier, j.to);
      const outcome = scheduler.succeeded({ ...j, pages: j.pages + r.pages }, seen.set, queriedAt, caught);
      if (outcome.kind === "immediate") this.lastCatchUpMs = Date.now() - j.liveAtReal;
      if (outcome.kind === "settled") {
        this.lastSettle = { passes: outcome.passes, stable: outcome.stable, pages: j.pages + r.pages };
        if (!outcome.stable) {
          counters.settleUnstable++;
          log.warn({ passes: outcome.passes, from: new Date(floor).toISOString(), to: new Date(j.to).toISOString() }, "the details API kept changing over every settling pass; taking the last one");
        }
        this.p.triggers.settled(j, ids);
      }
      log.info(
        {
          pass: j.reread ? "re-read" : j.settle ? "settling" : "immediate",
          ...(j.settle ? { settlePass: j.passes + 1, apiCaughtUp: caught, next: outcome.kind } : j.reread ? {} : { catchUpMs: this.lastCatchUpMs }),
          cause: j.cause,
          queues: j.queueIds === null ? "all" : ids.length,
          from: new Date(floor).toISOString(),
          to: new Date(j.to).toISOString(),
          ...r,
          ms: this.lastDurationMs,
        },
        "backfill done",
      );
    } catch (e) {
      progress.running = false;
      counters.backfillFailures++;
      const permanent = this.p.problems.report(areaOf(e, "backfill"), e);
      // Retried with backoff either way (a standing problem is logged once a minute, not per retry).
      const retryMs = delayMs(j.attempts, { ...this.p.retry, capMs: permanent ? BLOCKED_RETRY_MS : this.p.retry.capMs, minMs: 500 }, e instanceof HttpError ? e.retryAfterMs : null);
      if (!permanent) log.error({ err: (e as Error).message, retryMs }, "backfill failed; will retry");
      scheduler.failed(j, clock.now() + retryMs * clock.speed);
    }
  }
}
