/**
 * The composition root: builds the finished parts in pipeline order and starts and stops them.
 * It holds no logic of its own and no frame passes through it:
 *
 *   source (WebSocket channels, or EventBridge via SQS) -> dispatch -> normalize -> ingest
 *     pipeline -> engine (+ observers)
 *   discovery -> engine names, coverage and pickups (triggers), the source, alert rules
 *   triggers -> scheduler -> backfill runner -> ingest pipeline
 *   state (commit, checkpoint) <- pipeline's pending batch, W, counters; -> the source's acknowledgements
 *   export, alerts, HTTP <- read-only views
 *
 * The state file is loaded first (synchronously: better-sqlite3), so every part starts from the
 * state it was committed with.
 */
import type { Server } from "node:http";
import { Engine } from "../aggregate/engine.js";
import { Alerter } from "../alerts/alerter.js";
import { effectiveRules, patternReadingChanges } from "../alerts/config.js";
import type { Config } from "../config/schema.js";
import { RateLimiter } from "../delivery/rate-limit.js";
import { deliveryPolicy } from "../delivery/policy.js";
import { HttpTransport } from "../delivery/transport.js";
import { startHttpServer } from "../http/server.js";
import { Dedup } from "../ingest/dedup.js";
import type { LossDetector } from "../ingest/loss-detector.js";
import { openLossDetector } from "../ingest/loss-store.js";
import { NowFigures } from "../ingest/now-figures.js";
import { Pipeline } from "../ingest/pipeline.js";
import type { Watermark } from "../ingest/watermark.js";
import { Outlook } from "../predict/outlook.js";
import { Exporter } from "../sinks/exporter.js";
import { defaultLagSettings, LagTracker } from "../sources/genesys/backfill/lag.js";
import { BackfillRunner } from "../sources/genesys/backfill/runner.js";
import { BackfillScheduler } from "../sources/genesys/backfill/scheduler.js";
import { BackfillTriggers } from "../sources/genesys/backfill/triggers.js";
import { fetchIntervalAggregates } from "../sources/genesys/aggregates.js";
import { GenesysClient } from "../sources/genesys/client.js";
import { QueueDiscovery } from "../sources/genesys/discovery.js";
import { genesysEnvironment } from "../sources/genesys/environment.js";
import { ObservationSnapshots } from "../sources/genesys/observations.js";
import { FrameDispatch } from "../sources/genesys/stream/dispatch.js";
import { TokenProvider } from "../sources/genesys/token.js";
import { createStreamSource } from "../sources/create-source.js";
import type { StreamSource } from "../sources/stream-source.js";
import { CommitWaiters } from "../store/commit-waiters.js";
import { Committer } from "../store/committer.js";
import { StateStore } from "../store/state-store.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { every } from "../util/timers.js";
import { assembleHealth } from "./health-view.js";
import type { Health } from "./health.js";
import { Problems } from "./problems.js";
import { restoreState } from "./restore.js";
import { MonitorState, OUTLOOK_KEY, parseMetaJson } from "./state.js";

/**
 * The loss detector re-reads a disagreeing interval after 5 minutes, then twice as long each time
 * up to every 15 minutes, for 5 hours or twice the measured lag's settle horizon if that is longer.
 */
const LOSS_CHASE = { firstMs: 5 * 60_000, maxPauseMs: 15 * 60_000, attempts: 6, spanMs: 5 * 3_600_000 };

/** Observers of what the monitor receives (run --record). */
export interface MonitorTaps {
  /** Every notification frame that is JSON, as received (its text). */
  onRawFrame?(text: string): void;
  onDetailsPage?(body: unknown): void;
  /** Static AWS credentials for an EventBridge source (the demo's in-process SQS); absent: the SDK's default chain. */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

export class Monitor {
  readonly store: StateStore;
  readonly engine: Engine;
  readonly transport: HttpTransport;
  /** The token's rate limit, shared by every API request (analytics pages queue behind the rest). */
  readonly limiter: RateLimiter;
  readonly client: GenesysClient;
  readonly discovery: QueueDiscovery;
  readonly exporter: Exporter;
  readonly alerter: Alerter;
  readonly problems: Problems;
  /** Staffing, predicted waits and forecasts, filled into every snapshot. */
  readonly outlook: Outlook;
  private readonly observations: ObservationSnapshots;
  /** Persisted self-health counters (since the state file began); each part adds its own. */
  readonly counters: Record<string, number>;
  private readonly watermark: Watermark;
  private readonly pipeline: Pipeline;
  private readonly lossDetector: LossDetector;
  private readonly lag: LagTracker;
  private readonly scheduler: BackfillScheduler;
  private readonly triggers: BackfillTriggers;
  private readonly runner: BackfillRunner;
  private readonly source: StreamSource;
  /** What the source waits for before acknowledging what it delivered (EventBridge deletes its messages then). */
  private readonly commits = new CommitWaiters();
  private readonly state: MonitorState;
  /** Counters of this process only (not carried over a restart), shown and written with the rest. */
  private readonly liveCounters: () => Record<string, number>;
  private readonly timers: NodeJS.Timeout[] = [];
  private server: Server | null = null;
  private stopped = false;

  constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly log: Logger,
    taps: MonitorTaps = {},
  ) {
    const now = clock.now();
    const bf = config.backfill;
    if (bf.lookbackMinutes !== undefined) log.warn("backfill.lookbackMinutes is superseded by backfill.maxConversationHours and ignored");

    // State first: every part below starts from what was committed.
    this.store = new StateStore(config.state.file, config.state.recordEvents);
    this.engine = new Engine(config.stats, clock);
    // The details API's lag, measured from here on (the configured delay is the first guess; restored below).
    const guessMs = bf.ingestionDelaySeconds * 1000 * clock.speed;
    this.lag = new LagTracker(defaultLagSettings(guessMs));
    const lag = this.lag;
    const horizonMs = () => lag.horizonMs(clock.now());
    const allowanceMs = config.stream.latencyAllowanceSeconds * 1000;
    // Genesys' 30-minute aggregates are compared once an interval has closed, our own late events
    // (stream latency) are in and Genesys' last aggregate message for it has come (<= 1/s per
    // group): 2 minutes plus the latency allowance, and at least 5 real seconds (on a virtual
    // clock running many times faster, a busy process's own lag would otherwise look like loss).
    const loss = openLossDetector(this.store.database, config.state.file, log, Math.max(120_000 + allowanceMs, 5_000 * clock.speed), { ...LOSS_CHASE, spanMs: () => Math.max(LOSS_CHASE.spanMs, 2 * horizonMs()) });
    this.lossDetector = loss.detector;
    // The identities kept reach as far back as the measured lag and the chases in progress need.
    const restored = restoreState(this.store, this.engine, config, now, log, { lag, recoveries: this.lossDetector.holding() });
    const { stored, loaded } = restored;
    this.watermark = restored.watermark;
    this.counters = restored.counters;
    this.outlook = new Outlook(this.engine, config.prediction, () => clock.now());
    this.outlook.restore(parseMetaJson(stored.meta[OUTLOOK_KEY]));
    const outlook = this.outlook;
    const snapshot = (filter?: (queueId: string) => boolean) => outlook.enrich(this.engine.snapshot(filter));
    const committer = new Committer(this.store, this.engine, log, { maxUncommitted: config.state.maxUncommittedEvents, clock });
    this.liveCounters = () => ({ stateCommitFailures: committer.commitFailures, stateCheckpointFailures: committer.checkpointFailures, stateRefusedEvents: committer.uncommittedRefused, apiErrors: this.client.apiErrors, ...this.observationCounters() });

    // Genesys: one transport, one rate limit per token (the token endpoint has its own).
    const genesysDelivery = deliveryPolicy("genesys", config.delivery.genesys);
    this.transport = new HttpTransport(genesysDelivery);
    this.limiter = new RateLimiter({ limit: config.genesys.rateLimit.requests, windowMs: config.genesys.rateLimit.windowSeconds * 1000 });
    const limiter = this.limiter;
    this.transport.gate = (req) => (req.url.includes("/api/v2/") ? { limiter, priority: !req.url.includes("/api/v2/analytics/") } : undefined);
    const env = genesysEnvironment(config.genesys);
    const { clientId, clientSecret } = config.genesys;
    if (!clientId || !clientSecret) throw new Error("config: genesys.clientId and genesys.clientSecret (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET) are required");
    this.client = new GenesysClient(env, new TokenProvider(env, clientId, clientSecret, this.transport), this.transport);
    this.problems = new Problems((p) => {
      this.counters.permanentErrors = (this.counters.permanentErrors ?? 0) + 1;
      log.error({ area: p.area, status: p.status, reason: p.reason, since: p.since, occurrences: p.occurrences }, `${p.area} blocked until this is fixed; the watermark stays where it is`);
    });
    this.discovery = new QueueDiscovery(this.client, { ...config.queues, retry: genesysDelivery.outage }, this.problems, log);
    const monitored = (q: string) => this.discovery.has(q);

    // Sinks and alerts read the engine; their outboxes live in the state file.
    this.scheduler = new BackfillScheduler({ horizonMs, maxSettlePasses: bf.settleMaxPasses });
    this.source = createStreamSource(config, { client: this.client, clock, log, commits: this.commits, problems: this.problems, awsCredentials: taps.awsCredentials });
    this.triggers = new BackfillTriggers(
      this.scheduler,
      this.watermark,
      this.source,
      clock,
      { backfill: bf, allowanceMs, ingestionDelayMs: () => guessMs, horizonMs, freshState: restored.fresh, dayStart: (t) => this.engine.dayStart(t) },
      this.counters,
      log,
    );
    const triggers = this.triggers;
    this.alerter = new Alerter({ config: config.alerts, clock, log, db: this.store.database, snapshot: () => snapshot(), gate: () => triggers.caughtUp, delivery: config.delivery.pagerduty });
    this.exporter = new Exporter({
      config: config.export,
      clock,
      log,
      db: this.store.database,
      snapshot: () => snapshot(),
      health: () => this.health(),
      alerts: () => ({ firing: this.alerter.firing(), sinks: this.alerter.sinkStatus() }),
      delivery: config.delivery.sink,
    });
    this.store.addCommitParticipant(this.exporter.commitParticipant);

    this.store.addCommitParticipant(loss.store.commitParticipant(this.lossDetector));
    const lossDetector = this.lossDetector;
    const exporter = this.exporter;
    this.pipeline = new Pipeline(
      {
        engine: this.engine,
        watermark: this.watermark,
        dedup: new Dedup(loaded.seen),
        pending: committer,
        clock,
        counters: this.counters,
        log,
        observers: [(e) => lossDetector.count(e), (e) => exporter.observe(e), (e) => outlook.counted(e)],
      },
      { maxClockSkewMs: config.stream.maxClockSkewSeconds * 1000 },
    );
    const pipeline = this.pipeline;
    const nowFigures = new NowFigures(this.engine, (q, m, o) => outlook.observed(q, m, o.at, o.interacting));
    const dispatch = new FrameDispatch(
      { monitored, events: (ev) => pipeline.ingest(ev, "stream"), observation: (u) => nowFigures.observe(u), aggregate: (a) => lossDetector.aggregate(a), staffing: (u) => outlook.staffing(u) },
      this.counters,
      clock,
      log,
      config.prediction.staffingBreakdown,
    );
    // The topic sends changes only: the query seeds staffing and the "now" figures, and re-reads them after every gap.
    this.observations = new ObservationSnapshots(
      this.client,
      { queueIds: () => [...this.discovery.queues.keys()], media: (u) => monitored(u.queueId) && nowFigures.observe(u), staffing: (u) => monitored(u.queueId) && outlook.staffing(u) },
      clock,
      log,
    );
    const observations = this.observations;
    this.source.listen({
      frame: (f) => dispatch.frame(f),
      live: (channel, queueIds) => {
        triggers.channelLive(channel, queueIds);
        void observations.refresh();
      },
      down: (channel, lastFrameAt, reason) => triggers.channelDown(channel, lastFrameAt, reason),
      raw: taps.onRawFrame,
    });
    this.runner = new BackfillRunner(
      {
        client: this.client,
        scheduler: this.scheduler,
        triggers,
        pipeline,
        problems: this.problems,
        clock,
        log,
        counters: this.counters,
        queueIds: () => [...this.discovery.queues.keys()],
        has: monitored,
        rate: { perMinute: limiter.perMinute, throttled: () => limiter.stats.throttled },
        onPage: taps.onDetailsPage,
        retry: genesysDelivery.outage,
        lag,
      },
      bf,
    );
    this.state = new MonitorState({
      store: this.store,
      committer,
      engine: this.engine,
      watermark: this.watermark,
      pipeline,
      counters: this.counters,
      liveCounters: () => this.liveCounters(),
      stream: () => ({ lastFrames: this.source.lastFrames(), allLive: this.source.connected, backfillIdle: triggers.backfillIdle, initialDone: triggers.initialBackfillDone }),
      allowanceMs,
      lag,
      problems: this.problems,
      recover: (from, done) => triggers.recoverRefused(from, done),
      commits: this.commits,
      checkpointMeta: () => ({ [OUTLOOK_KEY]: JSON.stringify(outlook.toState()) }),
      clock,
      log,
    });

    // Queue changes, in order: names, "now" readings, coverage and pickups, the source, alert rules.
    const source = this.source;
    const rules = effectiveRules(config.alerts);
    const state = this.state;
    this.discovery.onChange((c) => {
      for (const q of c.found) this.engine.setQueue(q.id, q);
      for (const id of c.removed) {
        nowFigures.forget(id);
        outlook.forget(id);
      }
      state.queuesFound(c.found);
    });
    this.discovery.onChange((c) => triggers.queuesChanged(c));
    this.discovery.onChange((c) => {
      if (c.added.length > 0) void observations.refresh();
    });
    this.discovery.onChange((c) => source.assign(c.added.map((q) => q.id), c.removed));
    this.discovery.onChange((c) => {
      this.alerter.setQueues(c.found);
      if (c.first) for (const line of patternReadingChanges(rules, c.found)) log.warn(line);
    });
  }

  get listenUrl(): string | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}` : undefined;
  }

  /** The monitored queues (id -> queue), as discovery last read them. */
  get queues(): ReadonlyMap<string, { id: string; name: string }> {
    return this.discovery.queues;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    this.server = await startHttpServer(
      {
        health: () => this.health(),
        queues: (filter) => this.outlook.enrich(this.engine.snapshot(filter)),
        monitored: (q) => this.discovery.has(q),
        alerts: () => this.alerter.alertStates(),
        metrics: () => this.exporter.metrics(),
        metricsSent: (body) => this.exporter.metricsSent(body),
        now: () => this.clock.now(),
      },
      cfg.server,
      { windowsMinutes: cfg.stats.windowsMinutes, colours: cfg.server.wallboard },
      this.log,
    );
    this.every(cfg.state.commitIntervalMs, () => this.state.commit());
    this.every(cfg.state.checkpointSeconds * 1000, () => this.state.checkpoint());
    this.every(200, () => {
      if (this.discovery.queues.size > 0) this.runner.tick();
    });
    this.every(10_000, () => {
      if (!this.source.connected && this.source.size > 0) void this.discovery.probe();
      this.state.upkeep();
    });
    const client = this.client;
    this.every(1_000, () => this.triggers.checkLoss(this.lossDetector, (q) => this.discovery.has(q), (qs, from, to) => fetchIntervalAggregates(client, qs, from, to)));
    this.every(60_000, () => this.log.info({ health: this.health() }, "self-health"));
    this.every(cfg.prediction.observationsQuerySeconds * 1000, () => void this.observations.refresh());
    this.exporter.start();
    this.alerter.start();
    this.triggers.start();
    await this.discovery.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.discovery.stop();
    this.triggers.stop();
    // The source stops receiving at once; a commit now lets it acknowledge what it delivered while it drains.
    const sourceStopped = this.source.stop();
    this.state.commit();
    this.limiter.close();
    await this.exporter.stop();
    await this.alerter.stop();
    this.state.checkpoint();
    await sourceStopped;
    this.commits.close("the monitor stopped before a commit included these deliveries");
    this.store.close();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // open wallboard pages (Server-Sent Events) would hold close() forever
      await closed;
    }
  }

  /** Connected, every gap backfilled (a settling re-query may still be due), nothing blocked. */
  get ready(): boolean {
    return this.source.connected && this.triggers.caughtUp && this.problems.list().length === 0;
  }

  health(): Health {
    return assembleHealth({
      now: this.clock.now(),
      source: this.source,
      triggers: this.triggers,
      scheduler: this.scheduler,
      runner: this.runner,
      watermark: this.watermark,
      pipeline: this.pipeline,
      lossDetector: this.lossDetector,
      problems: this.problems,
      engine: this.engine,
      queues: this.discovery.queues.size,
      counters: { ...this.counters, ...this.liveCounters() },
      transport: this.transport,
      limiter: this.limiter,
      reconcileMinutes: this.config.backfill.reconcileMinutes,
      lag: this.lag,
      pagesPerMinute: this.runner.pagesPerMinute(),
    });
  }

  /** The `alerts` array of /api/alerts (inactive ones omitted). */
  alertStates(): ReturnType<Alerter["alertStates"]> {
    return this.alerter.alertStates();
  }

  /** The observations query's reads, failures and unreadable parts (this process). */
  private observationCounters(): Record<string, number> {
    const o = this.observations;
    return { observationQueries: o.queries, observationQueryFailures: o.failures, observationQueryDropped: o.dropped };
  }

  private every(ms: number, f: () => void): void {
    every(this.timers, ms, this.log, "periodic task failed", f);
  }
}
