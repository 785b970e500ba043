/** /api/health, assembled from the parts' own read-only views (./health.ts has the shape). */
import type { Engine } from "../aggregate/engine.js";
import type { RateLimiter } from "../delivery/rate-limit.js";
import type { HttpTransport } from "../delivery/transport.js";
import type { LossDetector } from "../ingest/loss-detector.js";
import type { Pipeline } from "../ingest/pipeline.js";
import type { Watermark } from "../ingest/watermark.js";
import type { BackfillRunner } from "../sources/genesys/backfill/runner.js";
import type { BackfillScheduler } from "../sources/genesys/backfill/scheduler.js";
import type { BackfillTriggers } from "../sources/genesys/backfill/triggers.js";
import type { LagTracker } from "../sources/genesys/backfill/lag.js";
import type { StreamSource } from "../sources/stream-source.js";
import { notReadyReasons, type Health } from "./health.js";
import type { Problems } from "./problems.js";

export interface HealthParts {
  now: number;
  /** The notification source: the WebSocket channels or EventBridge. */
  source: StreamSource;
  triggers: BackfillTriggers;
  scheduler: BackfillScheduler;
  runner: BackfillRunner;
  watermark: Watermark;
  pipeline: Pipeline;
  lossDetector: LossDetector;
  problems: Problems;
  engine: Engine;
  queues: number;
  counters: Record<string, number>;
  transport: HttpTransport;
  limiter: RateLimiter;
  reconcileMinutes: number;
  lag: LagTracker;
  pagesPerMinute: number;
}

export function assembleHealth(p: HealthParts): Health {
  const problems = p.problems.list();
  const connected = p.source.connected;
  const caughtUp = p.triggers.caughtUp;
  const job = p.scheduler.job;
  const lastEventAt = p.pipeline.lastEventAt;
  const rl = p.limiter.stats;
  return {
    connected,
    ready: connected && caughtUp && problems.length === 0,
    caughtUp,
    reasons: notReadyReasons({ channels: p.source.size, connected, caughtUp, problems, notLive: p.source.notLiveReason?.() }),
    watermark: p.watermark.value ? new Date(p.watermark.value).toISOString() : null,
    queues: p.queues,
    series: p.engine.seriesCount,
    source: p.source.status?.() ?? { type: "websocket" },
    channels: p.source.views(p.now),
    unstreamedQueues: p.source.unstreamed,
    lastEventAgeSeconds: lastEventAt === null ? null : Math.max(0, (p.now - lastEventAt) / 1000),
    counters: { ...p.counters, dedupIdentities: p.pipeline.dedup.size, malformedFrames: p.source.malformedFrames },
    http: { ...p.transport.stats, byStatus: { ...p.transport.stats.byStatus }, rateLimit: { perMinute: p.limiter.perMinute, inWindow: rl.inWindow, queued: rl.queued, throttled: rl.throttled } },
    backfill: {
      pending: job !== null && !job.settle,
      settling: job?.settle === true,
      rereadPending: p.scheduler.reread !== null,
      running: p.scheduler.running !== null,
      lastDurationMs: p.runner.lastDurationMs,
      lastCatchUpMs: p.runner.lastCatchUpMs,
      pickups: p.watermark.pendingPickups().length,
      scheduled: { ...p.scheduler.scheduled },
      lastSettle: p.runner.lastSettle,
      reconcile: { everyMinutes: p.reconcileMinutes, passes: p.counters.reconciles ?? 0, pages: p.counters.reconcilePages ?? 0 },
      progress: p.runner.progress && { ...p.runner.progress },
      analyticsLag: p.lag.view(p.now),
      cost: { pagesPerMinute: p.pagesPerMinute, rateLimitPerMinute: p.limiter.perMinute, shareOfRateLimit: p.limiter.perMinute > 0 ? p.pagesPerMinute / p.limiter.perMinute : null },
    },
    lossDetector: { compared: p.lossDetector.compared, disagreed: p.lossDetector.disagreed, recovered: p.lossDetector.recovered, unrecovered: p.lossDetector.unrecovered, chasing: p.lossDetector.chasingQueues, last: p.lossDetector.last.slice(0, 20) },
    problems,
  };
}
