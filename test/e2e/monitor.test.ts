/**
 * The monitor in-process against the emulator: channel lifecycle without gaps, silent sockets,
 * sharding, both readings of the details interval, and the HTTP API.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema } from "../../src/config/schema.js";
import type { Emulator, EmulatorOptions } from "../../src/emulator/server.js";
import { Monitor } from "../../src/app/monitor.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

async function setup(t: { after: (f: () => unknown) => void }, emuOver: Partial<EmulatorOptions>, cfgOver: Record<string, any> = {}) {
  const emu = await startTestEmulator({ heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3, ...emuOver });
  const dir = mkdtempSync(join(tmpdir(), "qm-mon-"));
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1, ...cfgOver.stream },
    // Reconciliation off unless a test asks for it: tests below count the jobs that ran.
    backfill: { ingestionDelaySeconds: 0.5, maxConversationHours: 2, reconcileMinutes: 0, ...cfgOver.backfill },
    server: { listen: "127.0.0.1:0" },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 100, recordEvents: true },
    queues: cfgOver.queues ?? {},
  });
  const monitor = new Monitor(config, emu.clock, silentLogger);
  await monitor.start();
  t.after(async () => {
    await monitor.stop();
    await emu.stop();
  });
  return { emu, monitor };
}

function totalsEqualTruth(emu: Emulator, monitor: Monitor): boolean {
  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
  const snap = monitor.engine.snapshot();
  if (snap.length !== truth.queues.length) return false;
  return truth.queues.every((g) => JSON.stringify(snap.find((s) => s.queueId === g.queueId && s.mediaType === g.mediaType)?.totals) === JSON.stringify(g.counts));
}

/** The first start's backfill has settled: no pass is left that would read past the present. */
async function firstStartSettled(monitor: Monitor): Promise<void> {
  await waitUntil(() => {
    const b = monitor.health().backfill;
    return b.lastSettle !== null && !b.settling && !b.pending && !b.running;
  }, 20_000, "the first start's backfill to settle");
}

async function fault(emu: Emulator, body: unknown) {
  emu.fault(body);
}

{
  test("gaps are backfilled exactly under the documented details reading (daily indexes by start, activity in the interval)", async (t) => {
    const { emu, monitor } = await setup(t, { speed: 300, durationMinutes: 30 });
    await waitUntil(() => monitor.ready, 10_000, "ready");
    await new Promise((r) => setTimeout(r, 800));
    await fault(emu, { type: "drop-sockets" });
    await new Promise((r) => setTimeout(r, 1500));
    await fault(emu, { type: "stall-heartbeats", seconds: 1.5 });
    await new Promise((r) => setTimeout(r, 2500));
    await fault(emu, { type: "expire-channels" });
    await waitUntil(() => emu.sim.settled, 30_000, "settle");
    await waitUntil(() => totalsEqualTruth(emu, monitor), 20_000, "totals equal the truth");
    const h = monitor.health();
    assert.ok(h.counters.backfilledEvents > 0, "something was recovered by backfill");
    assert.ok(h.counters.reconnects >= 3, `reconnects ${h.counters.reconnects}`);
  });
}

test("channel rollover before expiry and socket_closing handover open no gap", async (t) => {
  // Channels live 12 virtual minutes; the monitor rolls them 5 minutes early (1 s real at x300).
  const { emu, monitor } = await setup(t, { speed: 300, channelTtlHours: 0.2 }, { stream: { rolloverMarginMinutes: 5 } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  await waitUntil(() => emu.notifications.stats.socketsOpened >= 4, 15_000, "several rollovers");
  emu.fault({ type: "socket-closing" });
  await waitUntil(() => emu.notifications.stats.socketsOpened >= 5, 5000, "handover socket");
  await new Promise((r) => setTimeout(r, 1500));
  const h = monitor.health();
  assert.equal(h.counters.reconnects, 0, `no gap was opened: ${JSON.stringify(h)}`);
  assert.equal(h.backfill.pending, false);
  assert.equal(h.connected, true);
  assert.deepEqual(h.backfill.scheduled, { initial: 1, gap: 0, pickup: 0, reconcile: 0, loss: 0, retry: 0, refused: 0 }, "only the initial backfill ran");
});

test("a silent socket is detected by the heartbeat watchdog and replaced", async (t) => {
  const { emu, monitor } = await setup(t, { speed: 60 });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  const opened = emu.notifications.stats.socketsOpened;
  emu.fault({ type: "stall-heartbeats", seconds: 30 });
  await waitUntil(() => emu.notifications.stats.socketsOpened > opened, 5000, "a new socket");
  await waitUntil(() => monitor.ready, 10_000, "ready again");
  assert.ok(monitor.health().counters.reconnects >= 1);
});

test("topics are sharded over channels and a queue selection limits what is watched", async (t) => {
  const { emu, monitor } = await setup(t, { speed: 300 }, { stream: { topicsPerChannel: 2 }, queues: { patterns: ["S*"] } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  const h = monitor.health();
  assert.equal(h.queues, 2);
  assert.equal(h.channels.length, 2, "one queue (two topics) per channel");
  assert.ok(h.channels.every((c) => c.topics === 2 && c.state === "live"));
  await waitUntil(() => monitor.engine.snapshot().length >= 2, 10_000, "figures");
  const names = new Set(monitor.engine.snapshot().map((s) => s.queueName));
  assert.ok(!names.has("Billing"));
  const api = (await (await fetch(`${monitor.listenUrl}/api/queues`)).json()) as any;
  assert.ok(api.queues.length >= 2);
  assert.ok(api.queues[0].windows["5m"]);
  assert.equal((await fetch(`${monitor.listenUrl}/readyz`)).status, 200);
  assert.equal((await fetch(`${monitor.listenUrl}/nope`)).status, 404);
  void emu;
});

test("a new queue is picked up, subscribed and its day so far backfilled", async (t) => {
  const { emu, monitor } = await setup(t, { speed: 300 }, { queues: { refreshSeconds: 0.5 } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  const res = await fetch(`${emu.url}/emulator/queues`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Retention", arrivalsPerHour: 300, agents: 2, handleSeconds: 60, patienceSeconds: 90 }),
  });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  await waitUntil(() => monitor.queues.has(id), 5000, "pick-up");
  const truthFor = () => emu.sim.events.filter((e) => e.queueId === id);
  await waitUntil(() => truthFor().length > 20, 10_000, "traffic in the new queue");
  await waitUntil(() => {
    const s = monitor.engine.snapshot((q) => q === id)[0];
    const t = truthFor();
    return s && s.totals.offered === t.filter((e) => e.kind === "offered").length && s.totals.answered === t.filter((e) => e.kind === "answered").length;
  }, 10_000, "the new queue's totals to match");
  assert.equal((await fetch(`${emu.url}/emulator/queues`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Bad", agents: -1 }) })).status, 400);
});

test("a deleted queue's rejected topics do not stop the other queues", async (t) => {
  const { emu, monitor } = await setup(t, { speed: 300 }, { queues: { refreshSeconds: 3600 } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  const [sales, support] = emu.sim.queues;
  assert.equal((await fetch(`${emu.url}/emulator/queues/${sales.id}`, { method: "DELETE" })).status, 204);
  emu.fault({ type: "drop-sockets" }); // the reconnect re-subscribes Sales' topics: rejected
  await waitUntil(() => monitor.health().counters.reconnects >= 1 && monitor.ready, 10_000, "reconnected and ready");
  const before = emu.sim.events.filter((e) => e.queueId === support.id).length;
  await waitUntil(() => emu.sim.events.filter((e) => e.queueId === support.id).length > before + 5, 10_000, "more Support traffic");
  await waitUntil(() => {
    const s = monitor.engine.snapshot((q) => q === support.id);
    const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
    return truth.queues.filter((g) => g.queueId === support.id).every((g) => JSON.stringify(s.find((x) => x.mediaType === g.mediaType)?.totals) === JSON.stringify(g.counts));
  }, 10_000, "Support's totals to keep matching");
  assert.equal(monitor.health().connected, true);
});

test("with a long ingestion delay, the settling re-query recovers what the immediate pass could not see", async (t) => {
  // The details API lags 2 s real (4 virtual minutes at x120): right after a gap, its last minutes are not there yet.
  const { emu, monitor } = await setup(t, { speed: 120, ingestionDelaySeconds: 2, durationMinutes: 20 }, { backfill: { ingestionDelaySeconds: 2.5 } });
  await waitUntil(() => monitor.ready, 15_000, "ready");
  await new Promise((r) => setTimeout(r, 1000));
  emu.fault({ type: "stall-heartbeats", seconds: 2 });
  await waitUntil(() => monitor.health().backfill.settling, 10_000, "a settling pass to be scheduled after the gap");
  await waitUntil(() => emu.sim.settled, 30_000, "settle");
  await waitUntil(() => totalsEqualTruth(emu, monitor), 20_000, "totals equal the truth");
  const h = monitor.health();
  assert.ok(h.counters.backfills >= 3, `immediate and settling passes (merged when they overlap): ${h.counters.backfills}`);
  assert.ok(h.counters.backfilledEvents > 0);
});

test("notifications the service silently leaves out are recovered by periodic reconciliation", async (t) => {
  const { emu, monitor } = await setup(t, { speed: 300, durationMinutes: 30 }, { backfill: { reconcileMinutes: 3 } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  await firstStartSettled(monitor); // else a settling pass, reading up to now, could count them first
  emu.fault({ type: "drop-events", count: 150 });
  await waitUntil(() => emu.sim.settled, 30_000, "settle");
  await waitUntil(() => totalsEqualTruth(emu, monitor), 20_000, "totals equal the truth");
  const h = monitor.health();
  assert.equal(emu.notifications.stats.notificationsOmitted, 150);
  assert.equal(h.counters.reconnects, 0, "no gap: nothing but reconciliation could have found them");
  assert.ok(h.counters.reconciles > 0);
  assert.ok(h.counters.backfilledEvents > 0, "reconciliation counted what the stream never delivered");
});

test("the loss detector: Genesys' 30-minute aggregates reveal notifications left out on a healthy socket, and the interval is re-read", async (t) => {
  // A guessed lag of 3 s (15 virtual minutes) keeps the first start settling a while, as a slow machine's measured lag does.
  const { emu, monitor } = await setup(t, { speed: 300, durationMinutes: 80 }, { backfill: { ingestionDelaySeconds: 3 } });
  await waitUntil(() => monitor.ready, 10_000, "ready");
  // A settling pass reads up to now and would count the omitted events itself, before the detector compares.
  await firstStartSettled(monitor);
  // Intervals that began before the monitor started are not compared: wait for the next one.
  const armed = Math.ceil((emu.clock.now() - 2_000) / 1_800_000) * 1_800_000;
  await waitUntil(() => emu.clock.now() > armed + 60_000, 20_000, "an interval the detector compares");
  emu.fault({ type: "drop-events", count: 60 });
  await waitUntil(() => emu.notifications.stats.notificationsOmitted === 60, 20_000, "notifications omitted");
  await waitUntil(() => emu.sim.settled, 40_000, "settle");
  await waitUntil(() => totalsEqualTruth(emu, monitor), 30_000, "totals equal the truth");
  const h = monitor.health();
  assert.equal(h.counters.reconnects, 0, "no gap: nothing but the detector could have found them");
  assert.equal(h.counters.reconciles ?? 0, 0, "reconciliation is off");
  assert.ok(h.backfill.scheduled.loss >= 1, `re-reads after a difference: ${JSON.stringify(h.backfill.scheduled)}`);
  assert.ok(h.lossDetector.disagreed >= 1 && h.lossDetector.compared >= h.lossDetector.disagreed, JSON.stringify(h.lossDetector));
  assert.ok(h.counters.backfilledEvents > 0);
});
