/**
 * PagerDuty unreachable (the emulator's receiver refusing every event) with a tiny alert outbox:
 * what the bound drops is what is safe first; every drop is counted and logged; a firing alert's
 * dropped trigger is said loudly and paged again when PagerDuty is back; a resolve whose trigger
 * never reached PagerDuty is not sent, one whose incident is still open is.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { Alerter } from "../../src/alerts/alerter.js";
import { alertsSchema } from "../../src/alerts/config.js";
import type { SeriesSnapshot } from "../../src/aggregate/series.js";
import { buildSamples } from "../../src/sinks/samples.js";
import { ManualClock } from "../../src/util/clock.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { captureLog, ERROR } from "../helpers/log-capture.js";

const KEY = "0123456789abcdef0123456789abcdef";
const RULE = { name: "slow", figure: "answeredWaitP90", window: "15m", threshold: 60, forSeconds: 0, clearForSeconds: 0 };
const keyOf = (q: string) => `queue-monitor/slow/${q}/voice`;

function series(queueId: string, p90: number): SeriesSnapshot {
  const f = { offered: 20, answered: 20, abandoned: 0, shortAbandoned: 0, flowout: 0, overSla: 0, serviceLevel: 1, asaSeconds: 1, abandonRate: 0, answeredWaitSeconds: { p50: null, p90, p95: null, p99: null, max: null }, abandonedWaitSeconds: { p50: null, p90: null, p95: null, p99: null, max: null } };
  const iv = { ...f, start: "", end: "" };
  return { queueId, queueName: queueId.toUpperCase(), mediaType: "voice", windows: { "15m": f }, intervals: { current: iv, previous: null, today: iv }, now: { waiting: 0, interacting: 0, longestWaitingSeconds: null } } as unknown as SeriesSnapshot;
}

async function paging(t: TestContext, maxPendingEvents: number) {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const { log, lines } = captureLog();
  const clock = new ManualClock(Date.parse("2026-01-05T09:00:00Z"));
  const db = new Database(":memory:");
  const p90 = new Map<string, number>();
  const alerter = new Alerter({
    config: alertsSchema.parse({ rules: [RULE], pagerduty: { routingKey: KEY, eventsUrl: `${emu.url}/v2/enqueue`, retryMaxSeconds: 1, maxPendingEvents } }),
    clock,
    log,
    db,
    snapshot: () => [...p90].map(([q, v]) => series(q, v)),
    gate: () => true,
    // One try per drain, short waits between drains: the test is about what is kept, not how long.
    delivery: { request: { maxAttempts: 1, timeoutMs: 5000 }, outage: { baseMs: 20, capMs: 100, minMs: 10 } },
  });
  t.after(async () => {
    await alerter.stop();
    db.close();
  });
  const runner = alerter.runner!;
  /** One evaluation with queue `q`'s p90 set (90: breach, 30: clear), once no event is in flight. */
  const tick = async (q: string, value: number) => {
    await waitUntil(() => runner.inFlight === null, 5000, "no event in flight");
    p90.set(q, value);
    clock.advance(10_000);
    return alerter.evaluate().map((e) => `${e.dedup_key.split("/")[2]}${e.event_action === "trigger" ? "T" : "R"}`);
  };
  const fault = async (body: unknown) => assert.equal((await fetch(`${emu.url}/emulator/pagerduty/faults`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })).status, 200);
  /** PagerDuty back: the injected refusals left are used up (an invalid event is answered 400 once they are). */
  const back = async () => {
    await waitUntil(() => runner.inFlight === null, 5000, "no event in flight");
    for (let i = 0; i <= 1000; i++) {
      const r = await fetch(`${emu.url}/v2/enqueue`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      if (r.status === 400) return;
    }
    assert.fail("the receiver still refuses after 1,000 events");
  };
  const pending = () =>
    alerter.outbox.rows("pagerduty").map((r) => `${r.item!.event.dedup_key.split("/")[2]}${r.item!.event.event_action === "trigger" ? "T" : "R"}`);
  const received = () => emu.pagerduty.accepted.map((e) => `${e.dedup_key.split("/")[2]}${e.event_action === "trigger" ? "T" : "R"}`);
  return { emu, alerter, runner, lines, tick, fault, back, pending, received, clock };
}

test("outage with a tiny outbox: safe drops first, a dropped page is said and sent later, no resolve without its trigger", { timeout: 60_000 }, async (t) => {
  const pd = await paging(t, 3);
  await pd.fault({ status: 503, count: 1000 });
  const steps: [string, number, string[]][] = [
    ["a", 90, ["aT"]],
    ["b", 90, ["aT", "bT"]],
    ["a", 30, ["aT", "bT", "aR"]],
    ["c", 90, ["bT", "cT"]], // a opened and closed while PagerDuty was away: both go
    ["d", 90, ["bT", "cT", "dT"]],
    ["e", 90, ["cT", "dT", "eT"]], // nothing safe left: the oldest page goes, loudly
    ["c", 30, ["dT", "eT"]],
    ["d", 30, ["dT", "eT", "dR"]],
    ["b", 30, ["dT", "eT", "dR"]], // b's trigger never reached PagerDuty: its resolve is not queued
    ["f", 90, ["eT", "fT"]],
    ["g", 90, ["eT", "fT", "gT"]],
    ["h", 90, ["fT", "gT", "hT"]], // e's page goes too; e keeps firing
  ];
  for (const [q, v, want] of steps) {
    await pd.tick(q, v);
    assert.deepEqual(pd.pending(), want, `after ${q} at ${v}`);
  }
  assert.deepEqual(pd.received(), [], "PagerDuty refused everything so far");
  const st = pd.runner.status();
  assert.deepEqual(st.discarded, { refused: 0, unbuildable: 0, undecodable: 0, superseded: 6, "resolve-superseded": 0, "resolve-dropped": 0, "firing-trigger": 2, "trigger-never-delivered": 1 });
  assert.equal(st.dropped, 9, "every event not sent is counted");
  const lost = pd.lines.filter((l) => l.level === ERROR && l.reason === "firing-trigger");
  assert.deepEqual(lost.map((l) => l.alert), [keyOf("b"), keyOf("e")], "each lost page said, naming its alert");
  assert.ok(pd.lines.some((l) => l.alert === keyOf("b") && l.reason === "trigger-never-delivered"));
  // On /metrics (the export_* families carry the PagerDuty delivery as sink "pagerduty").
  const samples = buildSamples({ snapshots: [], sinks: pd.alerter.sinkStatus() });
  const value = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value("queue_monitor_export_dropped_total", { sink: "pagerduty" }), 9);
  assert.equal(value("queue_monitor_export_discarded_total", { sink: "pagerduty", reason: "firing-trigger" }), 2);

  await pd.back();
  await waitUntil(async () => (await pd.runner.drain(true), pd.pending().length === 0), 10_000, "the outbox drained");
  assert.deepEqual(pd.received(), ["fT", "gT", "hT"]);
  // The next evaluation finds room: the firing alert whose page was dropped is paged now.
  await pd.tick("h", 90);
  await waitUntil(() => pd.received().length === 4, 10_000, "e paged late");
  assert.deepEqual(pd.received(), ["fT", "gT", "hT", "eT"]);
  assert.ok(pd.lines.some((l) => l.alert === keyOf("e") && /queued again/.test(l.msg)));
  const incidents = new Map(pd.emu.pagerduty.incidents.map((i) => [i.dedup_key.split("/")[2], i.status]));
  assert.deepEqual(Object.fromEntries(incidents), { e: "triggered", f: "triggered", g: "triggered", h: "triggered" }, "every firing alert has its incident, no other was opened");
  for (const e of pd.emu.pagerduty.accepted) assert.equal(e.event_action, "trigger", "no resolve ever reached PagerDuty for an incident it never had");
});

test("a resolve superseded by a new trigger, then that trigger dropped: the incident is open, so its resolve still reaches PagerDuty", { timeout: 60_000 }, async (t) => {
  const pd = await paging(t, 2);
  await pd.tick("z", 90);
  await waitUntil(() => pd.received().length === 1, 10_000, "z's trigger delivered");
  await pd.fault({ status: 503, count: 1000 });
  await pd.tick("z", 30);
  await pd.tick("z", 90);
  assert.deepEqual(pd.pending(), ["zR", "zT"]);
  await pd.tick("y", 90);
  assert.deepEqual(pd.pending(), ["zT", "yT"], "z's resolve goes: its incident stays open while z fires again");
  await pd.tick("x", 90);
  assert.deepEqual(pd.pending(), ["yT", "xT"], "then the oldest page");
  await pd.tick("z", 30);
  // z's resolve is queued (its incident is open: not skipped), and is the safest to drop: owed.
  assert.deepEqual(pd.pending(), ["yT", "xT"]);
  assert.deepEqual([pd.runner.status().discarded["resolve-dropped"], pd.runner.status().discarded["trigger-never-delivered"]], [1, 0]);
  await pd.back();
  await waitUntil(async () => (await pd.runner.drain(true), pd.pending().length === 0), 10_000, "the outbox drained");
  await pd.tick("x", 90);
  await waitUntil(async () => (await pd.runner.drain(true), pd.pending().length === 0 && pd.received().length === 4), 10_000, "the owed resolve sent");
  assert.deepEqual(pd.received(), ["zT", "yT", "xT", "zR"]);
  assert.ok(pd.lines.some((l) => l.alert === keyOf("z") && /resolve queued again/.test(l.msg)));
  const z = pd.emu.pagerduty.incidents.filter((i) => i.dedup_key === keyOf("z"));
  assert.deepEqual(z.map((i) => i.status), ["resolved"], "z's incident closed");
  const firing = new Set(pd.alerter.alertStates().filter((a) => a.state === "firing").map((a) => a.dedupKey));
  for (const i of pd.emu.pagerduty.incidents) assert.equal(i.status === "triggered", firing.has(i.dedup_key), `${i.dedup_key}: open at PagerDuty exactly when firing`);
  assert.deepEqual(pd.runner.status().discarded["resolve-superseded"], 1);
});
