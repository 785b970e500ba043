/**
 * The EventBridge source's whole pipeline, messages per second: the real Monitor (source
 * eventbridge) reading a queue prefilled with real emulator conversation snapshots as EventBridge
 * envelopes, through every step: SQS ReceiveMessage -> envelope -> frame dispatch -> normalize ->
 * ingest (skew, horizon, dedup, engine) -> commit to the SQLite state file (every 500 ms) ->
 * DeleteMessageBatch. fauxqs runs in a worker thread (its own event loop, as a remote SQS would
 * be); the emulator serves only the REST API (queue discovery, an empty backfill). The rate is
 * from the first message received to the last one deleted; the monitor's own CPU is the main
 * thread's event-loop time over that span. For the WebSocket path beside it: bench/ingest.bench.ts
 * (in process, from frame text) and bench/load.ts (end to end, two processes).
 * Ends with one JSON line. Usage: node dist/bench/eventbridge-pipeline.bench.js [messages] [pollers,...]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Monitor } from "../src/app/monitor.js";
import { configSchema } from "../src/config/schema.js";
import { toEnvelope } from "../src/emulator/eventbridge/publisher.js";
import { createQueueWithDeadLetter, startSqsServer } from "../src/emulator/eventbridge/sqs-server.js";
import { conversationSnapshot } from "../src/emulator/render.js";
import { scenarioSchema } from "../src/emulator/simulator/scenario.js";
import { Simulator } from "../src/emulator/simulator/simulator.js";
import { Emulator, emulatorDefaults } from "../src/emulator/server.js";
import { VirtualClock } from "../src/util/clock.js";
import { silentLogger } from "../src/util/log.js";

const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "bench", secretAccessKey: "bench" };
const ORG = "3b03b67a-2349-4a03-8b28-c8ac5c26c49a";
const START = Date.parse("2026-05-04T08:00:00Z");

if (!isMainThread) {
  const server = await startSqsServer();
  parentPort!.postMessage(server.port);
} else {
  await main();
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const M = Math.max(1000, Number(process.argv[2] ?? 20_000) || 20_000);
  const pollerCounts = (process.argv[3] ?? "2,4,8").split(",").map(Number).filter((n) => n >= 1 && n <= 32);
  // 50 busy queues, as in the ingest bench: snapshots until M are collected.
  const scenario = scenarioSchema.parse({
    queues: Array.from({ length: 50 }, (_, i) => ({ name: `Q${i}`, arrivalsPerHour: 600, media: { voice: 0.8, chat: 0.2 }, agents: 10, handleSeconds: 55, handleCv: 0.7, patienceSeconds: 180, flowOutAfterSeconds: 400, alertSeconds: 3, noAnswerProbability: 0.05 })),
  });
  const sim = new Simulator(scenario, { seed: 5, start: START, durationMinutes: 600, keepConversations: false });
  const bodies: string[] = [];
  sim.listen({
    conversationChanged: (conv, t) => {
      if (bodies.length >= M) return;
      const v = conv.versions[conv.versions.length - 1];
      const q = v.participants.find((p) => p.queueId)?.queueId;
      if (q) bodies.push(toEnvelope({ topicName: `v2.routing.queues.${q}.conversations`, eventBody: conversationSnapshot(conv, v.participants), metadata: { CorrelationId: `c${bodies.length}` } }, { id: `e${bodies.length}`, time: t, orgId: ORG, sourceSuffix: "bench", account: "000000000000", region: REGION }));
      conv.versions.splice(0, conv.versions.length - 1);
    },
  });
  let until = START;
  while (bodies.length < M && until < START + 10 * 3_600_000) sim.advanceTo((until += 600_000));
  if (bodies.length < M) throw new Error(`bench: only ${bodies.length} snapshots in ten simulated hours`);
  const end = until;
  const bytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / M);

  // The REST API: the same scenario and seed (the same queue ids), no arrivals.
  const emu = new Emulator({ ...emulatorDefaults, port: 0, scenario, seed: 5, start: end, speed: 1, durationMinutes: 0, log: silentLogger });
  await emu.start();
  const ids = new Set(emu.sim.queues.map((q) => q.id));
  if (![...sim.queues].every((q) => ids.has(q.id))) throw new Error("bench: the emulator's queues are not the simulator's");

  const runs: Record<string, unknown>[] = [];
  try {
    for (const pollers of pollerCounts) runs.push(await run(emu.url, bodies, end, pollers));
  } finally {
    await emu.stop();
  }
  for (const r of runs) console.log(`pollers ${String(r.pollers).padStart(2)}: ${String(r.messagesPerSecond).padStart(6)} messages/s through the pipeline (${r.events} events counted), monitor main thread ${r.mainThreadUtilization} busy`);
  console.log(JSON.stringify({ bench: "eventbridge-pipeline", messages: M, bodyBytes: bytes, commitIntervalMs: 500, runs, node: process.version }));
}

async function run(genesysUrl: string, bodies: string[], end: number, pollers: number): Promise<Record<string, unknown>> {
  const worker = new Worker(new URL(import.meta.url));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "qm-eb-bench-"));
  const client = new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  let monitor: Monitor | undefined;
  try {
    const q = await createQueueWithDeadLetter(client, "genesys-events");
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
    const config = configSchema.parse({
      genesys: { baseUrl: genesysUrl, clientId: emulatorDefaults.clientId, clientSecret: emulatorDefaults.clientSecret },
      source: { type: "eventbridge", queueUrl: q.queueUrl, endpoint, region: REGION, pollers, waitTimeSeconds: 1 },
      server: { listen: "127.0.0.1:0" },
      state: { file: join(dir, "state.sqlite") },
      backfill: { reconcileMinutes: 0 },
    });
    monitor = new Monitor(config, new VirtualClock(end, 1), silentLogger, { awsCredentials: CREDENTIALS });
    const elu0 = performance.eventLoopUtilization();
    await monitor.start();
    const source = () => monitor!.health().source as { received: number; deleted: number };
    const limit = Date.now() + 300_000;
    while (source().received === 0) {
      if (Date.now() > limit) throw new Error("bench: nothing received");
      await new Promise((r) => setTimeout(r, 2));
    }
    const t0 = performance.now();
    const elu1 = performance.eventLoopUtilization(elu0);
    while (source().deleted < bodies.length) {
      if (Date.now() > limit) throw new Error(`bench: only ${source().deleted} of ${bodies.length} deleted`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const busy = performance.eventLoopUtilization(performance.eventLoopUtilization(elu0), elu1);
    const h = monitor.health();
    return {
      pollers,
      seconds: Math.round(seconds * 100) / 100,
      messagesPerSecond: Math.round(bodies.length / seconds),
      events: h.counters.streamEvents,
      duplicates: h.counters.duplicatesDropped,
      redelivered: (h.source as { redelivered: number }).redelivered,
      mainThreadUtilization: `${Math.round(busy.utilization * 100)} %`,
    };
  } finally {
    await monitor?.stop();
    client.destroy();
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}
