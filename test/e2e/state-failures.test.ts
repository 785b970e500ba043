/**
 * A state file that stops taking writes (here read-only; a full disk takes the same path):
 * /readyz says so naming the file, /metrics counts the failures, the batch in
 * memory stays bounded (new events are refused and said), and once the disk has room again a
 * backfill counts what was refused: the totals end equal to the ground truth.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Monitor } from "../../src/app/monitor.js";
import { configSchema } from "../../src/config/schema.js";
import type { Emulator } from "../../src/emulator/server.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

type Truth = { queues: { queueId: string; mediaType: string; counts: Record<string, number> }[] };

function totalsEqualTruth(emu: Emulator, monitor: Monitor): boolean {
  const truth = (emu.groundTruth() as Truth).queues;
  const snap = monitor.engine.snapshot();
  return snap.length === truth.length && truth.every((g) => JSON.stringify(snap.find((s) => s.queueId === g.queueId && s.mediaType === g.mediaType)?.totals) === JSON.stringify(g.counts));
}

test("a state file that cannot be written is a standing problem, bounds the batch, and loses nothing once it has room again", { timeout: 300_000 }, async (t) => {
  const emu = await startTestEmulator({ scenarioName: "floor", heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3, speed: 120, durationMinutes: 30 });
  const file = join(mkdtempSync(join(tmpdir(), "qm-disk-")), "state.sqlite");
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1 },
    backfill: { ingestionDelaySeconds: 0.5, maxConversationHours: 2 },
    server: { listen: "127.0.0.1:0" },
    state: { file, commitIntervalMs: 100, checkpointSeconds: 0.5, maxUncommittedEvents: 1000 },
  });
  const monitor = new Monitor(config, emu.clock, silentLogger);
  t.after(async () => {
    await monitor.stop();
    await emu.stop();
  });
  await monitor.start();
  await waitUntil(() => monitor.ready, 20_000, "ready");
  // Every write now fails as on a file that became read-only (SQLITE_READONLY); a full disk
  // (SQLITE_FULL) takes the same path, and the store's own tests tell the two apart.
  const db = monitor.store.database;
  db.pragma("query_only = 1");
  const url = monitor.listenUrl!;
  await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 503, 20_000, "readyz 503");
  const ready = (await (await fetch(`${url}/readyz`)).json()) as { reasons: string[]; problems: { area: string; reason: string }[] };
  const problem = ready.problems.find((p) => p.area === "state");
  assert.ok(problem, JSON.stringify(ready));
  assert.ok(problem.reason.includes(file), `names the file: ${problem.reason}`);
  assert.match(problem.reason, /read-only/i);
  assert.ok(ready.reasons.some((r) => r.startsWith("state: ")));
  // The batch is bounded: past 1,000 events new ones are refused, counted and said.
  await waitUntil(() => (monitor.health().counters.stateRefusedEvents ?? 0) > 0, 90_000, "events refused");
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /^queue_monitor_state_commit_failures_total [1-9]\d*$/m);
  assert.match(metrics, /^queue_monitor_state_refused_events_total [1-9]\d*$/m);
  db.pragma("query_only = 0");
  await waitUntil(() => monitor.problems.list().every((p) => p.area !== "state"), 20_000, "the state problem to clear");
  await waitUntil(() => emu.sim.settled, 120_000, "the simulation to settle");
  await waitUntil(() => totalsEqualTruth(emu, monitor), 60_000, "totals equal to the ground truth, refused events included");
  assert.equal(monitor.health().counters.lateDropped, 0);
  assert.ok((monitor.health().backfill.scheduled.refused ?? 0) >= 1, "a backfill of the refused events ran");
});
