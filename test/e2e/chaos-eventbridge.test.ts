/**
 * Chaos on the EventBridge source: the emulator publishes every notification as an EventBridge
 * event into a real SQS API (fauxqs on loopback, through the AWS SDK), in random order within
 * 300 ms and a tenth of them twice, while the monitor (a child process of the real CLI, source
 * eventbridge) runs for 70 simulated minutes through: late delivery (the emulator holds its
 * messages and then lets them go), SQS down (briefly, and long enough to open a gap), unreadable
 * messages in the queue, notifications Genesys never sends, a purged queue (also while the
 * monitor is down, as messages older than the queue keeps), API errors and a queue renamed into
 * the selection, and two kill -9s. Afterwards its totals per queue, media and kind equal the
 * ground truth exactly, its 30-minute intervals too, its answered waits equal the truth to the
 * millisecond, and the unreadable messages are in the dead-letter queue.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PurgeQueueCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { freePort, MonitorProcess } from "../helpers/monitor-process.js";
import { REGION, TEST_CREDENTIALS, TestSqs } from "../helpers/sqs.js";

const SPEED = 60;
const MINUTES = 70;
const INTERVAL_MS = 30 * 60_000;

/** Bodies no Genesys event looks like: each is counted by kind and left to the dead-letter policy. */
const UNREADABLE = ["not json {", JSON.stringify({ topicName: "v2.routing.queues.x.conversations", eventBody: {} }), JSON.stringify({ version: "0", "detail-type": "x", source: "aws.s3", detail: {} }), JSON.stringify([1, 2]), JSON.stringify({ version: "0", "detail-type": "x", source: "aws.partner/genesys.com/cloud/o/s" })];

test("chaos on EventBridge: late, twice, reordered, SQS down, purged, unreadable, two kill -9s over 70 simulated minutes; totals, intervals and waits equal the ground truth", { timeout: 420_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-chaos-eb-"));
  const sqs = await TestSqs.start();
  t.after(() => sqs.stop());
  const queue = await sqs.queue("genesys-events", { maxReceiveCount: 4, visibilityTimeoutSeconds: 5 });
  const emu = await startTestEmulator({
    speed: SPEED,
    durationMinutes: MINUTES,
    ingestionDelaySeconds: 1,
    tokenTtlSeconds: 20,
    start: Date.parse("2026-05-04T09:00:00Z"), // a fixed morning: "today" holds the whole run
    eventBridge: { queueUrl: queue.queueUrl, endpoint: sqs.endpoint, region: REGION, credentials: TEST_CREDENTIALS, reorderWindowMs: 300, duplicateShare: 0.1 },
  });
  t.after(() => emu.stop());
  const port = await freePort();
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    source: { type: "eventbridge", queueUrl: queue.queueUrl, endpoint: sqs.endpoint, region: REGION, visibilityTimeoutSeconds: 5, waitTimeSeconds: 1, backlogEverySeconds: 1, gapAfterSeconds: 2, unreadableVisibilitySeconds: 1, lagWindowMinutes: 10 },
    stream: { latencyAllowanceSeconds: 30 },
    backfill: { ingestionDelaySeconds: 1.5, overlapSeconds: 60, reconcileMinutes: 5 },
    queues: { patterns: ["Sales*", "Support*", "Billing*"], refreshSeconds: 1 },
    state: { file: join(dir, "state.sqlite"), recordEvents: true, commitIntervalMs: 200 },
    clock: "emulator",
  });
  // The SDK's default chain finds these in the child's environment.
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const monitor = new MonitorProcess(configFile, port, join(dir, "monitor.log"));
  t.after(() => monitor.stop());
  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 30_000, "monitor ready");

  const post = async (path: string, body: unknown, method = "POST") => {
    const res = await fetch(`${emu.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return res.json() as Promise<any>;
  };
  const fault = (body: unknown) => post("/emulator/faults", body);
  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  const kills: number[] = [];
  const purges: number[] = [];
  let lateQueue = "";
  const purge = async () => {
    purges.push(Date.now());
    await sqs.client.send(new PurgeQueueCommand({ QueueUrl: queue.queueUrl }));
  };
  const sqsDown = async (seconds: number) => {
    await sqs.goDown();
    await sleep(seconds);
    await sqs.up();
  };
  // [seconds to wait after the previous step, action]; each waits (bounded) for a live monitor first.
  const steps: [number, () => Promise<unknown>][] = [
    [4, () => fault({ type: "eventbridge-hold", seconds: 4 })],
    [4, () => sqs.client.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: UNREADABLE.map((b, i) => ({ Id: String(i), MessageBody: b })) }))],
    [4, () => sqsDown(4)], // longer than gapAfterSeconds: a gap, backfilled once receives work again
    [4, async () => {
      await fault({ type: "server-errors", count: 3 });
      await fault({ type: "rate-limit", count: 3 });
    }],
    [3, async () => {
      // A queue outside the selection takes calls for a while ...
      lateQueue = (await post("/emulator/queues", { name: "Retention", arrivalsPerHour: 90, agents: 2, handleSeconds: 120, patienceSeconds: 90 })).id;
    }],
    [4, () => fault({ type: "drop-events", count: 40 })], // notifications Genesys never sends
    [4, () => post(`/emulator/queues/${lateQueue}`, { name: "Billing Retention" }, "PATCH")], // ... then is renamed into it
    [1, async () => {
      kills.push(Date.now());
      await monitor.kill9();
      await sleep(2);
      monitor.start();
    }],
    [5, async () => {
      // The monitor stalls (SIGSTOP) while messages pile up in the queue, the queue is purged, and
      // it carries on: no error, no restart, no gap; only reconciliation can find what was lost.
      monitor.child!.kill("SIGSTOP");
      await sleep(3);
      await purge();
      monitor.child!.kill("SIGCONT");
    }],
    [5, async () => {
      // Down while messages are lost (as if kept for less than the monitor was away), and late ones held.
      kills.push(Date.now());
      await monitor.kill9();
      await fault({ type: "eventbridge-hold", seconds: 2 });
      await sleep(3);
      await purge();
      monitor.start();
    }],
    [5, () => sqsDown(1)], // shorter than gapAfterSeconds: the messages wait, no gap
    [4, () => fault({ type: "eventbridge-hold", seconds: 3 })],
  ];
  for (const [pause, action] of steps) {
    await sleep(pause);
    await waitUntil(async () => (await monitor.get("/readyz"))?.connected, 30_000, "the monitor to be live before the next fault");
    await action();
  }
  await waitUntil(() => emu.sim.settled, 150_000, "the simulation to settle");
  await emu.eventBridge!.publisher.flush(30_000);

  // Ground truth per queue x media, and per 30-minute interval.
  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number>; waitsMs: { answered: number[] } }[] };
  const key = (q: string, m: string) => `${q}/${m}`;
  const expected = new Map(truth.queues.map((g) => [key(g.queueId, g.mediaType), g.counts]));
  const totalsMatch = async () => {
    const body = await monitor.get("/api/queues");
    if (!body?.queues) return false;
    const got = new Map<string, Record<string, number>>(body.queues.map((s: any) => [key(s.queueId, s.mediaType), s.totals]));
    if (got.size !== expected.size) return false;
    for (const [k, v] of expected) if (JSON.stringify(got.get(k)) !== JSON.stringify(v)) return false;
    return body;
  };
  let final: any;
  try {
    // A version the details API holds back longest (the emulator's lag tail, drawn up to 1.5x) is
    // counted once it shows: by reconciliation or by the loss detector's next chase, a minute at most.
    final = await waitUntil(totalsMatch, 1.5 * emu.options.ingestionLagTailSeconds * 1000 + 60_000, "monitor totals to equal the ground truth");
  } catch (e) {
    const body = await monitor.get("/api/queues");
    for (const g of truth.queues) {
      const s = body?.queues?.find((x: any) => x.queueId === g.queueId && x.mediaType === g.mediaType);
      console.error(g.queueId.slice(0, 8), g.mediaType, "truth", JSON.stringify(g.counts), "monitor", JSON.stringify(s?.totals));
    }
    console.error(readFileSync(join(dir, "monitor.log"), "utf8").split("\n").filter((l) => /warn|error|backfill|gap/i.test(l)).slice(-40).join("\n"));
    // The running monitor holds the state file's exclusive lock: stop it to read what it counted.
    await monitor.stop();
    const db = new Database(join(dir, "state.sqlite"), { readonly: true });
    const ids = new Set((db.prepare("SELECT id FROM events").all() as { id: string }[]).map((r) => r.id));
    db.close();
    for (const ev of emu.sim.events) {
      const id = `${ev.conversationId}/${ev.participantId}/${ev.queueId}/${ev.kind === "offered" ? "offered" : `end:${ev.kind}`}`;
      if (!ids.has(id)) console.error("not counted:", new Date(ev.time).toISOString(), id);
    }
    throw e;
  }
  for (const g of truth.queues) {
    const s = final.queues.find((x: any) => x.queueId === g.queueId && x.mediaType === g.mediaType);
    assert.deepEqual(s.totals, g.counts, `${g.queueId} ${g.mediaType}`);
  }
  const late = truth.queues.filter((g) => g.queueId === lateQueue);
  assert.ok(late.length > 0 && late.every((g) => g.counts.offered > 0), "the queue renamed into the selection mid-run had traffic, counted above");
  const health = await monitor.get("/api/health");
  const aliveAtEnd = monitor.child?.exitCode === null && monitor.child.signalCode === null;
  await monitor.stop();

  // Every event once, answered waits to the millisecond, and each 30-minute interval's counts.
  const db = new Database(join(dir, "state.sqlite"), { readonly: true });
  const rows = db.prepare("SELECT queue_id AS q, media_type AS m, kind, wait_ms AS w, time AS t, id FROM events").all() as { q: string; m: string; kind: string; w: number | null; t: number; id: string }[];
  db.close();
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, "no event counted twice");
  assert.equal(rows.length, emu.sim.events.length, "every ground-truth event counted once");
  for (const g of truth.queues) {
    const mine = rows.filter((r) => r.q === g.queueId && r.m === g.mediaType && r.kind === "answered").map((r) => r.w!).sort((a, b) => a - b);
    assert.deepEqual(mine, [...g.waitsMs.answered].sort((a, b) => a - b), `answered waits of ${g.queueId} ${g.mediaType}`);
  }
  const intervals = (events: { queueId: string; mediaType: string; kind: string; time: number }[]) => {
    const m = new Map<string, number>();
    for (const e of events) {
      const k = `${e.queueId}/${e.mediaType}/${e.kind}/${Math.floor(e.time / INTERVAL_MS)}`;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].sort(([a], [b]) => a.localeCompare(b));
  };
  assert.deepEqual(intervals(rows.map((r) => ({ queueId: r.q, mediaType: r.m, kind: r.kind, time: r.t }))), intervals(emu.sim.events), "every 30-minute interval's counts equal the truth");

  // The unreadable messages were left to the redrive policy: all of them are in the dead-letter queue.
  const dead = await sqs.takeAll(queue.deadLetterUrl);
  assert.deepEqual(dead.map((m) => m.Body).sort(), [...UNREADABLE].sort(), "the unreadable messages, and only they, are in the dead-letter queue");

  const c = health.counters;
  const published = emu.eventBridge!.publisher.stats;
  const logLines = readFileSync(join(dir, "monitor.log"), "utf8").split("\n");
  const dropped = emu.notifications.stats.notificationsOmitted;
  const report = {
    chaosEventBridge: {
      simulatedMinutes: MINUTES,
      groundTruthEvents: emu.sim.events.length,
      faults: [...new Set(emu.faultLog.map((f) => f.type))].sort(),
      kill9: kills.length,
      purges: purges.length,
      notificationsNeverSent: dropped,
      monitorStarts: monitor.starts,
      published: { messages: published.published, sent: published.sent, twice: published.duplicates, held: published.held, dropped: published.dropped, sendFailures: published.sendFailures },
      streamEvents: c.streamEvents,
      backfilledEvents: c.backfilledEvents,
      duplicatesDropped: c.duplicatesDropped,
      lateDropped: c.lateDropped,
      outcomeConflicts: c.outcomeConflicts,
      reconciles: c.reconciles,
      gapsOpened: logLines.filter((l) => l.includes("stream gap opened")).length,
      lossDetector: health.lossDetector && { compared: health.lossDetector.compared, disagreed: health.lossDetector.disagreed },
      sourceAtEnd: { received: health.source.received, deleted: health.source.deleted, redelivered: health.source.redelivered, unreadable: health.source.unreadable, deliveryLagSeconds: health.source.deliveryLagSeconds },
    },
  };
  console.log(JSON.stringify(report));
  assert.ok(aliveAtEnd, "the monitor never exited on its own");
  assert.equal(health.source.type, "eventbridge-sqs");
  assert.ok(published.duplicates > 0 && published.held > 0, "messages were sent twice and held");
  assert.equal(published.dropped, 0, "the emulator dropped nothing it should have sent");
  assert.ok(c.backfilledEvents > 0, "backfill recovered events (the purged and the never-sent ones)");
  assert.ok(report.chaosEventBridge.gapsOpened >= 1, "SQS down for longer than gapAfterSeconds opened a gap");
});
