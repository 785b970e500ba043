/**
 * The monitor's failure modes, in-process against the emulator: a queue that joins the selection
 * mid-day gets its whole day; permanent API errors say so (readyz 503 with the reason, health,
 * one log line a minute) and freeze W; a details API that lags more than configured is caught
 * by the settling passes comparing themselves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { configSchema } from "../../src/config/schema.js";
import type { Emulator, EmulatorOptions } from "../../src/emulator/server.js";
import { Monitor } from "../../src/app/monitor.js";
import { HttpError } from "../../src/delivery/transport.js";
import type { Logger } from "../../src/util/log.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

interface Setup {
  emu: Emulator;
  monitor: Monitor;
  started: Promise<void>;
}

async function setup(t: { after: (f: () => unknown) => void }, emuOver: Partial<EmulatorOptions>, cfgOver: Record<string, any> = {}, log: Logger = silentLogger): Promise<Setup> {
  const emu = await startTestEmulator({ heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3, ...emuOver });
  const dir = mkdtempSync(join(tmpdir(), "qm-fail-"));
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: cfgOver.clientSecret ?? emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1 },
    backfill: { ingestionDelaySeconds: 0.5, maxConversationHours: 2, ...cfgOver.backfill },
    server: { listen: "127.0.0.1:0" },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 100 },
    queues: cfgOver.queues ?? {},
  });
  const monitor = new Monitor(config, emu.clock, log);
  const started = monitor.start();
  started.catch(() => {});
  t.after(async () => {
    await monitor.stop();
    await emu.stop();
  });
  return { emu, monitor, started };
}

type Truth = { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };

function totalsEqualTruth(emu: Emulator, monitor: Monitor, queueIds?: Set<string>): boolean {
  const truth = (emu.groundTruth() as Truth).queues.filter((g) => !queueIds || queueIds.has(g.queueId));
  const snap = monitor.engine.snapshot((q) => !queueIds || queueIds.has(q));
  if (snap.length !== truth.length) return false;
  return truth.every((g) => JSON.stringify(snap.find((s) => s.queueId === g.queueId && s.mediaType === g.mediaType)?.totals) === JSON.stringify(g.counts));
}

/** A logger whose lines are kept (JSON objects). */
function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

test("a queue that joins the selection mid-day gets its whole business day, like one picked up at start", { timeout: 120_000 }, async (t) => {
  // 08:00 UTC start at x300: Billing has traffic from 08:00 but is only selected after 09:30,
  // when its first calls are well behind the late-event horizon (W - overlap - 1 h).
  const start = Date.parse("2026-05-04T08:00:00Z");
  const { emu, monitor, started } = await setup(t, { speed: 300, start, durationMinutes: 110 }, { queues: { patterns: ["S*"], refreshSeconds: 0.5 } });
  await started;
  await waitUntil(() => monitor.ready, 10_000, "ready");
  const billing = emu.sim.queues.find((q) => q.name === "Billing")!;
  await waitUntil(() => emu.clock.now() >= start + 95 * 60_000, 30_000, "09:35 virtual");
  assert.ok(Date.parse(monitor.health().watermark!) > start + 70 * 60_000, "W has moved past Billing's first hour");
  assert.ok(emu.sim.events.some((e) => e.queueId === billing.id && e.time < start + 20 * 60_000), "Billing had early calls");
  // Billing enters the selection: renamed into the pattern.
  emu.patchQueue(billing.id, { name: "Special Billing" });
  await waitUntil(() => monitor.queues.has(billing.id), 5000, "pick-up");
  await waitUntil(() => emu.sim.settled, 60_000, "the simulation to settle");
  await waitUntil(() => totalsEqualTruth(emu, monitor), 30_000, "every queue's totals, Billing's whole day included, to equal the truth");
  const h = monitor.health();
  assert.equal(h.counters.lateDropped, 0);
  assert.equal(h.backfill.scheduled.pickup, 1);
  await waitUntil(() => monitor.health().backfill.pickups === 0, 10_000, "the pickup to settle");
  const today = monitor.engine.snapshot((q) => q === billing.id).reduce((n, s) => n + s.intervals.today.offered, 0);
  assert.equal(today, emu.sim.events.filter((e) => e.queueId === billing.id && e.kind === "offered").length, "today's figures hold the whole day");
});

test("invalid client credentials: readyz 503 with the reason, health names the status, one log line a minute", { timeout: 60_000 }, async (t) => {
  const { log, lines } = recordingLogger();
  const { monitor } = await setup(t, { speed: 60 }, { clientSecret: "wrong" }, log);
  await waitUntil(() => monitor.listenUrl, 5000, "listening");
  await waitUntil(() => monitor.health().problems.length > 0, 10_000, "a standing problem");
  // Discovery keeps retrying meanwhile (backoff from 1 s); the problem is logged once.
  await waitUntil(() => monitor.health().problems[0].occurrences >= 3, 20_000, "several retries");
  const res = await fetch(`${monitor.listenUrl}/readyz`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { reasons: string[]; problems: { area: string; status: number }[] };
  assert.deepEqual(body.problems.map((p) => [p.area, p.status]), [["token", 401]]);
  assert.ok(body.reasons.some((r) => /token: HTTP 401/.test(r)), JSON.stringify(body.reasons));
  const h = monitor.health();
  assert.equal(h.counters.permanentErrors, 1, "counted once per logged minute");
  assert.equal(lines.filter((l) => /blocked/.test(String(l.msg))).length, 1, "one log line, not one per retry");
});

test("403 on analytics: W stays frozen and readyz says why until the permission is back", { timeout: 120_000 }, async (t) => {
  const { emu, monitor, started } = await setup(t, { speed: 120 });
  await started;
  await waitUntil(() => monitor.ready, 10_000, "ready");
  // The role loses analytics:conversationDetail:view (the emulator has no such fault: the client refuses).
  let forbidden = true;
  const call = monitor.client.call.bind(monitor.client);
  monitor.client.call = (async (method: string, path: string, body?: unknown, allow?: number[]) => {
    if (forbidden && path.includes("/analytics/conversations/details/query")) {
      monitor.client.apiErrors++;
      throw new HttpError({ method, url: path, status: 403, body: '{"status":403,"code":"missing.permissions"}', message: `${method} ${path} answered 403: missing.permissions` });
    }
    return call(method, path, body, allow);
  }) as typeof monitor.client.call;
  emu.fault({ type: "drop-sockets" });
  await waitUntil(() => monitor.health().problems.some((p) => p.area === "backfill" && p.status === 403), 10_000, "the 403 reported");
  const frozen = monitor.health().watermark;
  const res = await fetch(`${monitor.listenUrl}/readyz`);
  assert.equal(res.status, 503);
  assert.ok(((await res.json()) as { reasons: string[] }).reasons.some((r) => /backfill: HTTP 403/.test(r)));
  await new Promise((r) => setTimeout(r, 1500)); // 3 virtual minutes
  assert.equal(monitor.health().watermark, frozen, "W does not move past what could not be read");
  forbidden = false;
  // Blocked areas are retried with backoff up to a minute apart (real time); wait for that retry.
  await waitUntil(() => monitor.ready, 70_000, "ready again once analytics answers");
  assert.deepEqual(monitor.health().problems, []);
  await waitUntil(() => Date.parse(monitor.health().watermark!) > Date.parse(frozen!), 10_000, "W moving again");
});

for (const settleMaxPasses of [6]) {
  test(`a details API lagging more than the configured ingestion delay is caught by comparing settling passes (max ${settleMaxPasses})`, { timeout: 120_000 }, async (t) => {
    // The API lags 3 s real (6 virtual minutes at x120); the monitor believes 0.5 s (1 minute).
    const { emu, monitor, started } = await setup(t, { speed: 120, ingestionDelaySeconds: 3, durationMinutes: 20 }, { backfill: { ingestionDelaySeconds: 0.5, settleMaxPasses } });
    await started;
    await waitUntil(() => monitor.ready, 15_000, "ready");
    await new Promise((r) => setTimeout(r, 1000));
    emu.fault({ type: "stall-heartbeats", seconds: 2 });
    await waitUntil(() => monitor.health().counters.reconnects >= 1, 10_000, "the gap");
    await waitUntil(() => emu.sim.settled, 60_000, "settle");
    try {
      await waitUntil(() => totalsEqualTruth(emu, monitor), 40_000, "totals equal the truth");
    } catch (e) {
      console.log(JSON.stringify(monitor.health()), JSON.stringify((emu.groundTruth() as Truth).queues.map((g) => [g.queueId.slice(0, 4), g.mediaType, g.counts])), JSON.stringify(monitor.engine.snapshot().map((s) => [s.queueId.slice(0, 4), s.mediaType, s.totals])));
      throw e;
    }
    const h = monitor.health();
    assert.ok(h.backfill.lastSettle && h.backfill.lastSettle.passes >= 2, JSON.stringify(h.backfill));
    assert.ok(h.counters.settlePasses > h.backfill.scheduled.initial + h.backfill.scheduled.gap, "more settling passes than jobs: the API was re-read until it agreed");
  });
}

test("a backfill too large for the API's result cap fails loudly and holds W", { timeout: 60_000 }, async (t) => {
  const { emu, monitor, started } = await setup(t, { speed: 120 });
  await started;
  await waitUntil(() => monitor.ready, 10_000, "ready");
  // From now on every details query claims 200,000 hits, in full pages of conversations that all
  // started at the interval's start: continuing from the last start read makes no progress, and
  // no split of the queues can make it fit (answered here, without the emulator: 1,000 pages a query).
  let huge = true;
  const call = monitor.client.call.bind(monitor.client);
  monitor.client.call = (async (method: string, path: string, body?: unknown, allow?: number[]) => {
    if (huge && path.includes("/analytics/conversations/details/query")) {
      const start = String((body as { interval: string }).interval).split("/")[0];
      return { status: 200, body: { totalHits: 200_000, conversations: Array.from({ length: 100 }, (_, i) => ({ conversationId: `same-start-${i}`, conversationStart: start, participants: [] })) } };
    }
    return call(method, path, body, allow);
  }) as typeof monitor.client.call;
  emu.fault({ type: "drop-sockets" });
  await waitUntil(() => monitor.health().problems.some((p) => p.area === "backfill"), 10_000, "the problem reported");
  const h = monitor.health();
  const p = h.problems.find((x) => x.area === "backfill")!;
  assert.equal(p.status, null);
  assert.match(p.reason, /100000-result cap/);
  const res = await fetch(`${monitor.listenUrl}/readyz`);
  assert.equal(res.status, 503);
  const frozen = h.watermark;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(monitor.health().watermark, frozen, "W does not move past what could not be read");
  huge = false;
  await waitUntil(() => monitor.ready, 70_000, "ready once the queries fit");
  await waitUntil(() => Date.parse(monitor.health().watermark!) > Date.parse(frozen!), 10_000, "W moving again");
});
