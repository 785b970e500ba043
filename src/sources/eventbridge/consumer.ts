/**
 * The EventBridge source's I/O edge: long-polls the SQS queue that Genesys' EventBridge rule
 * feeds, hands each batch's frames to the monitor, and deletes a message only once what it
 * carried is durably committed.
 *
 *   receive (WaitTimeSeconds 20, up to 10) -> read each body (envelope.ts)
 *     -> readable: deliver(frames), then await committed(), then DeleteMessageBatch
 *     -> unreadable: counted by kind, NOT deleted, hidden for `unreadableVisibilitySeconds`
 *
 * EventBridge delivers at least once and in no particular order, and Genesys retries for up to
 * four days; deleting only after the commit keeps "at least once" through our own crashes too,
 * and the monitor's event identities make it exactly once.
 *
 * Unreadable messages are left to the queue's redrive policy: SQS moves a message to the
 * dead-letter queue once it has been received maxReceiveCount times. Hiding them for 10 minutes
 * (default) after each receipt means a bad message costs one receive per 10 minutes rather than
 * one per poll, and still reaches the dead-letter queue in maxReceiveCount x 10 minutes (50 min at
 * the usual 5), far inside the 4-day default retention; a longer wait would only delay the
 * operator's view of the problem in the dead-letter queue.
 *
 * Receives are pipelined: new batches are received while earlier ones wait for their commit (a
 * commit every 500 ms would otherwise cap the source at 20 messages a second), bounded by
 * `maxAwaitingCommit`. A batch whose commit takes long has its visibility extended before it
 * runs out, so SQS does not hand it to anyone else meanwhile. SQS errors back off through the
 * project's retry policy (transport/retry.ts); the SDK's own retries are off so there is one.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { Backoff, type BackoffOptions } from "../../delivery/retry.js";
import type { Logger } from "../../util/log.js";
import { every } from "../../util/timers.js";
import { deleteCommitted, extendVisibility, hideUnreadable, type Batch, type BatchOps } from "./batch-ops.js";
import { describeError, displayQueueUrl, OldestSeen, UnreadableLog, type EventBridgeSourceStatus } from "./consumer-status.js";
import { readEnvelope, type EventBridgeFrame } from "./envelope.js";

/** What the monitor supplies: its normalize + ingest step, and a way to wait for the commit. */
export interface EventBridgeSink {
  /** Normalizes and ingests a batch, synchronously. A frame may come again (at-least-once): ingest is idempotent by identity. */
  deliver(frames: EventBridgeFrame[]): void;
  /** Resolves once everything delivered so far is durably committed to the state file; rejects if that commit failed for good. */
  committed(): Promise<void>;
  /** Each receive that answered: how many messages, and whether the batch was full (more may be waiting). */
  polled?(messages: number, full: boolean): void;
  /** Each receive that failed (it is retried with backoff). */
  pollFailed?(e: unknown): void;
}

export interface EventBridgeConsumerOptions {
  queueUrl: string;
  region: string;
  /** An SQS-compatible server (fauxqs, ElasticMQ); absent: AWS, at the queue URL's host. */
  endpoint?: string;
  /** Absent: the SDK's default chain (environment, profile, SSO, container or instance role). */
  credentials?: SQSClientConfig["credentials"];
  /** Refuse events of other Genesys organizations (envelope.ts `other-org`). */
  orgId?: string;
  /** How long a received batch stays hidden before it must be deleted or extended (default 60 s). */
  visibilityTimeoutSeconds?: number;
  /** How long an unreadable message stays hidden after each receipt (default 600 s; see the module comment). */
  unreadableVisibilitySeconds?: number;
  waitTimeSeconds?: number;
  maxMessages?: number;
  /** Concurrent long polls (default 2). */
  pollers?: number;
  /** Delivered messages waiting for commit + delete beyond which receiving pauses (default 5,000). */
  maxAwaitingCommit?: number;
  /** Real ms between backlog reads (default 30 s). */
  backlogEveryMs?: number;
  backoff?: BackoffOptions;
}

const DEFAULTS = { visibilityTimeoutSeconds: 60, unreadableVisibilitySeconds: 600, waitTimeSeconds: 20, maxMessages: 10, pollers: 2, maxAwaitingCommit: 5000, backlogEveryMs: 30_000 };

function check(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`eventbridge.${name}: ${value} is not an integer in [${min}, ${max}]`);
  return value;
}

export class EventBridgeConsumer {
  /** The SDK client (its middleware stack is open to metrics and tests). */
  readonly client: SQSClient;
  private readonly opts: Required<Omit<EventBridgeConsumerOptions, "endpoint" | "credentials" | "orgId" | "backoff">> & Pick<EventBridgeConsumerOptions, "orgId"> & { backoff: BackoffOptions };
  private readonly status_: EventBridgeSourceStatus;
  private readonly unreadable: UnreadableLog;
  private readonly oldest = new OldestSeen();
  private readonly awaiting = new Set<Batch>();
  private awaitingMessages = 0;
  /** Room taken by long polls in flight, so concurrent pollers together stay within maxAwaitingCommit. */
  private reserved = 0;
  private roomWaiters: (() => void)[] = [];
  private abort = new AbortController();
  private pollers: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private backingOff = 0;
  private redriveWarned = false;
  private readonly errorLogged = new Map<string, number>();
  private readonly ops: BatchOps;

  constructor(
    options: EventBridgeConsumerOptions,
    private readonly sink: EventBridgeSink,
    private readonly log: Logger,
  ) {
    try {
      new URL(options.queueUrl);
    } catch {
      throw new Error(`eventbridge.queueUrl: not a URL: ${displayQueueUrl(String(options.queueUrl))}`);
    }
    if (typeof options.region !== "string" || options.region === "") throw new Error("eventbridge.region: required (e.g. us-east-2)");
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as EventBridgeConsumerOptions & typeof DEFAULTS;
    check("visibilityTimeoutSeconds", o.visibilityTimeoutSeconds, 2, 43_200);
    check("unreadableVisibilitySeconds", o.unreadableVisibilitySeconds, 0, 43_200);
    check("waitTimeSeconds", o.waitTimeSeconds, 0, 20);
    check("maxMessages", o.maxMessages, 1, 10);
    check("pollers", o.pollers, 1, 32);
    check("maxAwaitingCommit", o.maxAwaitingCommit, o.maxMessages, 1_000_000);
    this.opts = { ...o, backoff: o.backoff ?? { baseMs: 500, capMs: 30_000, minMs: 100 } };
    this.client = new SQSClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      maxAttempts: 1,
      // A long poll answers within WaitTimeSeconds; silence well past that is a dead connection.
      requestHandler: { requestTimeout: (o.waitTimeSeconds + 10) * 1000, connectionTimeout: 5000, throwOnRequestTimeout: true },
    });
    this.unreadable = new UnreadableLog(log);
    this.status_ = {
      type: "eventbridge-sqs",
      queueUrl: displayQueueUrl(options.queueUrl),
      region: options.region,
      state: "idle",
      received: 0,
      delivered: 0,
      deleted: 0,
      redelivered: 0,
      unreadable: this.unreadable.byKind,
      extended: 0,
      extendFailed: 0,
      deleteFailed: 0,
      deleteAbandoned: 0,
      awaitingCommit: 0,
      errors: 0,
      backlog: null,
      oldestMessageAgeSeconds: null,
      lastError: null,
    };
    this.ops = { client: this.client, queueUrl: options.queueUrl, status: this.status_, log, backoff: this.opts.backoff, failed: (op, e) => this.failed(op, e) };
  }

  start(): void {
    if (this.pollers.length > 0) return;
    this.status_.state = "polling";
    for (let i = 0; i < this.opts.pollers; i++) this.pollers.push(this.poll());
    const tick = Math.max(250, Math.min(1000, (this.opts.visibilityTimeoutSeconds * 1000) / 8));
    every(this.timers, tick, this.log, "eventbridge visibility extension failed", () => {
      this.extendDue();
      this.unreadable.report();
    });
    void this.readBacklog();
    every(this.timers, this.opts.backlogEveryMs, this.log, "eventbridge backlog read failed", () => void this.readBacklog());
  }

  /**
   * Stops receiving at once (the long polls are aborted), then waits up to `drainMs` for the
   * batches already delivered to be committed and deleted: the caller commits meanwhile. What is
   * left is not lost: SQS shows it again after its visibility timeout. A long poll aborted
   * in flight may still have taken messages on the server side; they come back the same way.
   */
  async stop(drainMs = 5000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.status_.state = "stopping";
    this.abort.abort();
    for (const w of this.roomWaiters.splice(0)) w();
    await Promise.all(this.pollers);
    const until = Date.now() + drainMs;
    while (this.awaiting.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.awaiting.size > 0) this.log.warn({ messages: this.awaitingMessages }, "stopped with delivered messages not yet deleted: SQS shows them again after their visibility timeout (the monitor's identities drop the repeats)");
    this.status_.state = "stopped";
    this.client.destroy();
  }

  status(): EventBridgeSourceStatus {
    this.status_.awaitingCommit = this.awaitingMessages;
    this.status_.oldestMessageAgeSeconds = this.oldest.ageSeconds();
    if (this.status_.state === "polling" || this.status_.state === "backing-off") this.status_.state = this.backingOff > 0 ? "backing-off" : "polling";
    return { ...this.status_, unreadable: { ...this.unreadable.byKind } };
  }

  // ---- receiving ------------------------------------------------------------------------

  private async poll(): Promise<void> {
    const backoff = new Backoff(this.opts.backoff);
    while (!this.stopping) {
      if (this.awaitingMessages + this.reserved + this.opts.maxMessages > this.opts.maxAwaitingCommit) {
        await new Promise<void>((r) => this.roomWaiters.push(r));
        continue;
      }
      const startedAt = Date.now();
      let messages: Message[];
      this.reserved += this.opts.maxMessages;
      try {
        const out = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.opts.queueUrl,
            WaitTimeSeconds: this.opts.waitTimeSeconds,
            MaxNumberOfMessages: this.opts.maxMessages,
            VisibilityTimeout: this.opts.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
        backoff.reset();
      } catch (e) {
        if (this.stopping) return;
        this.failed("ReceiveMessage", e);
        this.sink.pollFailed?.(e);
        await this.pause(backoff.next());
        continue;
      } finally {
        this.reserved -= this.opts.maxMessages;
      }
      if (this.stopping) return; // not delivered: SQS shows them again after the visibility timeout
      if (messages.length > 0) this.handle(messages, startedAt);
      this.sink.polled?.(messages.length, messages.length >= this.opts.maxMessages);
    }
  }

  private handle(messages: Message[], startedAt: number): void {
    const frames: EventBridgeFrame[] = [];
    const good: Message[] = [];
    const bad: Message[] = [];
    for (const m of messages) {
      this.status_.received++;
      const sent = Number(m.Attributes?.SentTimestamp);
      if (Number.isFinite(sent) && sent > 0) this.oldest.see(sent);
      const receiveCount = Number(m.Attributes?.ApproximateReceiveCount);
      if (receiveCount > 1) this.status_.redelivered++;
      const r = readEnvelope(m.Body ?? "", { orgId: this.opts.orgId });
      if (r.ok) {
        frames.push(r.frame);
        good.push(m);
      } else {
        this.unreadable.count(r.refusal, m.MessageId, Number.isFinite(receiveCount) ? receiveCount : undefined);
        bad.push(m);
      }
    }
    const delivered = good.length > 0 ? this.deliver(frames, good, bad) : [];
    if (bad.length > 0) void hideUnreadable(this.ops, bad, this.opts.unreadableVisibilitySeconds);
    if (delivered.length === 0) return;
    this.status_.delivered += delivered.length;
    const batch: Batch = { entries: delivered.map((m) => ({ messageId: m.MessageId ?? "", receipt: m.ReceiptHandle ?? "" })), visibleUntil: startedAt + this.opts.visibilityTimeoutSeconds * 1000, extending: false };
    this.awaiting.add(batch);
    this.awaitingMessages += batch.entries.length;
    let committed: Promise<void>;
    try {
      committed = this.sink.committed();
    } catch (e) {
      committed = Promise.reject(e);
    }
    committed.then(
      () => void this.remove(batch),
      (e) => {
        // Not deleted: the messages come back after their visibility timeout and are ingested again.
        this.failed("commit", e, "the commit of delivered messages failed: they are not deleted and come back after their visibility timeout");
        this.release(batch);
      },
    );
  }

  /**
   * Hands the frames on; if the sink throws, each frame again on its own (those it took are
   * ingested twice, which identities absorb), so one frame the sink cannot take does not hold
   * back its batch. Messages whose frame still throws join `bad` (left to the dead-letter policy).
   */
  private deliver(frames: EventBridgeFrame[], good: Message[], bad: Message[]): Message[] {
    try {
      this.sink.deliver(frames);
      return good;
    } catch (batchError) {
      const ok: Message[] = [];
      for (let i = 0; i < frames.length; i++) {
        try {
          this.sink.deliver([frames[i]]);
          ok.push(good[i]);
        } catch (e) {
          this.unreadable.count({ kind: "deliver-failed", reason: `the monitor could not ingest a ${frames[i].topicName} frame: ${describeError(e).message}` }, good[i].MessageId, undefined);
          bad.push(good[i]);
        }
      }
      if (ok.length === frames.length) this.log.warn({ err: describeError(batchError).message, frames: frames.length }, "a batch failed to ingest but each frame alone went in");
      return ok;
    }
  }

  // ---- after the commit -----------------------------------------------------------------

  private async remove(batch: Batch): Promise<void> {
    try {
      await deleteCommitted(this.ops, batch);
    } finally {
      this.release(batch);
    }
  }

  private release(batch: Batch): void {
    if (!this.awaiting.delete(batch)) return;
    this.awaitingMessages -= batch.entries.length;
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** Extends the batches still waiting for their commit whose visibility is half gone. */
  private extendDue(): void {
    const now = Date.now();
    const timeoutMs = this.opts.visibilityTimeoutSeconds * 1000;
    for (const batch of this.awaiting) {
      if (batch.extending || batch.visibleUntil - now > timeoutMs / 2) continue;
      batch.extending = true;
      void extendVisibility(this.ops, batch, this.opts.visibilityTimeoutSeconds).finally(() => (batch.extending = false));
    }
  }

  // ---- the queue ------------------------------------------------------------------------

  private async readBacklog(): Promise<void> {
    if (this.stopping) return;
    try {
      const out = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.opts.queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy"] }));
      const a = out.Attributes ?? {};
      this.status_.backlog = { visible: Number(a.ApproximateNumberOfMessages ?? NaN), notVisible: Number(a.ApproximateNumberOfMessagesNotVisible ?? NaN), at: new Date().toISOString() };
      this.status_.redrive = parseRedrive(a.RedrivePolicy);
      if (this.status_.redrive === null && !this.redriveWarned) {
        this.redriveWarned = true;
        this.log.warn({ queueUrl: this.status_.queueUrl }, "the queue has no redrive policy: unreadable messages are never moved to a dead-letter queue and stay until their retention ends; give it one (maxReceiveCount 5)");
      }
    } catch (e) {
      this.failed("GetQueueAttributes", e);
    }
  }

  // ---- plumbing -------------------------------------------------------------------------

  private failed(operation: string, e: unknown, what = "SQS call failed; retrying with backoff"): void {
    this.status_.errors++;
    const d = describeError(e);
    const now = Date.now();
    this.status_.lastError = { at: new Date(now).toISOString(), operation, ...d };
    // The same failure over and over (SQS down for a while) is one line a minute, and counted.
    const key = `${operation} ${d.code ?? d.status ?? d.message}`;
    if (now - (this.errorLogged.get(key) ?? -Infinity) < 60_000) return;
    this.errorLogged.set(key, now);
    if (this.errorLogged.size > 100) this.errorLogged.delete(this.errorLogged.keys().next().value!);
    this.log.error({ operation, ...d, queueUrl: this.status_.queueUrl, errors: this.status_.errors }, `${what} (the same failure is logged at most once a minute)`);
  }

  /** Waits `ms`, or less if the consumer stops. */
  private async pause(ms: number): Promise<void> {
    this.backingOff++;
    try {
      await new Promise<void>((resolve) => {
        const signal = this.abort.signal;
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const t = setTimeout(done, ms);
        signal.addEventListener("abort", done, { once: true });
      });
    } finally {
      this.backingOff--;
    }
  }
}

function parseRedrive(text: string | undefined): { deadLetterTargetArn: string; maxReceiveCount: number } | null {
  if (text === undefined || text === "") return null;
  try {
    const p = JSON.parse(text) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    if (typeof p.deadLetterTargetArn !== "string") return null;
    return { deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: Number(p.maxReceiveCount) };
  } catch {
    return null;
  }
}
