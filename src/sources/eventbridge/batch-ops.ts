/**
 * What happens to received messages after their batch was read: deletion once committed,
 * visibility extension while the commit is awaited, and the long hide of unreadable ones. Each
 * failure is counted in the consumer's status and said; none loses data, because a message not
 * deleted comes back and the monitor's identities drop the repeat.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { Backoff, type BackoffOptions } from "../../delivery/retry.js";
import type { Logger } from "../../util/log.js";
import type { EventBridgeSourceStatus } from "./consumer-status.js";

/** A delivered batch waiting for its commit, then its deletion. */
export interface Batch {
  entries: { messageId: string; receipt: string }[];
  /** Real ms by which the messages become visible again unless extended (from the receive's start: conservative). */
  visibleUntil: number;
  extending: boolean;
}

export interface BatchOps {
  client: SQSClient;
  queueUrl: string;
  status: EventBridgeSourceStatus;
  log: Logger;
  backoff: BackoffOptions;
  /** Counts and reports a failed SQS call. */
  failed(operation: string, e: unknown): void;
}

/**
 * Deletes a committed batch, retrying what failed on the server side with backoff for as long
 * as the batch's visibility lasts (after that a receipt handle may be stale, and the message
 * is received again anyway).
 */
export async function deleteCommitted(ops: BatchOps, batch: Batch): Promise<void> {
  const backoff = new Backoff(ops.backoff);
  let entries = batch.entries;
  while (entries.length > 0) {
    try {
      const out = await ops.client.send(new DeleteMessageBatchCommand({ QueueUrl: ops.queueUrl, Entries: entries.map((e, i) => ({ Id: String(i), ReceiptHandle: e.receipt })) }));
      ops.status.deleted += out.Successful?.length ?? 0;
      const failed = out.Failed ?? [];
      if (failed.length === 0) return;
      // A refused entry (SenderFault: a stale receipt handle) is not retried: the message comes back and is deduplicated.
      const refused = failed.filter((f) => f.SenderFault);
      if (refused.length > 0) {
        ops.status.deleteFailed += refused.length;
        ops.log.warn({ refused: refused.map((f) => `${f.Code}: ${f.Message ?? ""}`).slice(0, 3), count: refused.length }, "SQS refused to delete some messages: they will be received again (and deduplicated)");
      }
      const current = entries;
      entries = failed.filter((f) => !f.SenderFault).map((f) => current[Number(f.Id)]).filter((e) => e !== undefined);
      if (entries.length === 0) return;
      ops.failed("DeleteMessageBatch", Object.assign(new Error(`${entries.length} deletions failed on the server side`), { code: failed.find((f) => !f.SenderFault)?.Code }));
    } catch (e) {
      ops.failed("DeleteMessageBatch", e);
    }
    const delay = backoff.next();
    if (ops.status.state === "stopped" || Date.now() + delay >= batch.visibleUntil) {
      ops.status.deleteAbandoned += entries.length;
      ops.log.warn({ messages: entries.length }, "could not delete committed messages before their visibility ran out: they will be received again (and deduplicated)");
      return;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Pushes a waiting batch's visibility `seconds` further; on failure the caller's next tick tries again. */
export async function extendVisibility(ops: BatchOps, batch: Batch, seconds: number): Promise<void> {
  const startedAt = Date.now();
  const entries = batch.entries.map((e, i) => ({ Id: String(i), ReceiptHandle: e.receipt, VisibilityTimeout: seconds }));
  try {
    const out = await ops.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: ops.queueUrl, Entries: entries }));
    const failed = out.Failed ?? [];
    ops.status.extended++;
    ops.status.extendFailed += failed.length;
    if (failed.length < entries.length) batch.visibleUntil = startedAt + seconds * 1000;
    if (failed.length > 0) ops.log.warn({ failed: failed.length, code: failed[0].Code }, "SQS refused to extend the visibility of some messages waiting for their commit: they may be received again (and deduplicated)");
  } catch (e) {
    ops.status.extendFailed += entries.length;
    ops.failed("ChangeMessageVisibilityBatch", e);
  }
}

/** Unreadable messages: hidden long, so the redrive policy, not a hot loop, decides their end. */
export async function hideUnreadable(ops: BatchOps, messages: Message[], seconds: number): Promise<void> {
  const entries = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "", VisibilityTimeout: seconds }));
  try {
    const out = await ops.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: ops.queueUrl, Entries: entries }));
    if ((out.Failed ?? []).length > 0) ops.log.warn({ failed: out.Failed?.length, code: out.Failed?.[0].Code }, "could not hide some unreadable messages: they come back after the batch's visibility timeout instead");
  } catch (e) {
    ops.failed("ChangeMessageVisibilityBatch", e);
  }
}
