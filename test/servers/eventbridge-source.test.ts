/**
 * The EventBridge source (what the monitor's root sees) against a real SQS API: fauxqs in this
 * process on loopback, through the AWS SDK. What counts as live, what opens a gap, where the
 * stream may take the watermark, that nothing is deleted before a commit includes it, and that a
 * queue which does not exist is a standing problem. Every wait is bounded.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { Problems } from "../../src/app/problems.js";
import { toEnvelope } from "../../src/emulator/eventbridge/publisher.js";
import { eventBridgeSourceSchema } from "../../src/sources/eventbridge/config.js";
import { EVENTBRIDGE_CHANNEL, EventBridgeSource } from "../../src/sources/eventbridge/source.js";
import type { Frame } from "../../src/sources/genesys/stream/topics.js";
import { CommitWaiters } from "../../src/store/commit-waiters.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/log.js";
import { REGION, TEST_CREDENTIALS, TestSqs } from "../helpers/sqs.js";

const ORG = "3b03b67a-2349-4a03-8b28-c8ac5c26c49a";
const QUEUE_ID = "0000000a-0000-4000-8000-00000000000a";
const T = Date.parse("2026-05-04T09:00:00Z");
const ALLOWANCE_MS = 10_000;
let sqs: TestSqs;
let n = 0;

before(async () => {
  sqs = await TestSqs.start();
});
after(async () => {
  await sqs.stop();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function envelope(i: number, time: number): string {
  const frame = { topicName: `v2.routing.queues.${QUEUE_ID}.conversations`, eventBody: { id: `conv-${i}`, participants: [] }, metadata: { CorrelationId: `c-${i}` } };
  return toEnvelope(frame, { id: `e-${i}`, time, orgId: ORG, sourceSuffix: "test", account: "000000000000", region: REGION });
}

async function send(queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: b })) }));
  }
}

/** A source as the monitor builds it, with a listener recording what the triggers and dispatch would get. */
function source(queueUrl: string, over: Record<string, unknown> = {}) {
  const config = eventBridgeSourceSchema.parse({ type: "eventbridge", queueUrl, endpoint: sqs.endpoint, region: REGION, waitTimeSeconds: 1, backlogEverySeconds: 0.2, visibilityTimeoutSeconds: 20, ...over });
  const clock = new ManualClock(T);
  const commits = new CommitWaiters();
  const problems = new Problems(() => {});
  const s = new EventBridgeSource(config, { clock, log: silentLogger, commits, problems, allowanceMs: ALLOWANCE_MS, credentials: TEST_CREDENTIALS });
  const seen = { frames: [] as Frame[], raw: [] as unknown[], live: [] as [string, string[]][], down: [] as [string, number, string][] };
  s.listen({ frame: (f) => seen.frames.push(f), raw: (m) => seen.raw.push(m), live: (c, q) => seen.live.push([c, q]), down: (c, at, reason) => seen.down.push([c, at, reason]) });
  return { s, clock, commits, problems, seen };
}

test("live once the queue is drained; a message is deleted only after a commit that includes it", async (t) => {
  const { queueUrl } = await sqs.queue(`src-${++n}`);
  const { s, commits, seen } = source(queueUrl);
  t.after(() => s.stop());
  assert.equal(s.connected, false);
  assert.match(s.notLiveReason() ?? "", /not polling yet/);
  await send(queueUrl, Array.from({ length: 25 }, (_, i) => envelope(i, T - 2_000)));
  await s.assign([QUEUE_ID], []);
  await until("25 frames delivered", () => seen.frames.length === 25);
  await until("the source live", () => s.connected);
  assert.deepEqual(seen.live, [[EVENTBRIDGE_CHANNEL, [QUEUE_ID]]], "live once, with every selected queue");
  assert.equal(s.notLiveReason(), null);
  assert.equal((JSON.parse(seen.raw[0] as string) as { metadata: { CorrelationId: string } }).metadata.CorrelationId.startsWith("c-"), true, "the record tap gets the WebSocket's frame shape");
  await sleep(300);
  assert.deepEqual(await sqs.counts(queueUrl), { visible: 0, notVisible: 25 }, "nothing deleted before a commit");
  commits.settle(commits.take(), false); // a failed commit deletes nothing either
  await sleep(300);
  assert.deepEqual(await sqs.counts(queueUrl), { visible: 0, notVisible: 25 });
  commits.settle(commits.take(), true);
  await until("every message deleted after the commit", async () => (await sqs.counts(queueUrl)).notVisible === 0);
  assert.equal(s.status().deleted, 25);
  assert.equal(s.status().type, "eventbridge-sqs");
  assert.deepEqual(s.status().backlog && { visible: s.status().backlog!.visible }, { visible: 0 });
});

test("the watermark candidate: the drained moment, held back by the longest delivery lag beyond the allowance", async (t) => {
  const { queueUrl } = await sqs.queue(`src-${++n}`);
  const { s, commits, seen } = source(queueUrl);
  t.after(() => s.stop());
  await s.assign([QUEUE_ID], []);
  await until("live", () => s.connected);
  // The clock stands at T: the drained moment is T, or a moment before it when a backlog read said so.
  const [drained] = s.lastFrames();
  assert.ok(drained <= T && drained > T - 1000, "nothing late seen: W may follow the drained moment (less the allowance, which the caller takes)");
  await send(queueUrl, [envelope(1, T - 300_000), envelope(2, T - 3_000)]); // one held five minutes by Genesys' retries
  await until("both delivered", () => seen.frames.length === 2);
  commits.settle(commits.take(), true);
  const [held] = s.lastFrames();
  assert.ok(held <= T - (300_000 - ALLOWANCE_MS) && held > T - (300_000 - ALLOWANCE_MS) - 1000, `held back by the five minutes less the allowance: ${T - held} ms`);
  assert.equal(s.status().deliveryLagSeconds, 300);
});

test("receives failing longer than gapAfterSeconds open one gap, backfilled once they work again; a shorter outage opens none", async (t) => {
  const { queueUrl } = await sqs.queue(`src-${++n}`);
  const { s, seen } = source(queueUrl, { gapAfterSeconds: 0.6 });
  t.after(() => s.stop());
  await s.assign([QUEUE_ID], []);
  await until("live", () => s.connected);
  await sqs.goDown();
  await until("not live while receives fail", () => !s.connected);
  assert.match(s.notLiveReason() ?? "", /SQS receives failing since/);
  await until("the gap opened", () => seen.down.length === 1);
  assert.equal(seen.down[0][0], EVENTBRIDGE_CHANNEL);
  assert.match(seen.down[0][2], /failing for 0.6 s/);
  assert.equal(s.status().gapOpen, true);
  await sleep(800);
  assert.equal(seen.down.length, 1, "one gap per outage");
  const livesBefore = seen.live.length;
  await sqs.up();
  await until("live again", () => s.connected, 40_000);
  // The first receive that works says live (the triggers backfill the gap), and so does the drained queue after it.
  assert.ok(seen.live.length > livesBefore, "live again: the triggers backfill the gap");
  assert.equal(s.status().gapOpen, false);

  const quiet = source(queueUrl, { gapAfterSeconds: 30 });
  t.after(() => quiet.s.stop());
  await quiet.s.assign([QUEUE_ID], []);
  await until("live", () => quiet.s.connected);
  await sqs.goDown();
  await sleep(300);
  await sqs.up();
  await until("live again", () => quiet.s.connected, 40_000);
  assert.deepEqual(quiet.seen.down, [], "no gap: the messages waited in the queue");
});

test("a queue that does not exist is a standing problem naming it, cleared once it exists", async (t) => {
  const name = `missing-${++n}`;
  const queueUrl = `http://sqs.${REGION}.localhost:${sqs.port}/000000000000/${name}`;
  const { s, problems } = source(queueUrl);
  t.after(() => s.stop());
  await s.assign([QUEUE_ID], []);
  await until("the problem raised", () => problems.has("eventbridge"));
  const p = problems.list()[0];
  assert.equal(p.status, 400);
  assert.match(p.reason, new RegExp(`SQS queue .*${name}: .*(QueueDoesNotExist|NonExistentQueue)`));
  assert.equal(s.connected, false);
  const created = await sqs.queue(name);
  assert.equal(created.queueUrl, queueUrl);
  await until("cleared once receives work", () => !problems.has("eventbridge"), 40_000);
  await until("live", () => s.connected);
});
