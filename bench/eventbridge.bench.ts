/**
 * EventBridge source bench: messages per second through the envelope reader alone, and through
 * the SQS consumer against fauxqs (receive -> read -> deliver -> commit -> DeleteMessageBatch),
 * with `deliver` a no-op and doing JSON work (a serialize + parse of each eventBody, about what
 * normalizing a snapshot costs). Commits come every 500 ms like the monitor's default
 * commitIntervalMs, so the pipelining (receiving while batches wait for their commit) is in the
 * number. fauxqs runs either in a worker thread (its own event loop, as a remote SQS would be)
 * or in this thread (as `demo --source eventbridge` will run it). For scale, `raw`: the bare SDK
 * receiving and deleting in a loop (no reader, no sink, no commit wait) against the same server.
 * Ends with one JSON line. Usage: node dist/bench/eventbridge.bench.js  (EB_BENCH_MESSAGES=20000)
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createQueueWithDeadLetter, startSqsServer } from "../src/emulator/eventbridge/sqs-server.js";
import { toEnvelope, type NotificationFrame } from "../src/emulator/eventbridge/publisher.js";
import { EventBridgeConsumer } from "../src/sources/eventbridge/consumer.js";
import type { EventBridgeFrame } from "../src/sources/eventbridge/envelope.js";
import { readEnvelope } from "../src/sources/eventbridge/envelope.js";
import { silentLogger } from "../src/util/log.js";

const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "bench", secretAccessKey: "bench" };

if (!isMainThread) {
  // The worker: fauxqs on a free loopback port, until the main thread ends it.
  const server = await startSqsServer();
  parentPort!.postMessage(server.port);
} else {
  await main();
}

async function main(): Promise<void> {
  const M = Number(process.env.EB_BENCH_MESSAGES ?? 20_000);
  const dir = join(fileURLToPath(import.meta.url), "../../../test/fixtures");
  const eventBody = JSON.parse(readFileSync(join(dir, "built-conversation-call-noanswer-then-answered.json"), "utf8"));
  const frame = (i: number): NotificationFrame => ({ topicName: "v2.routing.queues.0000000a-0000-4000-8000-00000000000a.conversations", eventBody, metadata: { CorrelationId: `c-${i}` } });
  const bodies = Array.from({ length: M }, (_, i) => toEnvelope(frame(i), { id: `e-${i}`, time: Date.now(), orgId: "3b03b67a-2349-4a03-8b28-c8ac5c26c49a", sourceSuffix: "bench", account: "000000000000", region: REGION }));
  const bodyBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / M);

  // 1. The envelope reader alone (best of 3).
  let parseBest = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    let ok = 0;
    for (const b of bodies) if (readEnvelope(b).ok) ok++;
    if (ok !== M) throw new Error(`readEnvelope refused ${M - ok} of the bench's bodies`);
    parseBest = Math.min(parseBest, Number(process.hrtime.bigint() - t) / 1e9);
  }
  const parsePerSecond = Math.round(M / parseBest);
  console.log(`envelope reader: ${parsePerSecond.toLocaleString()} messages/s (${bodyBytes} B bodies)`);

  // 2. Through SQS.
  const runs: Record<string, { sendPerSecond: number; consumePerSecond: number; seconds: number }> = {};
  const deliverers: Record<string, ((frames: EventBridgeFrame[]) => void) | null> = {
    raw: null,
    noop: () => {},
    json: (frames) => {
      for (const f of frames) if (JSON.parse(JSON.stringify(f.eventBody)) === null) throw new Error("unreachable");
    },
  };
  for (const where of ["worker", "in-process"] as const) {
    for (const [name, deliver] of Object.entries(deliverers)) {
      for (const pollers of where === "worker" ? [2, 4] : [2]) {
        const key = `${where}/${name}/pollers=${pollers}`;
        runs[key] = await run(where, deliver, pollers, bodies);
        console.log(`${key.padEnd(28)} send ${runs[key].sendPerSecond.toLocaleString().padStart(7)} msg/s   consume ${runs[key].consumePerSecond.toLocaleString().padStart(7)} msg/s`);
      }
    }
  }
  console.log(JSON.stringify({ bench: "eventbridge", messages: M, bodyBytes, envelopeReaderPerSecond: parsePerSecond, runs, commitIntervalMs: 500, node: process.version }));
}

async function run(where: "worker" | "in-process", deliver: ((frames: EventBridgeFrame[]) => void) | null, pollers: number, bodies: string[]) {
  let stop: () => Promise<void>;
  let endpoint: string;
  if (where === "worker") {
    const worker = new Worker(new URL(import.meta.url));
    const port = await new Promise<number>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    endpoint = `http://127.0.0.1:${port}`;
    stop = async () => void (await worker.terminate());
  } else {
    const server = await startSqsServer();
    endpoint = server.endpoint;
    stop = () => server.stop();
  }
  const client = new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  let consumer: EventBridgeConsumer | undefined;
  try {
    const q = await createQueueWithDeadLetter(client, "bench");
    // Fill the queue first (8 batches in flight), so the consumer's rate is measured alone.
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const from = next;
          next += 10;
          const out = await client.send(new SendMessageBatchCommand({ QueueUrl: q.queueUrl, Entries: bodies.slice(from, from + 10).map((b, i) => ({ Id: String(i), MessageBody: b })) }));
          if ((out.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed: ${out.Failed![0].Code}`);
        }
      }),
    );
    const sendSeconds = (Date.now() - t0) / 1000;
    if (deliver === null) {
      const t = Date.now();
      let n = 0;
      await Promise.all(
        Array.from({ length: pollers }, async () => {
          while (n < bodies.length) {
            const got = (await client.send(new ReceiveMessageCommand({ QueueUrl: q.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
            n += got.length;
            if (got.length > 0) await client.send(new DeleteMessageBatchCommand({ QueueUrl: q.queueUrl, Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
          }
        }),
      );
      const seconds = (Date.now() - t) / 1000;
      return { sendPerSecond: Math.round(bodies.length / sendSeconds), consumePerSecond: Math.round(bodies.length / seconds), seconds: Math.round(seconds * 100) / 100 };
    }
    // Commits every 500 ms: committed() resolves at the next tick.
    let waiting: (() => void)[] = [];
    const commits = setInterval(() => {
      for (const r of waiting.splice(0)) r();
    }, 500);
    let delivered = 0;
    consumer = new EventBridgeConsumer(
      { queueUrl: q.queueUrl, region: REGION, endpoint, credentials: CREDENTIALS, pollers, waitTimeSeconds: 1 },
      {
        deliver: (frames) => {
          delivered += frames.length;
          deliver(frames);
        },
        committed: () => new Promise((r) => waiting.push(r)),
      },
      silentLogger,
    );
    const t1 = Date.now();
    consumer.start();
    const limit = t1 + 180_000;
    while (consumer.status().deleted < bodies.length) {
      if (Date.now() > limit) throw new Error(`bench: only ${consumer.status().deleted} of ${bodies.length} deleted after 180 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (Date.now() - t1) / 1000;
    clearInterval(commits);
    waiting = [];
    if (delivered !== bodies.length) throw new Error(`bench: ${delivered} delivered for ${bodies.length} messages (a redelivery?)`);
    return { sendPerSecond: Math.round(bodies.length / sendSeconds), consumePerSecond: Math.round(bodies.length / seconds), seconds: Math.round(seconds * 100) / 100 };
  } finally {
    await consumer?.stop();
    client.destroy();
    await stop();
  }
}
