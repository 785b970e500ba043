/**
 * The monitor: Genesys (stream + backfill) -> normalize -> dedup -> engine -> state store.
 *
 * No loss, no doubles: exactly once = at-least-once delivery + idempotence + atomic commit.
 *  - The watermark W means "every event before W is counted". It advances only while every
 *    channel is live and nothing awaits backfill, to (oldest channel's last frame - latency
 *    allowance): a socket that died silently cannot push W past events it never delivered.
 *  - Any gap (socket down, restart, first start) is backfilled at once over [W - overlap, end of
 *    gap]; what the details API may not have ingested yet (the last minutes) is re-queried once
 *    its ingestion delay has passed the gap's end ("settling" pass). Only a settled pass moves W.
 *    Backfilled events go through the same dedup as streamed ones, so double delivery is harmless.
 *  - Engine state, new identities, W and counters are committed in one SQLite transaction per
 *    batch; after kill -9 the service resumes from a state consistent with its W.
 */
import type { Server } from "node:http";
import { defaultEngineSettings, Engine } from "../aggregate/engine.js";
import type { Config } from "../config/config.js";
import type { QueueEvent } from "../domain/queue-event.js";
import { backfill } from "../genesys/backfill.js";
import { NotificationChannel, type Frame } from "../genesys/channel.js";
import { GenesysClient } from "../genesys/client.js";
import { genesysEnvironment } from "../genesys/environment.js";
import { discoverQueues, type MonitoredQueue } from "../genesys/queues.js";
import { TokenProvider } from "../genesys/token.js";
import { Dedup } from "../ingest/dedup.js";
import { eventsFromSnapshot, SnapshotError } from "../normalize/conversation.js";
import { observationsFrom } from "../normalize/observation.js";
import { StateStore } from "../store/state-store.js";
import { backoffMs, HttpTransport } from "../transport/http.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { startHttpServer } from "./http-server.js";

const CONVERSATIONS = /^v2\.routing\.queues\.([^.]+)\.conversations(\.[a-z]+)?$/;
const OBSERVATIONS = /^v2\.analytics\.queues\.([^.]+)\.observations$/;

interface BackfillJob {
  from: number;
  to: number;
  /** Clock time at which to run. */
  readyAt: number;
  /** A settling pass runs after the ingestion delay has passed `to`; completing it moves W. */
  settle: boolean;
  /** null: every monitored queue. */
  queueIds: Set<string> | null;
  /** Real time the gap closed (for "time from reconnect to caught up"). */
  liveAtReal: number;
  attempts: number;
}

export interface Health {
  connected: boolean;
  ready: boolean;
  caughtUp: boolean;
  watermark: string | null;
  queues: number;
  series: number;
  channels: { name: string; state: string; topics: number; reconnects: number; lastFrameAgeSeconds: number | null }[];
  lastEventAgeSeconds: number | null;
  counters: Record<string, number>;
  /** HTTP answers seen by the shared transport since this process started (429s, 503s, retries). */
  http: { requests: number; retries: number; failures: number; byStatus: Record<string, number> };
  backfill: { pending: boolean; settling: boolean; running: boolean; lastDurationMs: number | null; lastCatchUpMs: number | null };
}

/** [replay hook] Observers of what the monitor receives (run --record). */
export interface MonitorTaps {
  onRawFrame?(frame: unknown): void;
  onDetailsPage?(body: unknown): void;
}

export class Monitor {
  readonly engine: Engine;
  readonly store: StateStore;
  readonly client: GenesysClient;
  readonly transport = new HttpTransport();
  readonly queues = new Map<string, MonitoredQueue>();
  private dedup = new Dedup();
  private readonly channels: NotificationChannel[] = [];
  /** Stable sharding: which queues each channel carries. */
  private readonly queuesOf = new Map<NotificationChannel, Set<string>>();
  private watermark = 0;
  private gapOpen = true;
  private job: BackfillJob | null = null;
  private running: BackfillJob | null = null;
  private initialDone = false;
  /** Clock time up to which reconciliation has been scheduled. */
  private reconciledUntil: number | null = null;
  private pending: { id: string; event: QueueEvent }[] = [];
  private timers: NodeJS.Timeout[] = [];
  private server?: Server;
  private lastEventAt: number | null = null;
  private lastBackfillMs: number | null = null;
  private lastCatchUpMs: number | null = null;
  private stopped = false;
  /** Persisted self-health counters (since the state file began). */
  readonly counters: Record<string, number> = {
    streamEvents: 0,
    backfilledEvents: 0,
    duplicatesDropped: 0,
    lateDropped: 0,
    reconnects: 0,
    backfills: 0,
    backfillFailures: 0,
    badPayloads: 0,
    outcomeConflicts: 0,
  };

  constructor(
    readonly config: Config,
    readonly clock: Clock,
    readonly log: Logger,
    private readonly taps: MonitorTaps = {}, // [replay hook]
  ) {
    const env = genesysEnvironment(config.genesys);
    const tokens = new TokenProvider(env, config.genesys.clientId!, config.genesys.clientSecret!, this.transport);
    this.client = new GenesysClient(env, tokens, this.transport);
    this.engine = new Engine({ ...defaultEngineSettings, ...config.stats }, clock);
    this.store = new StateStore(config.state.file, config.state.recordEvents);
  }

  get listenUrl(): string | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? `http://${a.address}:${a.port}` : undefined;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    const loaded = this.store.load(0);
    this.engine.restore(loaded.series);
    for (const e of loaded.replay) this.engine.apply(e);
    if (loaded.replay.length > 0) this.log.info({ events: loaded.replay.length }, "replayed the log after the checkpoint");
    Object.assign(this.counters, loaded.counters);
    const now = this.clock.now();
    if (loaded.watermark !== null) {
      this.watermark = loaded.watermark;
      this.log.info({ watermark: new Date(this.watermark).toISOString(), series: loaded.series.length }, "state restored; backfilling from the watermark");
    } else {
      this.watermark = cfg.backfill.initial === "today" ? this.engineDayStart(now) : now - cfg.backfill.initial * 60_000;
      this.store.setStartedAt(now);
      this.log.info({ from: new Date(this.watermark).toISOString() }, "new state file; first backfill");
    }
    this.dedup = new Dedup(loaded.seen.filter(([, t]) => t >= this.dedupHorizon()));
    this.server = await startHttpServer(this, cfg.server.listen);
    this.every(cfg.state.commitIntervalMs, () => this.commit());
    this.every(cfg.state.checkpointSeconds * 1000, () => this.checkpoint());
    this.every(200, () => this.tick());
    this.every(10_000, () => this.maintain());
    this.every(cfg.queues.refreshSeconds * 1000, () => void this.refreshQueues());
    this.every(60_000, () => this.log.info({ health: this.health() }, "self-health"));
    if (cfg.backfill.reconcileMinutes > 0) this.every((cfg.backfill.reconcileMinutes * 60_000) / this.clock.speed, () => this.reconcile());
    await this.refreshQueues();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.channels) c.stop();
    this.checkpoint();
    this.store.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- queues and channels --------------------------------------------------------------

  private async refreshQueues(): Promise<void> {
    if (this.stopped) return;
    let found: MonitoredQueue[];
    for (let attempt = 0; ; attempt++) {
      try {
        found = await discoverQueues(this.client, this.config.queues);
        break;
      } catch (e) {
        this.log.error({ err: (e as Error).message }, "queue discovery failed");
        if (this.queues.size > 0 || this.stopped) return; // keep running with what we have
        await new Promise((r) => setTimeout(r, backoffMs(attempt, 1000, 30_000) + 100));
      }
    }
    const added = found.filter((q) => !this.queues.has(q.id));
    const removed = [...this.queues.keys()].filter((id) => !found.some((q) => q.id === id));
    for (const q of found) {
      this.queues.set(q.id, q);
      this.engine.setQueue(q.id, q);
    }
    for (const id of removed) this.queues.delete(id);
    if (found.length === 0) this.log.warn({ selection: this.config.queues }, "no queue matches the selection");
    if (added.length === 0 && removed.length === 0) return;
    this.log.info({ added: added.map((q) => q.name), removed }, "monitored queues changed");
    const isFirst = this.channels.length === 0;
    await this.assignTopics(added.map((q) => q.id), removed);
    if (!isFirst && added.length > 0) {
      // Queues that appeared later: count their day so far, like the first start did.
      const now = this.clock.now();
      this.schedule({ from: this.engineDayStart(now), to: now + this.allowanceMs(), readyAt: now, settle: false, queueIds: new Set(added.map((q) => q.id)), liveAtReal: Date.now(), attempts: 0 });
    }
  }

  /** Stable sharding: a queue keeps its channel; new queues fill channels with room first. */
  private async assignTopics(added: string[], removed: string[]): Promise<void> {
    const perChannel = Math.floor(this.config.stream.topicsPerChannel / 2);
    for (const id of removed) for (const set of this.queuesOf.values()) set.delete(id);
    const fresh: NotificationChannel[] = [];
    for (const id of added) {
      let ch = this.channels.find((c) => this.queuesOf.get(c)!.size < perChannel);
      if (!ch) {
        ch = this.newChannel(`channel-${this.channels.length + 1}`);
        this.channels.push(ch);
        this.queuesOf.set(ch, new Set());
        fresh.push(ch);
      }
      this.queuesOf.get(ch)!.add(id);
    }
    for (const ch of this.channels) {
      const topics = [...this.queuesOf.get(ch)!].flatMap((id) => [`v2.routing.queues.${id}.conversations`, `v2.analytics.queues.${id}.observations`]);
      if (fresh.includes(ch)) {
        await ch.setTopics(topics);
        ch.start();
      } else {
        await ch.setTopics(topics);
      }
    }
  }

  private newChannel(name: string): NotificationChannel {
    const s = this.config.stream;
    return new NotificationChannel(
      name,
      [],
      this.client,
      this.clock,
      this.log,
      { heartbeatSeconds: s.heartbeatSeconds, reconnectInitialSeconds: s.reconnectInitialSeconds, reconnectMaxSeconds: s.reconnectMaxSeconds, rolloverMarginMs: s.rolloverMarginMinutes * 60_000 },
      {
        frame: (f) => this.onFrame(f),
        live: () => this.onLive(),
        raw: (m) => this.taps.onRawFrame?.(m), // [replay hook]
        down: (lastFrameAt, reason) => {
          this.counters.reconnects++;
          this.gapOpen = true;
          this.log.warn({ channel: name, lastFrame: new Date(lastFrameAt).toISOString(), reason }, "stream gap opened");
        },
      },
    );
  }

  private onLive(): void {
    if (!this.gapOpen || !this.channels.every((c) => c.state === "live")) return;
    this.gapOpen = false;
    const now = this.clock.now();
    const to = now + this.allowanceMs();
    this.schedule({ from: this.watermark, to, readyAt: now, settle: false, queueIds: null, liveAtReal: Date.now(), attempts: 0 });
    this.log.info({ from: new Date(this.watermark).toISOString(), to: new Date(to).toISOString() }, "stream live; backfill scheduled");
  }

  /**
   * Without any gap, re-read the last `reconcileMinutes` once the ingestion delay has passed, so
   * a notification the service left out is still counted (dedup drops what the stream had).
   */
  private reconcile(): void {
    if (!this.connected || !this.caughtUp || this.job) return;
    const now = this.clock.now();
    // Each pass starts where the previous one ended, so a skipped turn leaves no hole.
    const from = this.reconciledUntil ?? now - this.config.backfill.reconcileMinutes * 60_000;
    this.reconciledUntil = now;
    this.counters.reconciles = (this.counters.reconciles ?? 0) + 1;
    this.schedule({ from, to: now, readyAt: now + this.ingestionDelayMs(), settle: true, queueIds: null, liveAtReal: Date.now(), attempts: 0 });
  }

  private schedule(job: BackfillJob): void {
    const j = this.job;
    if (!j) {
      this.job = job;
      return;
    }
    // A merged job settles only if both did; an unsettled pass at time T re-derives what still
    // needs settling from T, so nothing an earlier settling job covered is lost.
    j.from = Math.min(j.from, job.from);
    j.to = Math.max(j.to, job.to);
    j.settle = j.settle && job.settle;
    j.readyAt = j.settle ? Math.max(j.readyAt, job.readyAt) : Math.min(j.readyAt, job.readyAt);
    j.liveAtReal = Math.max(j.liveAtReal, job.liveAtReal);
    j.queueIds = j.queueIds === null || job.queueIds === null ? null : new Set([...j.queueIds, ...job.queueIds]);
  }

  // ---- ingest ---------------------------------------------------------------------------

  private onFrame(f: Frame): void {
    const conv = CONVERSATIONS.exec(f.topicName);
    if (conv) {
      try {
        this.ingest(eventsFromSnapshot(f.eventBody, (q) => this.queues.has(q)), "stream");
      } catch (e) {
        this.counters.badPayloads++;
        if (e instanceof SnapshotError) this.log.warn({ topic: f.topicName, err: e.message }, "payload skipped");
        else this.log.error({ topic: f.topicName, err: (e as Error).message }, "payload failed");
      }
      return;
    }
    const obs = OBSERVATIONS.exec(f.topicName);
    if (obs) {
      for (const o of observationsFrom(obs[1], f.eventBody)) if (this.queues.has(o.queueId)) this.engine.observe(o.queueId, o.mediaType, o);
    }
  }

  /** Counts new events once; `floor` drops backfilled events the watermark already covers. */
  private ingest(events: QueueEvent[], source: "stream" | "backfill", floor = -Infinity): void {
    for (const e of events) {
      if (e.time < floor) continue;
      if (e.time < this.dedupHorizon() && !this.dedup.has(e)) {
        // Too old to tell whether it was counted: never risk a double.
        this.counters.lateDropped++;
        continue;
      }
      const a = this.dedup.admit(e);
      if (a.verdict === "duplicate") {
        this.counters.duplicatesDropped++;
        continue;
      }
      if (a.verdict === "conflict") {
        this.counters.outcomeConflicts++;
        this.log.warn({ conversationId: e.conversationId, participantId: e.participantId, queueId: e.queueId, counted: a.counted, read: e.kind, source }, "sources disagree on a queue visit's outcome; the first counted stays");
        continue;
      }
      const id = a.stored;
      this.engine.apply(e);
      this.pending.push({ id, event: e });
      this.counters[source === "stream" ? "streamEvents" : "backfilledEvents"]++;
      this.lastEventAt = this.clock.now();
    }
  }

  // ---- backfill, commit, maintenance ----------------------------------------------------

  private tick(): void {
    const j = this.job;
    if (!j || this.running || this.stopped || this.queues.size === 0) return;
    if (this.clock.now() < j.readyAt) return;
    this.job = null;
    void this.runBackfill(j);
  }

  private async runBackfill(j: BackfillJob): Promise<void> {
    this.running = j;
    const started = Date.now();
    const queriedAt = this.clock.now();
    const cfg = this.config.backfill;
    const overlap = cfg.overlapSeconds * 1000;
    const floor = j.from - overlap;
    try {
      const ids = j.queueIds ? [...j.queueIds].filter((q) => this.queues.has(q)) : [...this.queues.keys()];
      const r = await backfill(this.client, { queueIds: ids, from: floor, to: j.to, lookbackMs: cfg.lookbackMinutes * 60_000, chunkMs: cfg.chunkMinutes * 60_000 }, (events) =>
        this.ingest(events, "backfill", floor),
        (body) => this.taps.onDetailsPage?.(body), // [replay hook]
      );
      this.counters.backfills++;
      this.lastBackfillMs = Date.now() - started;
      if (j.queueIds === null) this.initialDone = true;
      if (!j.settle) {
        this.lastCatchUpMs = Date.now() - j.liveAtReal;
        // Data newer than (query time - ingestion delay) may not have been in the API yet.
        const settleFrom = Math.max(j.from, queriedAt - this.ingestionDelayMs() - overlap);
        this.schedule({ ...j, from: settleFrom, readyAt: j.to + this.ingestionDelayMs(), settle: true, attempts: 0 });
      } else {
        if (j.queueIds === null && !this.gapOpen && !this.job) this.watermark = Math.max(this.watermark, j.to);
      }
      this.log.info(
        { pass: j.settle ? "settling" : "immediate", from: new Date(floor).toISOString(), to: new Date(j.to).toISOString(), ...r, ms: this.lastBackfillMs, ...(j.settle ? {} : { catchUpMs: this.lastCatchUpMs }) },
        "backfill done",
      );
    } catch (e) {
      this.counters.backfillFailures++;
      const retryMs = backoffMs(j.attempts, 1000, 30_000) + 500;
      this.log.error({ err: (e as Error).message, retryMs }, "backfill failed; will retry");
      this.schedule({ ...j, settle: false, readyAt: this.clock.now() + retryMs * this.clock.speed, attempts: j.attempts + 1 });
    } finally {
      this.running = null;
    }
  }

  /** Writes the changed series at the current log position (after committing the pending batch). */
  checkpoint(): void {
    this.commit();
    if (this.pending.length > 0) return; // the batch did not land; checkpoint next time
    try {
      this.store.checkpoint(this.engine.takeDirty());
    } catch (e) {
      this.log.error({ err: (e as Error).message }, "state checkpoint failed");
    }
  }

  /** One transaction: the new events (the log), their identities, the watermark, the counters. */
  commit(): void {
    if (!this.gapOpen && !this.job && !this.running && this.initialDone && this.channels.length > 0 && this.channels.every((c) => c.state === "live")) {
      const oldestFrame = Math.min(...this.channels.map((c) => c.lastFrameAt));
      this.watermark = Math.max(this.watermark, oldestFrame - this.allowanceMs());
    }
    const events = this.pending;
    this.pending = [];
    try {
      this.store.commit({ events, watermark: this.watermark, counters: { ...this.counters, apiErrors: this.client.apiErrors } });
    } catch (e) {
      // Keep the batch: it is retried with the next commit.
      this.pending = events.concat(this.pending);
      this.log.error({ err: (e as Error).message }, "state commit failed");
    }
  }

  private maintain(): void {
    this.engine.maintain();
    const horizon = this.dedupHorizon();
    this.dedup.prune(horizon);
    try {
      this.store.pruneSeen(horizon);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "pruning identities failed");
    }
  }

  // ---- reading --------------------------------------------------------------------------

  /** Connected, and every gap backfilled (a settling re-query may still be due). */
  get ready(): boolean {
    return this.connected && this.caughtUp;
  }

  get caughtUp(): boolean {
    const unsettled = (j: BackfillJob | null) => j !== null && !j.settle;
    return this.initialDone && !unsettled(this.job) && !unsettled(this.running);
  }

  get connected(): boolean {
    return this.channels.length > 0 && this.channels.every((c) => c.state === "live");
  }

  health(): Health {
    const now = this.clock.now();
    return {
      connected: this.connected,
      ready: this.ready,
      caughtUp: this.caughtUp,
      watermark: this.watermark ? new Date(this.watermark).toISOString() : null,
      queues: this.queues.size,
      series: this.engine.seriesCount,
      channels: this.channels.map((c) => ({
        name: c.name,
        state: c.state,
        topics: c.topicCount,
        reconnects: c.reconnects,
        lastFrameAgeSeconds: c.lastFrameAt ? Math.max(0, (now - c.lastFrameAt) / 1000) : null,
      })),
      lastEventAgeSeconds: this.lastEventAt === null ? null : Math.max(0, (now - this.lastEventAt) / 1000),
      counters: { ...this.counters, apiErrors: this.client.apiErrors, dedupIdentities: this.dedup.size, malformedFrames: this.channels.reduce((n, c) => n + c.malformedFrames, 0) },
      http: { ...this.transport.stats, byStatus: { ...this.transport.stats.byStatus } },
      backfill: { pending: this.job !== null && !this.job.settle, settling: this.job?.settle === true, running: this.running !== null, lastDurationMs: this.lastBackfillMs, lastCatchUpMs: this.lastCatchUpMs },
    };
  }

  // ---- helpers --------------------------------------------------------------------------

  /** Identities older than this can no longer be delivered again: W - overlap - a margin. */
  private dedupHorizon(): number {
    return this.watermark - this.config.backfill.overlapSeconds * 1000 - 3_600_000;
  }

  private allowanceMs(): number {
    return this.config.stream.latencyAllowanceSeconds * 1000;
  }

  /** The details API's lag, in clock time (configured in real seconds). */
  private ingestionDelayMs(): number {
    return this.config.backfill.ingestionDelaySeconds * 1000 * this.clock.speed;
  }

  private engineDayStart(now: number): number {
    return this.engine.dayStart(now);
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(() => {
      try {
        f();
      } catch (e) {
        this.log.error({ err: (e as Error).message }, "periodic task failed");
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }
}
