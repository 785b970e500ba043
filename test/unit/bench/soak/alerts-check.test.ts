import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAlerts, foldRepeats, loggedTransitions, type Transition } from "../../../../bench/soak/alerts-check.js";

const line = (alert: string, event?: string, extra: Record<string, unknown> = {}) => JSON.stringify({ level: 40, msg: "alert transition", alert, rule: "r", queue: "Priority", mediaType: "voice", event, ...extra });
const tr = (key: string, event: "trigger" | "resolve"): Transition => ({ key, event });
const rx = (dedup_key: string, event_action: string) => ({ dedup_key, event_action });

test("transitions from the log: only those that send an event; repeats after a restart fold", () => {
  const log = [line("a", "trigger"), line("a", undefined, { from: "firing", to: "resolved-kept" }), line("a", "trigger"), line("b", "trigger"), line("a", "resolve"), '{"msg":"alert transition","alert":"c","ev'].join("\n");
  const t = loggedTransitions(log);
  assert.deepEqual(t.map((x) => `${x.key} ${x.event}`), ["a trigger", "a trigger", "b trigger", "a resolve"]);
  const f = foldRepeats(t);
  assert.equal(f.folded, 1);
  assert.deepEqual(f.events.map((x) => `${x.key} ${x.event}`), ["a trigger", "b trigger", "a resolve"]);
});

test("transitions of an evaluation whose transaction failed (full disk) do not count", () => {
  const at = (t: number, o: Record<string, unknown>) => JSON.stringify({ level: 40, time: t, ...o });
  const log = [
    at(1000, { msg: "alert transition", alert: "a", event: "trigger" }),
    at(2000, { msg: "alert transition", alert: "b", event: "trigger" }),
    at(2000, { msg: "alert transition", alert: "c", event: "trigger" }),
    at(2001, { level: 50, msg: "alert task failed", err: "database or disk is full" }),
    at(2900, { level: 50, msg: "alert task failed", err: "database or disk is full" }),
    at(3000, { msg: "alert transition", alert: "b", event: "trigger" }),
  ].join("\n");
  const t = loggedTransitions(log);
  assert.deepEqual(t.map((x) => `${x.key} ${x.event}`), ["a trigger", "b trigger"]);
  assert.equal(t.unsaved, 2);
  assert.equal(checkAlerts(t, [rx("a", "trigger"), rx("b", "trigger")], [], []).unsaved, 2);
});

test("delivered once, in order, one trigger per incident, final states agree: nothing to say", () => {
  const logged = [tr("a", "trigger"), tr("b", "trigger"), tr("a", "resolve"), tr("a", "trigger"), tr("a", "resolve"), tr("b", "resolve")];
  const received = logged.map((t) => rx(t.key, t.event));
  const incidents = [
    { dedup_key: "a", status: "resolved", triggers: 1 },
    { dedup_key: "b", status: "resolved", triggers: 1 },
    { dedup_key: "a", status: "resolved", triggers: 1 },
  ];
  const r = checkAlerts(logged, received, incidents, [{ dedupKey: "a", state: "resolved" }]);
  assert.deepEqual(r.differences, []);
  assert.deepEqual([r.triggers, r.resolves, r.incidents], [3, 3, 3]);
});

test("a resent trigger, a lost resolve, a reordering and a rule that never fired are each named", () => {
  const logged = [tr("a", "trigger"), tr("a", "resolve"), tr("b", "trigger"), tr("b", "resolve")];
  const resent = checkAlerts(logged, [rx("a", "trigger"), rx("a", "trigger"), rx("a", "resolve"), rx("b", "trigger"), rx("b", "resolve")], [{ dedup_key: "a", status: "resolved", triggers: 2 }, { dedup_key: "b", status: "resolved", triggers: 1 }], []);
  assert.deepEqual(resent.differences.map((d) => [d.check, d.slice]), [["pagerduty-delivery", "a"], ["pagerduty-incidents", "a"]]);
  assert.match(String(resent.differences[0].detail), /event 2: decided resolve, PagerDuty got trigger/);

  const lost = checkAlerts(logged, [rx("a", "trigger"), rx("b", "trigger"), rx("b", "resolve")], [{ dedup_key: "a", status: "triggered", triggers: 1 }, { dedup_key: "b", status: "resolved", triggers: 1 }], [{ dedupKey: "a", state: "resolved" }]);
  assert.deepEqual(lost.differences.map((d) => [d.check, d.slice]), [["pagerduty-delivery", "a"], ["pagerduty-final-state", "a"]]);

  const reordered = checkAlerts(logged, [rx("a", "trigger"), rx("b", "trigger"), rx("a", "resolve"), rx("b", "resolve")], [], []);
  assert.deepEqual(reordered.differences.map((d) => d.check), ["pagerduty-order"]);

  const quiet = checkAlerts([], [], [], []);
  assert.deepEqual(quiet.differences.map((d) => d.check), ["alerts-exercised"]);
});
