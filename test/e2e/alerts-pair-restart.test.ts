/**
 * An active-active pair on the surge: two monitors with their own state files page the same
 * routing key. One of them is killed with SIGKILL while its alert fires and restarted. The
 * receiver (which models PagerDuty's dedup) holds one incident per breach, resolved at the end;
 * the killed monitor never triggers a second time for the same breach, and its resolve still comes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitUntil } from "../helpers/emulator.js";
import { byKey, cleanup, loggedEvents, minute, pagingMonitor, surgeEmulator, type ReceivedEvent } from "../helpers/alerts-harness.js";

test("pair + kill -9 while firing: one incident per breach, no second trigger, the resolve still comes", { timeout: 240_000 }, async (t) => {
  const { emu, dir } = await surgeEmulator(t);
  const a = await pagingMonitor(t, emu, dir, "monitor-a");
  const b = await pagingMonitor(t, emu, dir, "monitor-b");
  cleanup(t, dir);
  const support = emu.sim.queues.find((q) => q.name === "Support")!.id;
  const received = () => emu.pagerduty.accepted as ReceivedEvent[];
  const triggersFrom = (source: string) => received().filter((e) => e.event_action === "trigger" && e.payload?.source === source);

  a.start();
  b.start();
  await waitUntil(async () => (await a.get("/readyz"))?.ready && (await b.get("/readyz"))?.ready, 40_000, "both monitors ready");
  // Kill A once its trigger has reached PagerDuty (its alert fires).
  await waitUntil(() => triggersFrom("monitor-a").length === 1, 90_000, "monitor-a's trigger received");
  const firing = ((await a.get("/api/alerts")).alerts as any[]).filter((x) => x.state === "firing");
  assert.equal(firing.length, 1, "monitor-a fires for Support");
  await a.kill9();
  const killedAt = minute(emu);
  await new Promise((r) => setTimeout(r, 1000));
  a.start();
  await waitUntil(async () => (await a.get("/readyz"))?.ready, 40_000, "monitor-a back after kill -9");
  const after = await waitUntil(async () => (await a.get("/api/alerts"))?.alerts as any[] | undefined, 10_000, "monitor-a's alerts");
  assert.deepEqual(
    after.filter((x) => x.state === "firing").map((x) => x.dedupKey),
    firing.map((x) => x.dedupKey),
    "the restarted monitor still knows its open alert",
  );
  assert.ok(killedAt < 55, `killed at minute ${killedAt.toFixed(1)}, while the breach lasted`);

  await waitUntil(() => minute(emu) >= 72, 120_000, "simulated minute 72");
  await waitUntil(() => received().filter((e) => e.event_action === "resolve").length >= 2, 30_000, "both monitors' resolves");
  for (const m of [a, b]) {
    const alerts = (await m.get("/api/alerts")).alerts as any[];
    assert.ok(alerts.every((x) => x.state !== "firing"), `${m.logFile}: nothing fires after the surge`);
  }

  // The killed monitor: one trigger and one resolve over both of its runs.
  const key = firing[0].dedupKey as string;
  assert.ok(key.includes(`/${support}/`));
  assert.deepEqual(loggedEvents(a).map((e) => `${e.alert} ${e.event}`), [`${key} trigger`, `${key} resolve`], "monitor-a: no second trigger after the restart, and the resolve");
  assert.equal(triggersFrom("monitor-a").length, 1, "the receiver got one trigger from monitor-a");
  const logB = loggedEvents(b).map((e) => `${e.alert} ${e.event}`);
  assert.deepEqual(logB, [`${key} trigger`, `${key} resolve`], "monitor-b paged the same breach with the same key");

  // The receiver: per key, one incident per breach; both triggers joined it; it is resolved.
  const keys = byKey(received());
  assert.deepEqual([...keys.keys()], [key], "only Support's key");
  assert.deepEqual([...keys.get(key)!].sort(), ["resolve", "resolve", "trigger", "trigger"]);
  const incidents = emu.pagerduty.incidents.filter((i) => i.dedup_key === key);
  assert.equal(incidents.length, 1, `one incident for the one breach: ${JSON.stringify(incidents)}`);
  assert.equal(incidents[0].triggers, 2, "the second monitor's trigger joined the open incident");
  assert.equal(incidents[0].status, "resolved");
});
