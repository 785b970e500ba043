/**
 * The EventBridge source end to end against a real SQS-compatible server (fauxqs, in process on
 * loopback) through the real AWS SDK: emulator publisher -> SQS -> consumer -> a recording sink.
 * Ground truth is the publisher's own record (what it sent, twice, held, dropped) and the queue's
 * exact counts on fauxqs; every wait is bounded.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { EventBridgeConsumer, type EventBridgeConsumerOptions, type EventBridgeSink } from "../../src/sources/eventbridge/consumer.js";
import type { EventBridgeFrame } from "../../src/sources/eventbridge/envelope.js";
import { EventBridgePublisher, drawDelays, toEnvelope, type NotificationFrame, type PublisherOptions } from "../../src/emulator/eventbridge/publisher.js";
import { createLogger, silentLogger } from "../../src/util/log.js";
import { mulberry32 } from "../../src/util/random.js";
import { REGION, TEST_CREDENTIALS, TestSqs } from "../helpers/sqs.js";

const ORG = "3b03b67a-2349-4a03-8b28-c8ac5c26c49a";
const QUEUE_ID = "0000000a-0000-4000-8000-00000000000a";
let sqs: TestSqs;
let queues = 0;

before(async () => {
  sqs = await TestSqs.start();
});
after(async () => {
  await sqs.stop();
});

const frame = (i: number): NotificationFrame => ({ topicName: `v2.routing.queues.${QUEUE_ID}.conversations`, eventBody: { id: `conv-${i}`, seq: i }, metadata: { CorrelationId: `c-${i}` } });
const seqOf = (id: string) => Number(id.slice(2));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sink that records what it was handed; `committed` is immediate unless the test holds it. */
class RecordingSink implements EventBridgeSink {
  readonly delivered: EventBridgeFrame[] = [];
  private waiting: (() => void)[] = [];
  hold = false;
  commits = 0;
  deliver(frames: EventBridgeFrame[]): void {
    this.delivered.push(...frames);
  }
  committed(): Promise<void> {
    if (!this.hold) return Promise.resolve();
    return new Promise((r) => this.waiting.push(r));
  }
  /** Resolves every committed() asked so far (the monitor's next commit). */
  commitNow(): void {
    this.commits++;
    for (const r of this.waiting.splice(0)) r();
  }
  ids(): string[] {
    return this.delivered.map((f) => f.correlationId ?? "?");
  }
}

async function newQueue(options: { maxReceiveCount?: number } = {}) {
  return sqs.queue(`eb-${++queues}`, options);
}

function consumer(queueUrl: string, sink: EventBridgeSink, over: Partial<EventBridgeConsumerOptions> = {}, log = silentLogger): EventBridgeConsumer {
  return new EventBridgeConsumer({ queueUrl, region: REGION, endpoint: sqs.endpoint, credentials: TEST_CREDENTIALS, visibilityTimeoutSeconds: 30, waitTimeSeconds: 1, backoff: { baseMs: 100, capMs: 1000, minMs: 50 }, ...over }, sink, log);
}

function publisher(queueUrl: string, over: Partial<PublisherOptions> = {}): EventBridgePublisher {
  return new EventBridgePublisher({ queueUrl, region: REGION, endpoint: sqs.endpoint, credentials: TEST_CREDENTIALS, orgId: ORG, seed: 7, reorderWindowMs: 0, ...over }, silentLogger);
}

/** SQS calls the consumer makes, by name and time (its client's middleware). */
function recordCalls(c: EventBridgeConsumer): { name: string; at: number }[] {
  const calls: { name: string; at: number }[] = [];
  c.client.middlewareStack.add((next, context) => (args) => (calls.push({ name: context.commandName ?? "?", at: Date.now() }), next(args)), { step: "initialize", name: "recordCalls" });
  return calls;
}

function inversions(xs: number[]): number {
  let n = 0;
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[i] > xs[j]) n++;
  return n;
}

test("publisher -> SQS -> consumer: every frame at least once, the publisher's duplicates twice, out of publish order", async () => {
  const q = await newQueue();
  const N = 300;
  const sentTwice = new Set<string>();
  const sendOrder: number[] = [];
  const pub = publisher(q.queueUrl, { reorderWindowMs: 300, duplicateShare: 0.25, onSent: (id, copy) => (copy === 1 ? sentTwice.add(id) : sendOrder.push(seqOf(id))) });
  const sink = new RecordingSink();
  const c = consumer(q.queueUrl, sink);
  c.start();
  try {
    for (let i = 0; i < N; i++) assert.ok(pub.publish(frame(i)));
    await pub.flush();
    assert.equal(pub.stats.sent, N + pub.stats.duplicates);
    assert.equal(sentTwice.size, pub.stats.duplicates);
    // duplicateShare 0.25 of 300: the seeded draw gives this many (binomial sd ~7.5).
    assert.ok(pub.stats.duplicates > 45 && pub.stats.duplicates < 105, `duplicates ${pub.stats.duplicates}`);
    await until("every sent message delivered", () => sink.delivered.length >= pub.stats.sent);
    await until("every message deleted", () => c.status().deleted === pub.stats.sent);
    const count = new Map<string, number>();
    for (const id of sink.ids()) count.set(id, (count.get(id) ?? 0) + 1);
    assert.equal(count.size, N, "every frame delivered");
    for (let i = 0; i < N; i++) assert.equal(count.get(`c-${i}`), sentTwice.has(`c-${i}`) ? 2 : 1, `c-${i}`);
    assert.equal(sink.delivered.length, N + pub.stats.duplicates);
    // Reordered: the publisher sent out of publish order, and the consumer saw them out of it.
    const firstSeen = [...count.keys()].map(seqOf);
    assert.ok(inversions(sendOrder) > N * 5, `send order inversions ${inversions(sendOrder)}`);
    assert.ok(inversions(firstSeen) > N * 5, `delivery order inversions ${inversions(firstSeen)}`);
    // The frames are the WebSocket frames, with envelope time.
    const f = sink.delivered.find((x) => x.correlationId === "c-42")!;
    assert.deepEqual({ topicName: f.topicName, eventBody: f.eventBody }, { topicName: frame(42).topicName, eventBody: frame(42).eventBody });
    assert.ok(typeof f.eventTime === "number" && Math.abs(f.eventTime - Date.now()) < 60_000);
    const s = c.status();
    assert.equal(s.received, pub.stats.sent);
    assert.equal(s.delivered, pub.stats.sent);
    assert.equal(s.redelivered, 0);
    assert.deepEqual(s.unreadable, {});
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });
  } finally {
    await c.stop();
    await pub.stop();
  }
});

test("publisher draws: the same seed gives the same reorder and duplicate schedule; the share is as configured", () => {
  const a = mulberry32(99);
  const b = mulberry32(99);
  let copies = 0;
  for (let i = 0; i < 20_000; i++) {
    const da = drawDelays(a, 250, 0.1);
    assert.deepEqual(da, drawDelays(b, 250, 0.1));
    for (const d of da) assert.ok(d >= 0 && d < 250);
    copies += da.length - 1;
  }
  assert.ok(Math.abs(copies / 20_000 - 0.1) < 0.01, `duplicate share ${copies / 20_000}`);
  assert.deepEqual(drawDelays(mulberry32(1), 0, 0), [0]);
});

test("nothing is deleted before committed() resolves; a consumer killed between deliver and commit loses nothing", async () => {
  const q = await newQueue();
  const pub = publisher(q.queueUrl);
  const sink = new RecordingSink();
  sink.hold = true;
  const c = consumer(q.queueUrl, sink, { visibilityTimeoutSeconds: 3 });
  const calls = recordCalls(c);
  c.start();
  try {
    // Phase 1: delivered, held uncommitted, then committed: deletes come only after.
    for (let i = 0; i < 25; i++) pub.publish(frame(i));
    await pub.flush();
    await until("25 delivered", () => sink.delivered.length === 25);
    await sleep(500);
    assert.equal(calls.filter((x) => x.name === "DeleteMessageBatchCommand").length, 0);
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 25 });
    assert.equal(c.status().awaitingCommit, 25);
    const committedAt = Date.now();
    sink.commitNow();
    await until("25 deleted", () => c.status().deleted === 25);
    const deletes = calls.filter((x) => x.name === "DeleteMessageBatchCommand");
    assert.ok(deletes.length >= 3 && deletes.every((d) => d.at >= committedAt), "every DeleteMessageBatch after the commit");
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });

    // Phase 2: delivered, then the consumer dies before the commit.
    for (let i = 25; i < 50; i++) pub.publish(frame(i));
    await pub.flush();
    await until("25 more delivered", () => sink.delivered.length === 50);
  } finally {
    await c.stop(0);
  }
  assert.equal(c.status().deleted, 25, "nothing of phase 2 deleted");
  assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 25 });
  // After the visibility timeout, another consumer gets exactly phase 2's frames again.
  const sink2 = new RecordingSink();
  const c2 = consumer(q.queueUrl, sink2);
  c2.start();
  try {
    await until("phase 2 redelivered", () => sink2.delivered.length === 25, 10_000);
    assert.deepEqual(sink2.ids().map(seqOf).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => 25 + i));
    await until("deleted", () => c2.status().deleted === 25);
    assert.equal(c2.status().redelivered, 25, "each one's second receipt");
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });
  } finally {
    await c2.stop();
    await pub.stop();
  }
});

test("unreadable messages: counted by kind, logged once per kind, never deleted, and in the dead-letter queue after maxReceiveCount without a hot loop", async () => {
  const q = await newQueue({ maxReceiveCount: 3 });
  const good = (i: number) => toEnvelope(frame(i), { id: `e-${i}`, time: Date.now(), orgId: ORG, sourceSuffix: "s", account: "000000000000", region: REGION });
  const bad = ["{oops", "<xml/>", JSON.stringify({ version: "0", id: "x", "detail-type": "Scheduled Event", source: "aws.events", detail: {} }), JSON.stringify({ version: "0", id: "y", "detail-type": "Object Created", source: "aws.s3", detail: {} }), JSON.stringify({ version: "0", id: "z", "detail-type": "v2.x", source: `aws.partner/genesys.com/cloud/${ORG}/s`, detail: { eventBody: {} } })];
  const bodies = [...bad, ...[0, 1, 2, 3, 4].map(good)];
  await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: q.queueUrl, Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })) }));
  const lines: any[] = [];
  const log = createLogger("eb-test", "info", { write: (s: string) => void lines.push(JSON.parse(s)) });
  const sink = new RecordingSink();
  const c = consumer(q.queueUrl, sink, { unreadableVisibilitySeconds: 1 }, log);
  const calls = recordCalls(c);
  const t0 = Date.now();
  c.start();
  try {
    await until("5 in the dead-letter queue", async () => (await sqs.counts(q.deadLetterUrl)).visible === 5, 15_000);
    const elapsed = Date.now() - t0;
    const s = c.status();
    // Each bad message received exactly maxReceiveCount (3) times; SQS moved it on the 4th.
    assert.deepEqual(s.unreadable, { "not-json": 6, "not-genesys": 6, "no-topic": 3 });
    assert.equal(s.received, 5 * 3 + 5);
    assert.ok(elapsed >= 2000, `two hides of 1 s between the three receipts (${elapsed} ms)`);
    assert.deepEqual(s.redrive, { deadLetterTargetArn: q.deadLetterArn, maxReceiveCount: 3 });
    assert.deepEqual(sink.ids().sort(), ["c-0", "c-1", "c-2", "c-3", "c-4"]);
    await until("good ones deleted", () => c.status().deleted === 5);
    // Not a hot loop: the polls are the long polls (1 s here), not one per unreadable receipt.
    const receives = calls.filter((x) => x.name === "ReceiveMessageCommand").length;
    assert.ok(receives <= 2 * Math.ceil(elapsed / 1000) + 30, `${receives} receives in ${elapsed} ms`);
    const warned = lines.filter((l) => String(l.msg).startsWith("unreadable message not deleted"));
    assert.deepEqual(warned.map((l) => l.kind).sort(), ["no-topic", "not-genesys", "not-json"]);
    const dlq = await sqs.takeAll(q.deadLetterUrl);
    assert.deepEqual(dlq.map((m) => m.Body).sort(), [...bad].sort());
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });
  } finally {
    await c.stop();
  }
});

test("visibility extension keeps a batch whose commit is slow from going to another consumer", async () => {
  const q = await newQueue();
  const pub = publisher(q.queueUrl);
  const slow = new RecordingSink();
  slow.hold = true;
  // A holds its 10 and stops receiving (maxAwaitingCommit), so only B polls while A's commit waits.
  const a = consumer(q.queueUrl, slow, { visibilityTimeoutSeconds: 2, pollers: 1, maxAwaitingCommit: 10 });
  const thief = new RecordingSink();
  const b = consumer(q.queueUrl, thief, { visibilityTimeoutSeconds: 2 });
  a.start();
  try {
    for (let i = 0; i < 10; i++) pub.publish(frame(i));
    await pub.flush();
    await until("A has all 10", () => slow.delivered.length === 10);
    b.start();
    await sleep(5000); // 2.5 visibility timeouts
    assert.equal(thief.delivered.length, 0, "B got nothing while A's commit was pending");
    assert.equal(slow.delivered.length, 10, "A did not get them again either");
    assert.ok(a.status().extended >= 3, `extensions ${a.status().extended}`);
    slow.commitNow();
    await until("A deleted them", () => a.status().deleted === 10);
    await sleep(300);
    assert.equal(thief.delivered.length, 0);
    assert.equal(a.status().redelivered, 0);
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await pub.stop();
  }
});

test("backlog and the bound on uncommitted messages: the consumer stops receiving at maxAwaitingCommit and reports what waits", async () => {
  const q = await newQueue();
  const pub = publisher(q.queueUrl);
  for (let i = 0; i < 30; i++) pub.publish(frame(i));
  await pub.flush();
  await sleep(1200);
  const sink = new RecordingSink();
  sink.hold = true;
  const c = consumer(q.queueUrl, sink, { maxAwaitingCommit: 10, pollers: 3, backlogEveryMs: 200 });
  c.start();
  try {
    await until("10 delivered", () => sink.delivered.length === 10);
    await sleep(600);
    assert.equal(sink.delivered.length, 10, "three pollers together stop at the bound");
    await until("backlog read after the receive", () => c.status().backlog?.notVisible === 10);
    const s = c.status();
    assert.equal(s.backlog?.visible, 20);
    assert.equal(s.awaitingCommit, 10);
    assert.ok(s.oldestMessageAgeSeconds !== null && s.oldestMessageAgeSeconds >= 1.2, `oldest ${s.oldestMessageAgeSeconds}`);
    assert.equal(s.type, "eventbridge-sqs");
    assert.equal(s.queueUrl, q.queueUrl);
    sink.hold = false;
    sink.commitNow();
    await until("all 30", () => sink.delivered.length === 30 && c.status().deleted === 30);
  } finally {
    await c.stop();
    await pub.stop();
  }
});

test("SQS down, then back: the consumer and the publisher back off, resume, and nothing is lost", async () => {
  const q = await newQueue();
  const pub = publisher(q.queueUrl, { backoff: { baseMs: 100, capMs: 1000, minMs: 50 } });
  const sink = new RecordingSink();
  const c = consumer(q.queueUrl, sink, { visibilityTimeoutSeconds: 2 });
  const calls = recordCalls(c);
  c.start();
  try {
    for (let i = 0; i < 50; i++) pub.publish(frame(i));
    await pub.flush();
    await until("first 50", () => new Set(sink.ids()).size === 50);
    await sqs.goDown();
    const downAt = Date.now();
    for (let i = 50; i < 100; i++) pub.publish(frame(i));
    let sawBackingOff = false;
    while (Date.now() - downAt < 3000) {
      sawBackingOff ||= c.status().state === "backing-off";
      await sleep(50);
    }
    const receivesWhileDown = calls.filter((x) => x.name === "ReceiveMessageCommand" && x.at > downAt).length;
    assert.ok(sawBackingOff, "the consumer reported backing off");
    assert.ok(receivesWhileDown >= 2 && receivesWhileDown <= 40, `receives while down ${receivesWhileDown} (2 pollers, 100 ms base, 1 s cap)`);
    assert.ok(pub.stats.sendFailures >= 1, "the publisher's sends failed too");
    assert.ok(c.status().lastError !== null && c.status().errors >= 2);
    await sqs.up();
    await pub.flush();
    await until("all 100 delivered", () => new Set(sink.ids()).size === 100, 20_000);
    await until("queue empty", async () => {
      const n = await sqs.counts(q.queueUrl);
      return n.visible === 0 && n.notVisible === 0;
    });
    assert.equal(pub.stats.dropped, 0);
    assert.equal(pub.stats.sent, 100);
    // A poller may still sleep out its last backoff (up to the 1 s cap) after the other delivered everything.
    await until("the consumer polling again", () => c.status().state === "polling", 5_000);
  } finally {
    await sqs.up();
    await c.stop();
    await pub.stop();
  }
});

test("hold fault: nothing reaches SQS while held, then all of it late, in random order; past the buffer bound, drops are counted and named", async () => {
  const q = await newQueue();
  const dropped: string[] = [];
  const size = toEnvelope(frame(10), { id: "00000000-0000-4000-8000-000000000000", time: Date.now(), orgId: ORG, sourceSuffix: "queue-monitor-emulator", account: "000000000000", region: REGION }).length;
  const pub = publisher(q.queueUrl, { reorderWindowMs: 100, maxBufferedChars: size * 12 + 5, onDropped: (id) => dropped.push(id) });
  const heldFrom = Date.now();
  pub.hold(1500);
  const accepted: string[] = [];
  for (let i = 10; i < 30; i++) if (pub.publish(frame(i))) accepted.push(`c-${i}`);
  try {
    assert.equal(accepted.length, 12);
    assert.equal(pub.stats.dropped, 8);
    assert.deepEqual(dropped, Array.from({ length: 8 }, (_, i) => `c-${22 + i}`));
    assert.equal(pub.stats.held, 12, "accepted while held");
    await sleep(1000);
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 }, "held");
    await pub.flush();
    const got = await sqs.takeAll(q.queueUrl);
    assert.deepEqual(got.map((m) => JSON.parse(m.Body!).detail.metadata.CorrelationId).sort(), [...accepted].sort());
    for (const m of got) assert.ok(Number(m.Attributes!.SentTimestamp) >= heldFrom + 1500, "sent after the hold");
    // fauxqs hands a standard queue's messages out in the order they arrived: the publisher's.
    assert.ok(inversions(got.map((m) => seqOf(JSON.parse(m.Body!).detail.metadata.CorrelationId))) > 0, "released in random order");
    assert.equal(pub.stats.bufferedChars, 0);
  } finally {
    await pub.stop();
  }
});

test("a frame the sink throws on is isolated from its batch and dead-lettered; a failed commit leaves its batch to come back", async () => {
  const q = await newQueue({ maxReceiveCount: 2 });
  const pub = publisher(q.queueUrl);
  const taken: string[] = [];
  let failCommits = 1;
  let failedBatch = -1;
  const sink: EventBridgeSink = {
    deliver(frames) {
      if (frames.some((f) => f.correlationId === "c-3")) throw new Error("poison frame");
      for (const f of frames) taken.push(f.correlationId!);
    },
    committed: () => {
      if (failCommits-- <= 0) return Promise.resolve();
      failedBatch = taken.length; // what was delivered so far: the batch whose commit fails
      return Promise.reject(new Error("disk full"));
    },
  };
  const c = consumer(q.queueUrl, sink, { visibilityTimeoutSeconds: 2, unreadableVisibilitySeconds: 1, pollers: 1 });
  c.start();
  try {
    for (let i = 0; i < 10; i++) pub.publish(frame(i));
    await pub.flush();
    await until("c-3 dead-lettered", async () => (await sqs.counts(q.deadLetterUrl)).visible === 1, 15_000);
    await until("the other 9 deleted", () => c.status().deleted === 9);
    const s = c.status();
    assert.equal(s.unreadable["deliver-failed"], 2, "c-3 failed on each of its 2 receipts");
    assert.ok(s.errors >= 1, "the failed commit is counted");
    // The first batch's commit failed: its frames were delivered, not deleted, and came back once more.
    const counts = new Map<string, number>();
    for (const id of taken) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), ["c-0", "c-1", "c-2", "c-4", "c-5", "c-6", "c-7", "c-8", "c-9"]);
    assert.ok(failedBatch >= 1);
    assert.equal(taken.length, 9 + failedBatch, "the failed commit's frames came back once");
    const dlq = await sqs.takeAll(q.deadLetterUrl);
    assert.equal(JSON.parse(dlq[0].Body!).detail.metadata.CorrelationId, "c-3");
    assert.deepEqual(await sqs.counts(q.queueUrl), { visible: 0, notVisible: 0 });
  } finally {
    await c.stop();
    await pub.stop();
  }
});
