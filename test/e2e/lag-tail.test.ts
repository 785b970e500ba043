/**
 * No-loss that does not rest on guessing the details API's lag: heavy traffic with many abandons,
 * a long lag tail (2 % of conversation versions 60 real seconds late: a simulated hour at x60),
 * `ingestionDelaySeconds: 4` (a poor guess), and five kill -9 restarts of the monitor. Once the
 * tail has passed, every queue's totals equal the ground truth and no event is counted twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { scenarioSchema } from "../../src/emulator/simulator/scenario.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { freePort, MonitorProcess } from "../helpers/monitor-process.js";

const SPEED = 60;

test("a 60 s lag tail, a 4 s guess and five kill -9s: nothing lost, nothing doubled", { timeout: 420_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-lag-"));
  const scenario = scenarioSchema.parse({
    name: "busy",
    queues: [
      { name: "Sales", arrivalsPerHour: 3000, agents: 30, handleSeconds: 40, handleCv: 0.5, patienceSeconds: 25, alertSeconds: 2, ivrSeconds: 5 },
      { name: "Support", arrivalsPerHour: 1500, agents: 12, handleSeconds: 60, handleCv: 0.6, patienceSeconds: 40, alertSeconds: 2, ivrSeconds: 5 },
    ],
  });
  const emu = await startTestEmulator({ scenario, speed: SPEED, durationMinutes: 40, heartbeatSeconds: 0.5, ingestionDelaySeconds: 2, ingestionLagTailSeconds: 60, ingestionLagTailShare: 0.02, start: Date.parse("2026-05-04T09:10:00Z") });
  t.after(() => emu.stop());
  const port = await freePort();
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.5, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2 },
    backfill: { ingestionDelaySeconds: 4 },
    state: { file: join(dir, "state.sqlite"), recordEvents: true, commitIntervalMs: 200 },
    clock: "emulator",
  });
  const monitor = new MonitorProcess(configFile, port, join(dir, "monitor.log"));
  t.after(() => monitor.stop());
  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 30_000, "monitor ready");
  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  for (let i = 0; i < 5; i++) {
    await sleep(3 + i);
    await monitor.kill9();
    await sleep(1 + (i % 3));
    monitor.start();
    await waitUntil(async () => (await monitor.get("/readyz"))?.connected, 30_000, "connected again");
  }
  await waitUntil(() => emu.sim.settled, 120_000, "the simulation to settle");
  const truth = emu.groundTruth() as { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };
  const key = (q: string, m: string) => `${q}/${m}`;
  const totals = async () => {
    const body = await monitor.get("/api/queues");
    const got = new Map<string, unknown>((body?.queues ?? []).map((s: any) => [key(s.queueId, s.mediaType), s.totals]));
    return truth.queues.every((g) => JSON.stringify(got.get(key(g.queueId, g.mediaType))) === JSON.stringify(g.counts));
  };
  try {
    // The tail: versions up to 1.5 x 60 real s late, then the loss detector's re-reads.
    await waitUntil(totals, 240_000, "totals equal to the ground truth");
  } catch (e) {
    const body = await monitor.get("/api/queues");
    for (const g of truth.queues) console.error(g.queueId.slice(0, 8), g.mediaType, "truth", JSON.stringify(g.counts), "monitor", JSON.stringify(body?.queues?.find((s: any) => s.queueId === g.queueId && s.mediaType === g.mediaType)?.totals));
    console.error(JSON.stringify((await monitor.get("/api/health"))?.lossDetector), JSON.stringify((await monitor.get("/api/health"))?.backfill?.analyticsLag));
    console.error(readFileSync(join(dir, "monitor.log"), "utf8").split("\n").filter((l) => /loss|differ|lag|settled|refused|Genesys/i.test(l)).slice(-30).join("\n"));
    throw e;
  }
  const health = await monitor.get("/api/health");
  await monitor.stop();
  const db = new Database(join(dir, "state.sqlite"), { readonly: true });
  const ids = db.prepare("SELECT id FROM events").all() as { id: string }[];
  db.close();
  assert.equal(new Set(ids.map((r) => r.id)).size, ids.length, "no event counted twice");
  assert.equal(ids.length, emu.sim.events.length, "every ground-truth event counted once");
  assert.equal(health.counters.lateDropped, 0, "no late version dropped as too old to tell");
  console.log(JSON.stringify({ lagTail: { events: emu.sim.events.length, kills: 5, lag: health.backfill.analyticsLag, lossDetector: { compared: health.lossDetector.compared, recovered: health.lossDetector.recovered, unrecovered: health.lossDetector.unrecovered } } }));
});
