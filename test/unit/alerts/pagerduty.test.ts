/** The PagerDuty Events v2 encoder against golden files, and the contract's limits. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultRule } from "../../../src/alerts/config.js";
import type { AlertState } from "../../../src/alerts/evaluate.js";
import { encodeResolve, encodeTrigger, eventRequest, pagerDutyErrors } from "../../../src/alerts/pagerduty.js";
import { eventCodec } from "../../../src/alerts/event-codec.js";
import { PagerDutyReceiver } from "../../../src/emulator/pagerduty.js";

const GOLDEN = fileURLToPath(new URL("../../../../test/unit/alerts/golden/", import.meta.url));

function golden(name: string, actual: string): void {
  const file = `${GOLDEN}${name}`;
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== "1") assert.fail(`golden file ${file} is missing (run with UPDATE_GOLDEN=1 once and review it)`);
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, "utf8"), `${name} differs from its golden file`);
}

const AT = Date.parse("2026-01-05T09:27:10.000Z");
const state: AlertState = {
  dedupKey: "queue-monitor/p90-answered-wait/0f1e2d3c/voice",
  rule: "p90-answered-wait",
  queueId: "0f1e2d3c",
  queueName: "Support",
  mediaType: "voice",
  state: "firing",
  since: AT,
  value: 87.4,
  samples: 31,
  clearSince: null,
};
const KEY = "0123456789abcdef0123456789abcdef";

test("trigger and resolve match their golden files", () => {
  golden("trigger.json", `${JSON.stringify(JSON.parse(eventRequest(encodeTrigger(state, defaultRule, AT, "queue-monitor"), KEY, "http://x/v2/enqueue").body as string), null, 2)}\n`);
  golden("resolve.json", `${JSON.stringify(JSON.parse(eventRequest(encodeResolve(state), KEY, "http://x/v2/enqueue").body as string), null, 2)}\n`);
});

test("the receiver (which validates as PagerDuty does) accepts both; acknowledge is never produced", () => {
  const rx = new PagerDutyReceiver();
  for (const e of [encodeTrigger(state, defaultRule, AT, "queue-monitor"), encodeResolve(state)]) {
    const r = rx.enqueue(JSON.parse(eventRequest(e, KEY, "http://x").body as string));
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  assert.deepEqual(rx.accepted.map((e) => e.event_action), ["trigger", "resolve"]);
  assert.deepEqual(rx.incidents.map((i) => i.status), ["resolved"]);
});

test("a summary never exceeds 1,024 characters; the outbox round-trips the event", () => {
  const long = { ...state, queueName: "Q".repeat(3000) };
  const e = encodeTrigger(long, defaultRule, AT, "s");
  assert.equal(e.payload!.summary.length, 1024);
  assert.deepEqual(eventCodec.decode(eventCodec.encode({ at: AT, event: e })), { at: AT, event: e });
});

test("PagerDuty's errors are read defensively from a 400 body", () => {
  assert.deepEqual(pagerDutyErrors('{"status":"Unrecognized object","message":"x","errors":["JSON parse error"]}'), ["JSON parse error"]);
  assert.deepEqual(pagerDutyErrors("<html>"), []);
  assert.deepEqual(pagerDutyErrors('{"errors":"nope"}'), []);
});
