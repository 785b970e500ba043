/**
 * What the EventBridge consumer reports about itself (/api/health): its counters, the queue's
 * backlog, the age of the oldest message lately received, the last error, and the log of
 * unreadable messages, which says each kind once and then only counts (a queue full of one bad
 * kind must not write a line per message).
 */
import type { Logger } from "../../util/log.js";
import { excerpt } from "../../util/redact.js";
import type { Refusal } from "./envelope.js";

export interface EventBridgeSourceStatus {
  type: "eventbridge-sqs";
  /** The queue URL without user info, query or fragment. */
  queueUrl: string;
  region: string;
  state: "idle" | "polling" | "backing-off" | "stopping" | "stopped";
  /** Since start: messages received (every receipt, redeliveries included), frames delivered, messages deleted after their commit. */
  received: number;
  delivered: number;
  deleted: number;
  /** Receipts of a message received before (ApproximateReceiveCount > 1). */
  redelivered: number;
  /** Receipts left to the dead-letter policy, by kind (envelope refusals, and `deliver-failed` for frames the sink threw on). */
  unreadable: Record<string, number>;
  /** Visibility extensions of batches waiting for their commit, and those SQS refused. */
  extended: number;
  extendFailed: number;
  /** Deletions SQS refused (the message comes back and is deduplicated), and deletions given up once a batch's visibility ran out. */
  deleteFailed: number;
  deleteAbandoned: number;
  /** Messages delivered and waiting for their commit or their deletion. */
  awaitingCommit: number;
  /** SQS calls that failed (each backs off or is retried). */
  errors: number;
  /** GetQueueAttributes, at most every ~30 s: messages ready, and in flight (received, not deleted). */
  backlog: { visible: number; notVisible: number; at: string } | null;
  /** The oldest SentTimestamp among messages received in the last one to two minutes, as an age. */
  oldestMessageAgeSeconds: number | null;
  /** The queue's redrive policy; null: none (unreadable messages then stay until retention ends); undefined: not read yet. */
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number } | null;
  lastError: { at: string; operation: string; message: string; status?: number; code?: string } | null;
}

/** The source's view (source.ts): the consumer's, and what the monitor makes of it. */
export interface EventBridgeHealth extends EventBridgeSourceStatus {
  live: boolean;
  /** Seconds since the queue was last seen drained (real). */
  drainedAgeSeconds: number | null;
  /** The longest delivery lag lately (envelope time to arrival, monitor-clock seconds). */
  deliveryLagSeconds: number | null;
  /** While receives fail: since when. */
  failingSince: string | null;
  /** Receives failed long enough to open a gap that is not backfilled yet. */
  gapOpen: boolean;
}

/** A queue URL fit for logs and health: user info, query and fragment removed. */
export function displayQueueUrl(queueUrl: string): string {
  try {
    const u = new URL(queueUrl);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString();
  } catch {
    return excerpt(queueUrl.split("?")[0].replace(/\/\/[^/@]*@/, "//"), 200);
  }
}

/** The parts of an AWS SDK or network error worth reporting. */
export function describeError(e: unknown): { message: string; status?: number; code?: string } {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; Code?: string };
  const out: { message: string; status?: number; code?: string } = { message: excerpt(err?.message ?? String(e), 300) };
  const status = err?.$metadata?.httpStatusCode;
  if (typeof status === "number") out.status = status;
  const code = err?.Code ?? err?.code ?? (err?.name && err.name !== "Error" ? err.name : undefined);
  if (typeof code === "string") out.code = code;
  return out;
}

/** Each kind of unreadable message is logged once in full; after that a count per minute at most. */
export class UnreadableLog {
  readonly byKind: Record<string, number> = {};
  private reported: Record<string, number> = {};
  private lastReport = Date.now();

  constructor(private readonly log: Logger) {}

  count(refusal: Refusal | { kind: "deliver-failed"; reason: string }, messageId: string | undefined, receiveCount: number | undefined): void {
    const first = this.byKind[refusal.kind] === undefined;
    this.byKind[refusal.kind] = (this.byKind[refusal.kind] ?? 0) + 1;
    if (!first) return;
    this.reported[refusal.kind] = 1;
    this.log.warn({ kind: refusal.kind, reason: refusal.reason, messageId, receiveCount, unreadable: { ...this.byKind } }, "unreadable message not deleted: left to the queue's dead-letter policy (more of this kind are counted, not logged one by one)");
  }

  /** Once a minute: the kinds that grew since the last line. */
  report(now = Date.now()): void {
    if (now - this.lastReport < 60_000) return;
    this.lastReport = now;
    const grown: Record<string, number> = {};
    for (const [k, n] of Object.entries(this.byKind)) if (n > (this.reported[k] ?? 0)) grown[k] = n - (this.reported[k] ?? 0);
    if (Object.keys(grown).length === 0) return;
    this.reported = { ...this.byKind };
    this.log.warn({ sinceLastReport: grown, unreadable: { ...this.byKind } }, "more unreadable messages left to the dead-letter policy");
  }
}

/** The oldest SentTimestamp seen in the current and the previous minute (two windows, no per-message memory). */
export class OldestSeen {
  private current: number | null = null;
  private previous: number | null = null;
  private windowStart = Date.now();

  constructor(private readonly windowMs = 60_000) {}

  see(sentTimestamp: number, now = Date.now()): void {
    this.roll(now);
    if (this.current === null || sentTimestamp < this.current) this.current = sentTimestamp;
  }

  ageSeconds(now = Date.now()): number | null {
    this.roll(now);
    const oldest = this.previous === null ? this.current : this.current === null ? this.previous : Math.min(this.current, this.previous);
    return oldest === null ? null : Math.max(0, Math.round((now - oldest) / 100) / 10);
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < this.windowMs) return;
    if (elapsed < 2 * this.windowMs) {
      this.previous = this.current;
      this.windowStart += this.windowMs;
    } else {
      this.previous = null;
      this.windowStart = now;
    }
    this.current = null;
  }
}
