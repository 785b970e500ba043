/**
 * The emulator's EventBridge side: the notifications it would send over WebSocket, published
 * instead as EventBridge events into an SQS queue, the way Genesys' EventBridge integration and
 * an EventBridge rule targeting SQS deliver them (genesys-api.md §7):
 *  - out of order: each message leaves at a random moment within `reorderWindowMs` of being
 *    published (seeded), so order within that window is random;
 *  - at least once: a `duplicateShare` of the messages is sent twice (same event id), each copy
 *    at its own random moment;
 *  - late: `hold(ms)` holds everything published for `ms` and then lets it all go, in random
 *    order (Genesys queues events while AWS is unreachable and retries for up to four days).
 *
 * Memory is bounded: everything not yet sent (in the window, held, or awaiting a retry after a
 * failed send) counts against `maxBufferedChars` (JSON characters of the envelopes; default
 * 32 Mi, about 64 MB of strings). A message that does not fit is dropped: counted in
 * `stats.dropped`, handed to `onDropped` (the ground truth of what never arrived, like an event
 * Genesys gave up on after four days) and logged once a minute with the count.
 */
import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { Backoff, type BackoffOptions } from "../../delivery/retry.js";
import type { Logger } from "../../util/log.js";
import { mulberry32, uuid, type Rng } from "../../util/random.js";

/** A notification as the emulator sends it over WebSocket. */
export interface NotificationFrame {
  topicName: string;
  version?: string;
  eventBody: unknown;
  metadata: { CorrelationId: string };
}

export interface PublisherOptions {
  queueUrl: string;
  region: string;
  endpoint?: string;
  credentials?: SQSClientConfig["credentials"];
  /** The Genesys organization in the event source `aws.partner/genesys.com/cloud/<orgId>/<suffix>`. */
  orgId: string;
  sourceSuffix?: string;
  account?: string;
  seed: number;
  /** Real ms (default 200). */
  reorderWindowMs?: number;
  /** 0..1 (default 0). */
  duplicateShare?: number;
  maxBufferedChars?: number;
  /** The envelope's `time` (the emulator's virtual clock; default real time). */
  now?: () => number;
  /** Each message copy as it is accepted by SQS (copy 0 or 1). */
  onSent?: (correlationId: string, copy: number) => void;
  onDropped?: (correlationId: string, reason: string) => void;
  backoff?: BackoffOptions;
}

interface Pending {
  due: number;
  body: string;
  correlationId: string;
  copy: number;
}

const BATCH_BYTES = 256 * 1024;
const MAX_SENDS_IN_FLIGHT = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The topic template EventBridge shows as `detail-type`: id segments become `{id}`. */
export function topicTemplate(topicName: string): string {
  return topicName
    .split(".")
    .map((s) => (UUID.test(s) ? "{id}" : s))
    .join(".");
}

/** One EventBridge event around a notification, in the field order of the captured events. */
export function toEnvelope(frame: NotificationFrame, e: { id: string; time: number; orgId: string; sourceSuffix: string; account: string; region: string }): string {
  return JSON.stringify({
    version: "0",
    id: e.id,
    "detail-type": topicTemplate(frame.topicName),
    source: `aws.partner/genesys.com/cloud/${e.orgId}/${e.sourceSuffix}`,
    account: e.account,
    time: new Date(e.time).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: e.region,
    resources: [],
    detail: { topicName: frame.topicName, version: frame.version ?? "2", eventBody: frame.eventBody, metadata: { CorrelationId: frame.metadata.CorrelationId } },
  });
}

/** The delays (ms after publishing) of one message's copies: the draw is the whole of the reorder and duplicate faults. */
export function drawDelays(rng: Rng, reorderWindowMs: number, duplicateShare: number): number[] {
  const first = rng() * reorderWindowMs;
  return rng() < duplicateShare ? [first, rng() * reorderWindowMs] : [first];
}

export class EventBridgePublisher {
  readonly stats = { published: 0, sent: 0, duplicates: 0, held: 0, dropped: 0, sendFailures: 0, retried: 0, refused: 0, bufferedChars: 0 };
  private readonly client: SQSClient;
  private readonly rng: Rng;
  private readonly ids: Rng;
  private pending: Pending[] = [];
  private holdUntil = 0;
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private readonly backoff: Backoff;
  private retryAt = 0;
  private lastDropLog = { at: 0, dropped: 0 };
  private stopped = false;
  private readonly window: number;
  private readonly share: number;
  private readonly maxChars: number;

  constructor(
    private readonly options: PublisherOptions,
    private readonly log: Logger,
  ) {
    this.window = options.reorderWindowMs ?? 200;
    this.share = options.duplicateShare ?? 0;
    this.maxChars = options.maxBufferedChars ?? 32 * 1024 * 1024;
    if (!(this.window >= 0)) throw new Error(`eventbridge publisher reorderWindowMs: ${this.window} must be >= 0`);
    if (!(this.share >= 0 && this.share <= 1)) throw new Error(`eventbridge publisher duplicateShare: ${this.share} must be in [0, 1]`);
    this.rng = mulberry32(options.seed);
    this.ids = mulberry32(options.seed ^ 0x5eed);
    this.backoff = new Backoff(options.backoff ?? { baseMs: 200, capMs: 10_000, minMs: 50 });
    this.client = new SQSClient({ region: options.region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 1 });
  }

  /** Queues one notification; false when it was dropped (the buffer bound). */
  publish(frame: NotificationFrame): boolean {
    if (this.stopped) return false;
    this.stats.published++;
    const now = Date.now();
    const body = toEnvelope(frame, { id: uuid(this.ids), time: this.options.now?.() ?? now, orgId: this.options.orgId, sourceSuffix: this.options.sourceSuffix ?? "queue-monitor-emulator", account: this.options.account ?? "000000000000", region: this.options.region });
    const delays = drawDelays(this.rng, this.window, this.share);
    const id = frame.metadata.CorrelationId;
    if (this.stats.bufferedChars + body.length * delays.length > this.maxChars) {
      this.drop(id, `buffer full (${this.stats.bufferedChars} of ${this.maxChars} characters held)`);
      return false;
    }
    const from = now < this.holdUntil ? this.holdUntil : now;
    if (now < this.holdUntil) this.stats.held++;
    if (delays.length > 1) this.stats.duplicates++;
    delays.forEach((d, copy) => this.pending.push({ due: from + d, body, correlationId: id, copy }));
    this.stats.bufferedChars += body.length * delays.length;
    this.arm();
    return true;
  }

  /** The late-delivery fault: nothing leaves for `ms`; then what was held leaves, in random order within the window. */
  hold(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
    for (const p of this.pending) if (p.due < this.holdUntil) p.due = this.holdUntil + this.rng() * this.window;
  }

  get buffered(): number {
    return this.pending.length + this.inFlight;
  }

  /** Resolves once nothing is waiting or being sent; rejects after `timeoutMs`. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pending.length > 0 || this.inFlight > 0) {
      if (Date.now() > until) throw new Error(`eventbridge publisher: ${this.pending.length} messages still waiting after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops at once: what is still buffered is dropped (counted and reported). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const p of this.pending.splice(0)) {
      this.stats.bufferedChars -= p.body.length;
      this.drop(p.correlationId, "publisher stopped");
    }
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    this.client.destroy();
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.tick(), 5);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    if (this.pending.length === 0 && this.inFlight === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (now < this.holdUntil || now < this.retryAt || this.inFlight >= MAX_SENDS_IN_FLIGHT) return;
    const due: Pending[] = [];
    const later: Pending[] = [];
    for (const p of this.pending) (p.due <= now ? due : later).push(p);
    if (due.length === 0) return;
    due.sort((a, b) => a.due - b.due);
    let i = 0;
    while (i < due.length && this.inFlight < MAX_SENDS_IN_FLIGHT) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (i < due.length && batch.length < 10 && bytes + due[i].body.length <= BATCH_BYTES) {
        bytes += due[i].body.length;
        batch.push(due[i++]);
      }
      if (batch.length === 0) batch.push(due[i++]); // one message over the batch size: SQS refuses it, counted there
      void this.send(batch);
    }
    this.pending = later.concat(due.slice(i));
  }

  private async send(batch: Pending[]): Promise<void> {
    this.inFlight += batch.length;
    const chars = batch.reduce((n, p) => n + p.body.length, 0);
    let retry: Pending[] = [];
    try {
      const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: batch.map((p, i) => ({ Id: String(i), MessageBody: p.body })) }));
      for (const ok of out.Successful ?? []) {
        const p = batch[Number(ok.Id)];
        this.stats.sent++;
        this.options.onSent?.(p.correlationId, p.copy);
      }
      for (const f of out.Failed ?? []) {
        const p = batch[Number(f.Id)];
        if (f.SenderFault) {
          this.stats.refused++;
          this.drop(p.correlationId, `SQS refused the message: ${f.Code} ${f.Message ?? ""}`);
        } else retry.push(p);
      }
      if (retry.length === 0) this.backoff.reset();
    } catch (e) {
      this.stats.sendFailures++;
      if (this.stats.sendFailures === 1 || this.stats.sendFailures % 100 === 0) this.log.warn({ err: (e as Error).message, sendFailures: this.stats.sendFailures }, "SendMessageBatch failed; retrying with backoff");
      retry = batch;
    } finally {
      this.inFlight -= batch.length;
    }
    this.stats.bufferedChars -= chars;
    if (retry.length > 0 && !this.stopped) {
      this.stats.bufferedChars += retry.reduce((n, p) => n + p.body.length, 0);
      this.stats.retried += retry.length;
      this.retryAt = Date.now() + this.backoff.next();
      for (const p of retry) this.pending.push({ ...p, due: this.retryAt });
      this.arm();
    } else if (retry.length > 0) {
      for (const p of retry) this.drop(p.correlationId, "publisher stopped");
    }
  }

  private drop(correlationId: string, reason: string): void {
    this.stats.dropped++;
    this.options.onDropped?.(correlationId, reason);
    const now = Date.now();
    if (now - this.lastDropLog.at >= 60_000) {
      this.log.warn({ reason, dropped: this.stats.dropped, sinceLastLine: this.stats.dropped - this.lastDropLog.dropped }, "eventbridge publisher dropped notifications (counted; logged once a minute)");
      this.lastDropLog = { at: now, dropped: this.stats.dropped };
    }
  }
}
