/**
 * Driven by the `surge` scenario against the emulator's PagerDuty receiver, which answers 503 and
 * then 429 for a while: per dedup key triggers and resolves alternate, starting with a trigger and
 * ending with a resolve once the surge is over; the calm queues never page; the refusals delay
 * events but lose and duplicate none (every transition the monitor logged arrives exactly once).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitUntil } from "../helpers/emulator.js";
import { byKey, cleanup, loggedEvents, minute, pagingMonitor, RULE, surgeEmulator, type ReceivedEvent } from "../helpers/alerts-harness.js";

test("surge: one trigger then one resolve per breach, none for calm queues, through 503s and 429s", { timeout: 240_000 }, async (t) => {
  const { emu, dir } = await surgeEmulator(t);
  const monitor = await pagingMonitor(t, emu, dir, "monitor");
  cleanup(t, dir);
  const support = emu.sim.queues.find((q) => q.name === "Support")!.id;
  const calm = emu.sim.queues.filter((q) => q.name !== "Support").map((q) => q.id);
  const received = () => emu.pagerduty.accepted as ReceivedEvent[];
  // PagerDuty unreachable for a while: the first events are refused (503, then 429 with Retry-After).
  const fault = async (body: unknown) => assert.equal((await fetch(`${emu.url}/emulator/pagerduty/faults`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })).status, 200);
  await fault({ status: 503, count: 5 });
  await fault({ status: 429, count: 3, retryAfterSeconds: 1 });

  monitor.start();
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 30_000, "monitor ready");

  // While it fires: /api/alerts (the wallboard's contract) and /metrics show it.
  const firing = await waitUntil(
    async () => ((await monitor.get("/api/alerts"))?.alerts as any[] | undefined)?.find((a) => a.state === "firing"),
    90_000,
    "an alert firing",
  );
  assert.equal(firing.queueId, support, "only the surge queue fires");
  assert.equal(firing.rule, RULE);
  assert.equal(firing.queueName, "Support");
  assert.equal(firing.threshold, 60);
  assert.equal(firing.severity, "error");
  assert.ok(firing.value > 60, `value ${firing.value}`);
  assert.ok(!Number.isNaN(Date.parse(firing.since)));
  assert.equal(firing.dedupKey, `queue-monitor/${RULE}/${support}/${firing.mediaType}`);
  assert.ok(minute(emu) >= 10, `fired at minute ${minute(emu).toFixed(1)}, after the surge began`);
  const metrics = await (await fetch(`${monitor.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`queue_monitor_alerts_firing\\{rule="${RULE}",severity="error"\\} 1`));

  // The surge is over at minute 30 and its 15-minute window has slid past it by minute ~55: run to minute 72.
  await waitUntil(() => minute(emu) >= 72, 120_000, "simulated minute 72");
  await waitUntil(() => loggedEvents(monitor).length === received().length && received().length > 0, 30_000, "every logged event delivered");
  const alerts = (await monitor.get("/api/alerts")).alerts as any[];
  assert.ok(alerts.every((a) => a.state !== "firing"), `nothing fires after the surge: ${JSON.stringify(alerts)}`);

  const events = received();
  const keys = byKey(events);
  for (const id of calm) assert.ok(![...keys.keys()].some((k) => k.includes(`/${id}/`)), `no event for calm queue ${id}`);
  assert.ok([...keys.keys()].some((k) => k.includes(`/${support}/`)), "Support paged");
  for (const [key, actions] of keys) {
    assert.equal(actions[0], "trigger", `${key} starts with a trigger`);
    assert.equal(actions[actions.length - 1], "resolve", `${key} ends with a resolve`);
    actions.forEach((a, i) => assert.equal(a, i % 2 === 0 ? "trigger" : "resolve", `${key}: ${actions.join(",")} alternate`));
  }
  // Refusals were met, and the monitor's own record matches the receiver's, event for event.
  assert.deepEqual(emu.pagerduty.refused, { 503: 5, 429: 3 });
  assert.deepEqual(
    events.map((e) => `${e.dedup_key} ${e.event_action}`),
    loggedEvents(monitor).map((e) => `${e.alert} ${e.event}`),
    "delivered in the order they happened, none lost, none doubled",
  );
  const trigger = events.find((e) => e.event_action === "trigger")!;
  assert.equal(trigger.payload?.custom_details?.threshold, 60);
  assert.ok(Number(trigger.payload?.custom_details?.value) > 60);
  assert.ok(emu.pagerduty.incidents.every((i) => i.status === "resolved"));
  const m2 = await (await fetch(`${monitor.url}/metrics`)).text();
  assert.match(m2, /queue_monitor_export_pending\{sink="pagerduty"\} 0/);
});
