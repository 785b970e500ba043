/**
 * The EventBridge source as the monitor sees it: the SQS consumer behind the same small face as
 * the WebSocket channel pool (stream-source.ts). Every frame goes to the same listener (the frame
 * dispatch, so one path normalizes and ingests both), and a message is deleted only after a
 * commit that includes what it carried (`commits.next()`).
 *
 * There is no socket to be up or down, so:
 *  - live: receives succeed and the queue was drained lately (a receive came back with fewer
 *    messages than it asked for, or the backlog read showed fewer than one receive takes). A
 *    monitor behind its queue is not live: its figures lag by the backlog.
 *  - gap: receives have failed for `gapAfterSeconds` (EventBridge may give up on a target that
 *    long unreachable). When they work again, every queue is backfilled from the watermark W.
 *    A restart backfills from W as always, which covers a monitor down longer than the queue
 *    keeps messages. What no signal shows (a purged queue, events Genesys never delivered) is
 *    what reconciliation and the loss detector are for.
 *  - watermark: the stream may take W to the last time the queue was drained, minus the latency
 *    allowance or, when longer, the longest delivery lag seen lately (Genesys retries for days;
 *    messages age in a backlog), so W does not pass events that are still arriving late.
 */
import type { SQSClientConfig } from "@aws-sdk/client-sqs";
import type { Problems } from "../../app/problems.js";
import type { Clock } from "../../util/clock.js";
import type { Logger } from "../../util/log.js";
import { every } from "../../util/timers.js";
import type { ChannelView, PoolListener } from "../genesys/stream/pool.js";
import type { StreamSource } from "../stream-source.js";
import type { EventBridgeSourceConfig } from "./config.js";
import { EventBridgeConsumer, type EventBridgeSink } from "./consumer.js";
import { describeError, type EventBridgeHealth } from "./consumer-status.js";
import { DeliveryLag } from "./delivery-lag.js";
import type { EventBridgeFrame } from "./envelope.js";

/** The source's name where the triggers and logs name a channel. */
export const EVENTBRIDGE_CHANNEL = "eventbridge";
/** The standing-problem area of SQS refusals that retrying cannot fix. */
export const EVENTBRIDGE_AREA = "eventbridge";
const MAX_MESSAGES = 10;

export interface EventBridgeSourceParts {
  clock: Clock;
  log: Logger;
  /** Resolves after a commit that includes everything delivered before the call. */
  commits: { next(): Promise<void> };
  problems: Problems;
  /** The stream latency allowance (monitor-clock ms). */
  allowanceMs: number;
  credentials?: SQSClientConfig["credentials"];
  /** For the region when neither the config nor the queue URL names one. */
  env?: NodeJS.ProcessEnv;
}

/** An SQS answer retrying cannot fix (no such queue, access denied, no credentials), or null. */
export function permanentSqsError(e: unknown): { status: number | null; reason: string } | null {
  const d = describeError(e);
  const name = (e as { name?: unknown } | null)?.name;
  if (name === "CredentialsProviderError") return { status: null, reason: `no AWS credentials: ${d.message}` };
  if (d.status === 403 || (d.status === 400 && !/throttl|overlimit/i.test(d.code ?? ""))) return { status: d.status, reason: `${d.code ?? "refused"}: ${d.message}` };
  return null;
}

export class EventBridgeSource implements StreamSource {
  private readonly consumer: EventBridgeConsumer;
  private listener: PoolListener | null = null;
  private readonly queues = new Set<string>();
  private readonly lag: DeliveryLag;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly liveWindowMs: number;
  private started = false;
  private stopped = false;
  private drainedReal: number | null = null;
  private drainedClock: number | null = null;
  private failingSince: number | null = null;
  private lastReceiveClock: number | null = null;
  private gapOpen = false;
  private wasLive = false;

  constructor(
    private readonly config: EventBridgeSourceConfig,
    private readonly p: EventBridgeSourceParts,
  ) {
    const env = p.env ?? process.env;
    const region = config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new Error("config: source.region: the queue URL names no region and AWS_REGION is not set");
    const sink: EventBridgeSink = {
      deliver: (frames) => this.deliver(frames),
      committed: () => p.commits.next(),
      polled: (_messages, full) => this.polled(full),
      pollFailed: (e) => this.pollFailed(e),
    };
    this.consumer = new EventBridgeConsumer(
      {
        queueUrl: config.queueUrl,
        region,
        endpoint: config.endpoint,
        credentials: p.credentials,
        orgId: config.orgId,
        visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
        unreadableVisibilitySeconds: config.unreadableVisibilitySeconds,
        waitTimeSeconds: config.waitTimeSeconds,
        maxMessages: MAX_MESSAGES,
        pollers: config.pollers,
        maxAwaitingCommit: config.maxAwaitingCommit,
        backlogEveryMs: config.backlogEverySeconds * 1000,
      },
      sink,
      p.log,
    );
    this.lag = new DeliveryLag(config.lagWindowMinutes * 60_000);
    this.liveWindowMs = (Math.max(config.waitTimeSeconds, config.backlogEverySeconds) + 10) * 1000;
  }

  listen(l: PoolListener): void {
    this.listener = l;
  }

  /** Every selected queue comes through the one SQS queue; the first call starts polling. */
  async assign(added: string[], removed: string[]): Promise<void> {
    for (const id of removed) this.queues.delete(id);
    for (const id of added) this.queues.add(id);
    if (this.started || this.stopped) return;
    if (!this.listener) throw new Error("eventbridge source: no listener (listen() before assign())");
    this.started = true;
    this.consumer.start();
    every(this.timers, 250, this.p.log, "eventbridge source check failed", () => this.check());
    this.p.log.info({ queueUrl: this.consumer.status().queueUrl, queues: this.queues.size }, "polling the EventBridge SQS queue");
  }

  get connected(): boolean {
    if (!this.started || this.stopped || this.failingSince !== null || this.drainedReal === null) return false;
    return Date.now() - this.drainedReal <= this.liveWindowMs;
  }

  get size(): number {
    return this.started ? 1 : 0;
  }

  /** The last drained moment, less what the delivery lag adds beyond the allowance (the caller subtracts that). */
  lastFrames(): number[] {
    if (this.drainedClock === null) return [];
    const lag = this.lag.max(this.p.clock.now()) ?? 0;
    return [this.drainedClock - Math.max(0, lag - this.p.allowanceMs)];
  }

  views(): ChannelView[] {
    return [];
  }

  get unstreamed(): number {
    return 0;
  }

  unstreamedQueues(): string[] {
    return [];
  }

  get malformedFrames(): number {
    return Object.values(this.consumer.status().unreadable).reduce((n, k) => n + k, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.consumer.stop();
  }

  status(): EventBridgeHealth {
    const now = Date.now();
    const lag = this.lag.max(this.p.clock.now());
    return {
      ...this.consumer.status(),
      live: this.connected,
      drainedAgeSeconds: this.drainedReal === null ? null : Math.max(0, (now - this.drainedReal) / 1000),
      deliveryLagSeconds: lag === null ? null : lag / 1000,
      failingSince: this.failingSince === null ? null : new Date(this.failingSince).toISOString(),
      gapOpen: this.gapOpen,
    };
  }

  notLiveReason(): string | null {
    if (this.connected) return null;
    if (this.stopped) return "EventBridge: stopped";
    if (!this.started) return "EventBridge: not polling yet (queue discovery has not completed)";
    const s = this.consumer.status();
    if (this.failingSince !== null) return `EventBridge: SQS receives failing since ${new Date(this.failingSince).toISOString()}${s.lastError ? ` (${s.lastError.operation}: ${s.lastError.message})` : ""}`;
    if (this.drainedReal === null) return "EventBridge: waiting for the first receive";
    return `EventBridge: catching up with the queue's backlog (${s.backlog ? `about ${s.backlog.visible} messages waiting` : "backlog not read yet"})`;
  }

  // ---- the consumer's sink ----------------------------------------------------------------

  /** Synchronous, as the consumer expects: every frame through the dispatch. */
  private deliver(frames: EventBridgeFrame[]): void {
    const l = this.listener!;
    const now = this.p.clock.now();
    for (const f of frames) {
      if (f.eventTime !== undefined) this.lag.see(f.eventTime, now);
      // run --record keeps frames in the WebSocket's shape (the envelope's detail), so replay reads both alike.
      l.raw?.(JSON.stringify({ topicName: f.topicName, version: "2", eventBody: f.eventBody, metadata: { CorrelationId: f.correlationId ?? "" } }));
      l.frame(f);
    }
  }

  private polled(full: boolean): void {
    this.lastReceiveClock = this.p.clock.now();
    if (this.failingSince !== null) {
      this.p.log.info({ failingSince: new Date(this.failingSince).toISOString() }, "SQS receives work again");
      this.failingSince = null;
      this.p.problems.clear(EVENTBRIDGE_AREA);
    }
    if (!full) this.drained(Date.now(), this.lastReceiveClock);
    if (this.gapOpen) {
      // The gap's queues are read back now, while the queue's backlog drains.
      this.gapOpen = false;
      this.listener?.live(EVENTBRIDGE_CHANNEL, [...this.queues]);
    }
    this.check();
  }

  private pollFailed(e: unknown): void {
    this.failingSince ??= Date.now();
    const p = permanentSqsError(e);
    if (p) this.p.problems.raise(EVENTBRIDGE_AREA, p.status, `SQS queue ${this.consumer.status().queueUrl}: ${p.reason}`);
    this.check();
  }

  private drained(real: number, clock: number): void {
    if (this.drainedReal !== null && real <= this.drainedReal) return;
    this.drainedReal = real;
    this.drainedClock = clock;
  }

  /** Turns live, or opens a gap after failing long enough; a small backlog counts as drained. */
  private check(): void {
    if (this.stopped || !this.listener) return;
    const s = this.consumer.status();
    if (s.backlog && s.backlog.visible < MAX_MESSAGES && this.failingSince === null) {
      const at = Date.parse(s.backlog.at);
      this.drained(at, this.p.clock.now() - (Date.now() - at) * this.p.clock.speed);
    }
    const live = this.connected;
    if (live && !this.wasLive) this.listener.live(EVENTBRIDGE_CHANNEL, [...this.queues]);
    this.wasLive = live;
    if (this.failingSince !== null && !this.gapOpen && Date.now() - this.failingSince >= this.config.gapAfterSeconds * 1000) {
      this.gapOpen = true;
      const reason = `SQS receives failing for ${this.config.gapAfterSeconds} s: ${s.lastError?.message ?? "unknown error"}`;
      this.listener.down(EVENTBRIDGE_CHANNEL, this.lastReceiveClock ?? this.p.clock.now(), reason);
    }
  }
}
