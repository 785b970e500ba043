/**
 * The monitor's wiring: Genesys (stream + backfill) -> normalize -> ingest pipeline -> engine
 * -> state store, and the HTTP API. The no-loss core lives where its names say:
 *   src/ingest/watermark.ts          W, queue coverage (pickups), the late-event horizon
 *   src/ingest/backfill-scheduler.ts backfill jobs: merging, immediate and settling passes, retries
 *   src/ingest/pipeline.ts           skew check -> horizon -> dedup -> engine -> pending batch
 *   src/store/committer.ts           batches (events + W + counters + coverage) and checkpoints
 *   src/monitor/health.ts            /api/health, /readyz reasons, standing problems
 * This file owns the timers, channels, queue discovery and the running of backfill passes.
 */
import type { Server } from "node:http";
import { defaultEngineSettings, Engine } from "../aggregate/engine.js";
import type { Config } from "../config/config.js";
import { backfill } from "../sources/genesys/backfill/query.js";
import { CONVERSATIONS_TOPIC, OBSERVATIONS_TOPIC, type Frame } from "../sources/genesys/stream/channel.js";
import { GenesysClient } from "../sources/genesys/client.js";
import { genesysEnvironment } from "../sources/genesys/environment.js";
import { discoverQueues, type MonitoredQueue } from "../sources/genesys/queues.js";
import { TokenProvider } from "../sources/genesys/token.js";
import { apiCaughtUp, BackfillScheduler, newJob, type BackfillJob } from "../sources/genesys/backfill/scheduler.js";
import { Dedup } from "../ingest/dedup.js";
import { Pipeline, type Seen } from "../ingest/pipeline.js";
import { streamWatermark, Watermark, type WatermarkState } from "../ingest/watermark.js";
import { eventsFromSnapshot, SnapshotError } from "../normalize/conversation.js";
import { ObservationMerger, parseObservation } from "../normalize/observation.js";
import { LossDetector } from "../ingest/loss-detector.js";
import { Exporter } from "../sinks/exporter.js";
import { Alerter, type AlertView } from "../alerts/alerter.js"; // alerting hook (issue 10)
import { Committer } from "../store/committer.js";
import { StateStore, type Batch } from "../store/state-store.js";
import { HttpTransport } from "../delivery/transport.js";
import { RateLimiter } from "../delivery/rate-limit.js";
import { Backoff, backoffMs, sleep } from "../delivery/retry.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { every } from "../util/timers.js";
import { areaOf, notReadyReasons, Problems, type BackfillProgressView, type Health } from "./health.js";
import { ChannelPool } from "../sources/genesys/stream/pool.js";
import { startHttpServer } from "../http/server.js";

export type { Health } from "./health.js";

/** Identities are kept this long behind W - overlap (a margin for late re-deliveries). */
const DEDUP_MARGIN_MS = 3_600_000;
/** A blocked area (permanent API error, backfill too large) is retried at most this far apart (real ms). */
const BLOCKED_RETRY_MS = 60_000;
const COVERAGE_KEY = "coverage";
/** Backfill requests in flight at most: enough to keep the rate limit busy at ~1 s per answer. */
const BACKFILL_CONCURRENCY = 8;
/** A running backfill logs its progress at most this often (real ms). */
const PROGRESS_LOG_MS = 5_000;

/** [replay hook] Observers of what the monitor receives (run --record). */
export interface MonitorTaps {
  onRawFrame?(frame: unknown): void;
  onDetailsPage?(body: unknown): void;
}

export class Monitor {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly exporter: Exporter; // export hook (issue 9)
  readonly alerter: Alerter; // alerting hook (issue 10)
  readonly client: GenesysClient;
  readonly transport = new HttpTransport();
  /** The token's rate limit, shared by every API request (analytics pages queue behind the rest). */
  readonly limiter: RateLimiter;
  readonly queues = new Map<string, MonitoredQueue>();
  /** Persisted self-health counters (since the state file began). */
  // (The pipeline adds its own: see pipelineCounterNames.)
  readonly counters: Record<string, number> = {
    reconnects: 0,
    backfills: 0,
    backfillPages: 0,
    backfillFailures: 0,
    settlePasses: 0,
    settleUnstable: 0,
    permanentErrors: 0,
    badPayloads: 0,
  };
  readonly scheduler: BackfillScheduler;
  readonly committer: Committer;
  readonly problems: Problems;
  private watermark = new Watermark({ watermark: 0, pickups: [], known: null, removed: [] }, { overlapMs: 0, marginMs: 0 });
  private pipeline!: Pipeline;
  private lossDetector!: LossDetector;
  private readonly observations = new ObservationMerger();
  private readonly channels: ChannelPool;
  private gapOpen = true;
  private initialDone = false;
  /** A new state file: the first discovery's queues are covered by W from the day start. */
  private freshState = false;
  /** Clock time up to which reconciliation has been scheduled. */
  private reconciledUntil: number | null = null;
  private coverageWritten = -1;
  private timers: NodeJS.Timeout[] = [];
  private server?: Server;
  private lastBackfillMs: number | null = null;
  private lastCatchUpMs: number | null = null;
  private lastSettle: Health["backfill"]["lastSettle"] = null;
  private progress: BackfillProgressView | null = null;
  private stopped = false;
  private probing = false;

  constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly log: Logger,
    private readonly taps: MonitorTaps = {}, // [replay hook]
  ) {
    const env = genesysEnvironment(config.genesys);
    const rl = config.genesys.rateLimit ?? { requests: 300, windowSeconds: 60 };
    this.limiter = new RateLimiter({ limit: rl.requests, windowMs: rl.windowSeconds * 1000 });
    // The token endpoint has its own limit; every API call counts against the token's.
    this.transport.gate = (req) => (req.url.includes("/api/v2/") ? { limiter: this.limiter, priority: !req.url.includes("/api/v2/analytics/") } : undefined);
    const tokens = new TokenProvider(env, config.genesys.clientId!, config.genesys.clientSecret!, this.transport);
    this.client = new GenesysClient(env, tokens, this.transport);
    this.engine = new Engine({ ...defaultEngineSettings, ...config.stats }, clock);
    this.store = new StateStore(config.state.file, config.state.recordEvents);
    this.committer = new Committer(this.store, this.engine, log);
    // export hook (issue 9): /metrics and push sinks; its outbox and wait histogram live in the state file.
    this.exporter = new Exporter({
      config: config.export,
      clock,
      log,
      db: this.store.database,
      snapshot: () => this.engine.snapshot(),
      health: () => this.health(),
      alerts: () => ({ firing: this.alerter.firing(), sinks: this.alerter.sinkStatus() }), // alerting hook (issue 10)
    });
    // alerting hook (issue 10): rules wait while a gap is backfilled (incomplete figures must not resolve an alert).
    this.alerter = new Alerter({ config: config.alerts, clock, log, db: this.store.database, snapshot: () => this.engine.snapshot(), gate: () => this.caughtUp });
    this.store.addCommitParticipant(this.exporter.commitParticipant);
    this.scheduler = new BackfillScheduler({ ingestionDelayMs: this.ingestionDelayMs(), maxSettlePasses: config.backfill.settleMaxPasses });
    this.channels = new ChannelPool(config.stream, this.client, clock, log, (name) => ({
      frame: (f) => this.onFrame(f),
      live: () => this.onLive(),
      raw: (m) => this.taps.onRawFrame?.(m), // [replay hook]
      down: (lastFrameAt, reason) => {
        this.counters.reconnects++;
        this.gapOpen = true;
        this.log.warn({ channel: name, lastFrame: new Date(lastFrameAt).toISOString(), reason }, "stream gap opened");
      },
    }));
    this.problems = new Problems((p) => {
      this.counters.permanentErrors++;
      this.log.error({ area: p.area, status: p.status, reason: p.reason, since: p.since, occurrences: p.occurrences }, `${p.area} blocked: retrying cannot fix this; the watermark stays where it is until it is resolved`);
    });
  }

  get listenUrl(): string | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? `http://${a.address}:${a.port}` : undefined;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    if (cfg.backfill.lookbackMinutes !== undefined) this.log.warn("backfill.lookbackMinutes is superseded by backfill.maxConversationHours and ignored");
    const loaded = this.store.load(0);
    this.engine.restore(loaded.series);
    for (const e of loaded.replay) this.engine.apply(e);
    if (loaded.replay.length > 0) this.log.info({ events: loaded.replay.length }, "replayed the log after the checkpoint");
    Object.assign(this.counters, loaded.counters);
    const now = this.clock.now();
    let state: WatermarkState;
    if (loaded.watermark !== null) {
      state = { watermark: loaded.watermark, pickups: [], known: null, removed: [], ...this.parseCoverage(loaded.meta[COVERAGE_KEY]) };
      this.log.info({ watermark: new Date(loaded.watermark).toISOString(), series: loaded.series.length, pickups: state.pickups.length }, "state restored; backfilling from the watermark");
    } else {
      const w = cfg.backfill.initial === "today" ? this.engine.dayStart(now) : now - cfg.backfill.initial * 60_000;
      state = { watermark: w, pickups: [], known: [], removed: [] };
      this.freshState = true;
      this.store.setStartedAt(now);
      this.log.info({ from: new Date(w).toISOString() }, "new state file; first backfill");
    }
    this.watermark = new Watermark(state, { overlapMs: cfg.backfill.overlapSeconds * 1000, marginMs: DEDUP_MARGIN_MS });
    this.pipeline = new Pipeline(this.engine, this.watermark, this.committer, this.clock, { maxClockSkewMs: cfg.stream.maxClockSkewSeconds * 1000 }, this.counters, this.log);
    // Genesys' 30-minute aggregates are compared once an interval has closed, our own late events
    // (stream latency) are in and Genesys' last aggregate message for it has come (<= 1/s per
    // group): 2 minutes plus the latency allowance, and at least 5 real seconds (on a virtual
    // clock running many times faster, a busy process's own lag would otherwise look like loss,
    // and each re-read it triggers adds to that lag).
    this.lossDetector = new LossDetector(now, Math.max(120_000 + this.allowanceMs(), 5_000 * this.clock.speed));
    this.pipeline.onCounted = (e) => {
      this.lossDetector.count(e);
      this.exporter.observe(e); // export hook (issue 9): cumulative wait histogram
    };
    const keepFrom = this.watermark.pruneBefore();
    this.pipeline.dedup = new Dedup(loaded.seen.filter(([, t]) => t >= keepFrom));
    this.server = await startHttpServer(this, cfg.server.listen);
    this.every(cfg.state.commitIntervalMs, () => this.commit());
    this.every(cfg.state.checkpointSeconds * 1000, () => this.checkpoint());
    this.every(200, () => this.tick());
    this.every(10_000, () => this.maintain());
    this.every(1_000, () => this.compareWithGenesys());
    this.every(cfg.queues.refreshSeconds * 1000, () => void this.refreshQueues());
    this.every(60_000, () => this.log.info({ health: this.health() }, "self-health"));
    this.exporter.start(); // export hook (issue 9)
    this.alerter.start(); // alerting hook (issue 10)
    if (cfg.backfill.reconcileMinutes > 0) this.every((cfg.backfill.reconcileMinutes * 60_000) / this.clock.speed, () => this.reconcile());
    await this.refreshQueues();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.channels.stop();
    this.limiter.close();
    await this.exporter.stop(); // export hook (issue 9)
    await this.alerter.stop(); // alerting hook (issue 10)
    if (this.pipeline) this.checkpoint();
    this.store.close();
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections(); // wallboard hook (issue 11): open wallboard pages (SSE) would hold close() forever
    await closed;
  }

  private parseCoverage(text: string | undefined): Partial<WatermarkState> {
    if (text === undefined) return {};
    try {
      const c = JSON.parse(text) as Partial<WatermarkState>;
      return { pickups: c.pickups ?? [], known: c.known ?? null, removed: c.removed ?? [] };
    } catch (e) {
      throw new Error(`state file ${this.config.state.file}: queue coverage is corrupt: ${(e as Error).message}`, { cause: e });
    }
  }

  // ---- queues and channels --------------------------------------------------------------

  private async refreshQueues(): Promise<void> {
    if (this.stopped) return;
    let found: MonitoredQueue[];
    const backoff = new Backoff({ baseMs: 1000, capMs: 30_000, minMs: 100 });
    for (;;) {
      try {
        found = await discoverQueues(this.client, this.config.queues);
        this.problems.clear("queues");
        this.problems.clear("token");
        break;
      } catch (e) {
        if (!this.problems.report(areaOf(e, "queues"), e)) this.log.error({ err: (e as Error).message }, "queue discovery failed");
        if (this.queues.size > 0 || this.stopped) return; // keep running with what we have
        await sleep(backoff.next());
        if (this.stopped) return;
      }
    }
    const now = this.clock.now();
    const added = found.filter((q) => !this.queues.has(q.id));
    const removed = [...this.queues.keys()].filter((id) => !found.some((q) => q.id === id));
    for (const q of found) {
      this.queues.set(q.id, q);
      this.engine.setQueue(q.id, q);
    }
    for (const id of removed) {
      this.queues.delete(id);
      this.observations.forget(id);
      this.watermark.remove(id, now);
    }
    if (found.length === 0) this.log.warn({ selection: this.config.queues }, "no queue matches the selection");
    const isFirst = this.channels.size === 0;
    const picked = this.watermark.select(
      found.map((q) => q.id),
      this.engine.dayStart(now),
      this.freshState && isFirst,
    );
    // Queues that joined the selection after the state began get their whole day, like a first
    // start; after a restart, so do pickups whose backfill had not settled.
    const pickups = isFirst ? this.watermark.pendingPickups().filter(([q]) => this.queues.has(q)) : picked;
    if (pickups.length > 0) {
      const from = Math.min(...pickups.map(([, f]) => f));
      this.scheduler.schedule(newJob({ from, to: now + this.allowanceMs(), readyAt: now, queueIds: new Set(pickups.map(([q]) => q)), cause: "pickup" }));
      this.log.info({ queues: pickups.map(([q]) => this.queues.get(q)?.name ?? q), from: new Date(from).toISOString() }, "queues joined the selection; their day is backfilled");
    }
    if (added.length === 0 && removed.length === 0) return;
    this.log.info({ added: added.map((q) => q.name), removed }, "monitored queues changed");
    await this.channels.assign(added.map((q) => q.id), removed);
  }

  private onLive(): void {
    if (!this.gapOpen || !this.connected) return;
    this.gapOpen = false;
    const now = this.clock.now();
    const from = this.watermark.value;
    const to = now + this.allowanceMs();
    this.scheduler.schedule(newJob({ from, to, readyAt: now, queueIds: null, cause: this.initialDone ? "gap" : "initial" }));
    this.log.info({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }, "stream live; backfill scheduled");
  }

  /**
   * Without any gap, re-read the last `reconcileMinutes` once the ingestion delay has passed, so
   * a notification the service left out is still counted (dedup drops what the stream had).
   */
  private reconcile(): void {
    if (!this.connected || !this.caughtUp || !this.scheduler.idle) return;
    const now = this.clock.now();
    // Each pass starts where the previous one (or the last settled backfill) ended, so a turn
    // skipped while a backfill was busy leaves no hole.
    const from = Math.min(this.reconciledUntil ?? now, now - this.config.backfill.reconcileMinutes * 60_000);
    this.reconciledUntil = now;
    this.counters.reconciles = (this.counters.reconciles ?? 0) + 1;
    this.scheduler.schedule(newJob({ from, to: now, readyAt: now + this.ingestionDelayMs(), settle: true, queueIds: null, cause: "reconcile" }));
  }

  // ---- ingest ---------------------------------------------------------------------------

  private onFrame(f: Frame): void {
    const conv = CONVERSATIONS_TOPIC.exec(f.topicName);
    if (conv) {
      try {
        this.pipeline.ingest(eventsFromSnapshot(f.eventBody, (q) => this.queues.has(q)), "stream");
      } catch (e) {
        this.counters.badPayloads++;
        if (e instanceof SnapshotError) this.log.warn({ topic: f.topicName, err: e.message }, "payload skipped");
        else this.log.error({ topic: f.topicName, err: (e as Error).message }, "payload failed");
      }
      return;
    }
    const obs = OBSERVATIONS_TOPIC.exec(f.topicName);
    if (obs) {
      // Messages carry only the metrics that changed: merged per queue and media, never zero-filled.
      const { updates, aggregates } = parseObservation(obs[1], f.eventBody, { now: this.clock.now() });
      for (const u of updates) {
        if (!this.queues.has(u.queueId)) continue;
        const merged = this.observations.merge(u);
        if (merged) this.engine.observe(u.queueId, u.mediaType, merged);
      }
      for (const a of aggregates) if (this.queues.has(a.queueId)) this.lossDetector.aggregate(a);
    }
  }

  // ---- backfill, commit, maintenance ----------------------------------------------------

  private tick(): void {
    if (this.stopped || this.queues.size === 0) return;
    const j = this.scheduler.take(this.clock.now());
    if (j) void this.runBackfill(j);
  }

  private async runBackfill(j: BackfillJob): Promise<void> {
    const started = Date.now();
    const queriedAt = this.clock.now();
    const cfg = this.config.backfill;
    // A long range's settling passes re-read only its last part (backfill-scheduler.ts).
    const floor = Math.max(j.from, j.settleFrom ?? j.from) - cfg.overlapSeconds * 1000;
    const ids = j.queueIds ? [...j.queueIds].filter((q) => this.queues.has(q)) : [...this.queues.keys()];
    const seen: Seen = { set: new Set<string>(), until: j.to, frontier: -Infinity };
    const progress: BackfillProgressView = { cause: j.cause, running: true, startedAt: new Date(started).toISOString(), elapsedSeconds: 0, pages: 0, conversations: 0, rangeDone: 0, etaSeconds: null };
    this.progress = progress;
    let loggedAt = started;
    try {
      // A settling pass reads up to now, to see how far the API has ingested (apiCaughtUp).
      const queryTo = j.settle ? Math.max(j.to, queriedAt) : j.to;
      const r = await backfill(
        this.client,
        { queueIds: ids, from: floor, to: j.to, queryTo, maxConversationMs: cfg.maxConversationHours * 3_600_000, chunkMs: cfg.chunkMinutes * 60_000 },
        (events) => this.pipeline.ingest(events, "backfill", floor, seen),
        {
          onPage: (body) => this.taps.onDetailsPage?.(body), // [replay hook]
          concurrency: BACKFILL_CONCURRENCY,
          ratePerSecond: this.limiter.perMinute / 60,
          onProgress: (p) => {
            const realNow = Date.now();
            Object.assign(progress, { elapsedSeconds: (realNow - started) / 1000, pages: p.pages, conversations: p.conversations, rangeDone: p.rangeDone, etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds) });
            if (realNow - loggedAt < PROGRESS_LOG_MS) return;
            loggedAt = realNow;
            this.log.info({ cause: j.cause, pages: p.pages, conversations: p.conversations, done: `${(p.rangeDone * 100).toFixed(1)}%`, etaSeconds: progress.etaSeconds, throttled: this.limiter.stats.throttled }, "backfill progress");
          },
        },
      );
      Object.assign(progress, { running: false, elapsedSeconds: (Date.now() - started) / 1000, pages: r.pages, conversations: r.conversations, rangeDone: 1, etaSeconds: 0 });
      this.problems.clear("backfill");
      this.problems.clear("token");
      this.counters.backfills++;
      this.counters.backfillPages += r.pages;
      if (j.cause === "reconcile" || j.cause === "loss") this.counters.reconcilePages = (this.counters.reconcilePages ?? 0) + r.pages;
      this.lastBackfillMs = Date.now() - started;
      if (j.queueIds === null) this.initialDone = true;
      if (j.settle) this.counters.settlePasses++;
      const streamFrontier = Math.max(-Infinity, ...ids.map((q) => this.pipeline.streamFrontier.get(q) ?? -Infinity));
      const caught = apiCaughtUp(seen.frontier, streamFrontier, j.to);
      const outcome = this.scheduler.succeeded({ ...j, pages: j.pages + r.pages }, seen.set, queriedAt, caught);
      if (outcome.kind === "immediate") this.lastCatchUpMs = Date.now() - j.liveAtReal;
      if (outcome.kind === "settled") {
        this.lastSettle = { passes: outcome.passes, stable: outcome.stable, pages: j.pages + r.pages };
        if (!outcome.stable) {
          this.counters.settleUnstable++;
          this.log.warn({ passes: outcome.passes, from: new Date(floor).toISOString(), to: new Date(j.to).toISOString() }, "the details API kept changing over every settling pass; taking the last one");
        }
        this.watermark.settled(ids);
        if (j.queueIds === null) {
          // Reconciliation goes on from where this settled read of every queue ended.
          this.reconciledUntil = Math.max(this.reconciledUntil ?? -Infinity, j.to);
          if (!this.gapOpen && this.scheduler.job === null) this.watermark.advance(j.to);
        }
      }
      this.log.info(
        {
          pass: j.settle ? "settling" : "immediate",
          ...(j.settle ? { settlePass: j.passes + 1, apiCaughtUp: caught, next: outcome.kind } : { catchUpMs: this.lastCatchUpMs }),
          cause: j.cause,
          queues: j.queueIds === null ? "all" : ids.length,
          from: new Date(floor).toISOString(),
          to: new Date(j.to).toISOString(),
          ...r,
          ms: this.lastBackfillMs,
        },
        "backfill done",
      );
    } catch (e) {
      progress.running = false;
      this.counters.backfillFailures++;
      const permanent = this.problems.report(areaOf(e, "backfill"), e);
      // Retried with backoff either way (a standing problem is logged once a minute, not per retry).
      const retryMs = backoffMs(j.attempts, 1000, permanent ? BLOCKED_RETRY_MS : 30_000) + 500;
      if (!permanent) this.log.error({ err: (e as Error).message, retryMs }, "backfill failed; will retry");
      this.scheduler.failed(j, this.clock.now() + retryMs * this.clock.speed);
    }
  }

  private batchState(): Omit<Batch, "events"> {
    const meta: Record<string, string> = {};
    const v = this.watermark.version;
    if (v !== this.coverageWritten) {
      const { pickups, known, removed } = this.watermark.toState();
      meta[COVERAGE_KEY] = JSON.stringify({ pickups, known, removed });
    }
    return { watermark: this.watermark.value, counters: { ...this.counters, apiErrors: this.client.apiErrors }, meta };
  }

  /** One transaction: the new events (the log), their identities, W, the counters, the coverage. */
  commit(): void {
    const w = streamWatermark({
      lastFrames: this.channels.lastFrames(),
      allLive: this.connected,
      backfillIdle: !this.gapOpen && this.scheduler.idle,
      initialDone: this.initialDone,
      allowanceMs: this.allowanceMs(),
    });
    if (w !== null) this.watermark.advance(w);
    const v = this.watermark.version;
    if (this.committer.commit(this.batchState())) this.coverageWritten = v;
  }

  /** Writes the changed series at the current log position (after committing the pending batch). */
  checkpoint(): void {
    const v = this.watermark.version;
    if (this.committer.checkpoint(this.batchState())) this.coverageWritten = v;
  }

  /**
   * While the stream is down, one cheap authenticated call tells a refused client (revoked,
   * invalid_client, 403) from a network problem, so readyz can say which; channels retry alone.
   */
  private async probe(): Promise<void> {
    if (this.stopped || this.connected || this.channels.size === 0 || this.probing) return;
    this.probing = true;
    try {
      await this.client.call("GET", "/api/v2/routing/queues?pageSize=1&pageNumber=1");
      this.problems.clear("token");
      this.problems.clear("queues");
    } catch (e) {
      this.problems.report(areaOf(e, "queues"), e);
    } finally {
      this.probing = false;
    }
  }

  private maintain(): void {
    void this.probe();
    this.engine.maintain();
    const before = this.pipeline.prune();
    this.watermark.forgetRemovedBefore(this.engine.dayStart(this.clock.now()));
    try {
      this.store.pruneSeen(before);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "pruning identities failed");
    }
  }

  /**
   * The free loss detector: each settled 30-minute interval's counts against Genesys' own. A
   * difference is logged and that interval re-read for the queue (a reconciliation), once.
   */
  private compareWithGenesys(): void {
    if (!this.connected || !this.caughtUp) return; // a gap's events are still on their way
    const now = this.clock.now();
    for (const c of this.lossDetector.due(now)) {
      if (c.differences.length === 0) continue;
      this.counters.lossDetectorDifferences = (this.counters.lossDetectorDifferences ?? 0) + 1;
      const what = { queueId: c.queueId, mediaType: c.mediaType, interval: `${c.start}/${c.end}`, genesys: c.genesys, monitor: c.monitor };
      if (!c.missing) {
        this.log.info(what, "counts differ from Genesys' own for a closed interval (ours are higher: nothing to recover)");
        continue;
      }
      this.log.warn(what, "counts differ from Genesys' own for a closed interval; re-reading it");
      if (!this.queues.has(c.queueId)) continue;
      this.scheduler.schedule(newJob({ from: Date.parse(c.start), to: Date.parse(c.end), readyAt: now, settle: true, queueIds: new Set([c.queueId]), cause: "loss" }));
    }
  }

  // ---- reading --------------------------------------------------------------------------

  /** Connected, every gap backfilled (a settling re-query may still be due), nothing blocked. */
  get ready(): boolean {
    return this.connected && this.caughtUp && this.problems.list().length === 0;
  }

  get caughtUp(): boolean {
    return this.initialDone && !this.scheduler.catchingUp;
  }

  get connected(): boolean {
    return this.channels.connected;
  }

  health(): Health {
    const now = this.clock.now();
    const problems = this.problems.list();
    const connected = this.connected;
    const caughtUp = this.caughtUp;
    const job = this.scheduler.job;
    const lastEventAt = this.pipeline?.lastEventAt ?? null;
    return {
      connected,
      ready: this.ready,
      caughtUp,
      reasons: notReadyReasons({ channels: this.channels.size, connected, caughtUp, problems }),
      watermark: this.watermark.value ? new Date(this.watermark.value).toISOString() : null,
      queues: this.queues.size,
      series: this.engine.seriesCount,
      channels: this.channels.views(now),
      unstreamedQueues: this.channels.unstreamed,
      lastEventAgeSeconds: lastEventAt === null ? null : Math.max(0, (now - lastEventAt) / 1000),
      counters: { ...this.counters, apiErrors: this.client.apiErrors, dedupIdentities: this.pipeline?.dedup.size ?? 0, malformedFrames: this.channels.malformedFrames },
      http: { ...this.transport.stats, byStatus: { ...this.transport.stats.byStatus }, rateLimit: this.rateLimitView() },
      backfill: {
        pending: job !== null && !job.settle,
        settling: job?.settle === true,
        running: this.scheduler.running !== null,
        lastDurationMs: this.lastBackfillMs,
        lastCatchUpMs: this.lastCatchUpMs,
        pickups: this.watermark.pendingPickups().length,
        scheduled: { ...this.scheduler.scheduled },
        lastSettle: this.lastSettle,
        reconcile: { everyMinutes: this.config.backfill.reconcileMinutes, passes: this.counters.reconciles ?? 0, pages: this.counters.reconcilePages ?? 0 },
        progress: this.progress && { ...this.progress },
      },
      lossDetector: { compared: this.lossDetector?.compared ?? 0, disagreed: this.lossDetector?.disagreed ?? 0, last: this.lossDetector?.last.slice(0, 20) ?? [] },
      problems,
    };
  }

  /** alerting hook (issue 10): the `alerts` array of /api/alerts (inactive ones omitted). */
  alertStates(): AlertView[] {
    return this.alerter.alertStates();
  }

  // ---- helpers --------------------------------------------------------------------------

  private rateLimitView(): NonNullable<Health["http"]["rateLimit"]> {
    const st = this.limiter.stats;
    return { perMinute: this.limiter.perMinute, inWindow: st.inWindow, queued: st.queued, throttled: st.throttled };
  }

  private allowanceMs(): number {
    return this.config.stream.latencyAllowanceSeconds * 1000;
  }

  /** The details API's lag, in clock time (configured in real seconds). */
  private ingestionDelayMs(): number {
    return this.config.backfill.ingestionDelaySeconds * 1000 * this.clock.speed;
  }

  private every(ms: number, f: () => void): void {
    every(this.timers, ms, this.log, "periodic task failed", f);
  }
}
