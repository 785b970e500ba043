/** The per-destination presets and what the configuration may change of them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DELIVERY_PRESETS, deliveryPolicy, deliverySchema, policyOverrideSchema } from "../../../src/delivery/policy.js";
import { HttpTransport } from "../../../src/delivery/transport.js";

test("one preset per destination: Genesys reads whole pages and has the larger bound; sinks and PagerDuty read excerpts", () => {
  assert.deepEqual(Object.keys(DELIVERY_PRESETS).sort(), ["genesys", "pagerduty", "sink"]);
  assert.equal(DELIVERY_PRESETS.genesys.body, "whole");
  assert.equal(DELIVERY_PRESETS.sink.body, "excerpt");
  assert.equal(DELIVERY_PRESETS.pagerduty.body, "excerpt");
  // A details page is about 1 MB per 100 conversations: Genesys must take a few of them.
  assert.ok(DELIVERY_PRESETS.genesys.maxBodyBytes >= 8 * 1024 * 1024);
  assert.ok(DELIVERY_PRESETS.sink.maxBodyBytes < DELIVERY_PRESETS.genesys.maxBodyBytes);
  // The transport everyone constructs without arguments (the monitor's) is the Genesys one.
  const t = new HttpTransport();
  assert.deepEqual([t.policy, t.maxBodyBytes, t.body], [DELIVERY_PRESETS.genesys.request, DELIVERY_PRESETS.genesys.maxBodyBytes, "whole"]);
  // A bare retry policy (tests) keeps the Genesys bound.
  const bare = new HttpTransport({ maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0, timeoutMs: 10 });
  assert.deepEqual([bare.policy.maxAttempts, bare.maxBodyBytes], [1, DELIVERY_PRESETS.genesys.maxBodyBytes]);
});

test("overrides apply field by field, later ones win, and the presets are never changed", () => {
  const p = deliveryPolicy("sink", { request: { maxAttempts: 5 }, maxBodyBytes: 65_536 }, { request: { timeoutMs: 1000 }, outage: { capMs: 120_000 } });
  assert.deepEqual(p.request, { ...DELIVERY_PRESETS.sink.request, maxAttempts: 5, timeoutMs: 1000 });
  assert.equal(p.maxBodyBytes, 65_536);
  assert.deepEqual(p.outage, { ...DELIVERY_PRESETS.sink.outage, capMs: 120_000 });
  assert.equal(DELIVERY_PRESETS.sink.request.maxAttempts, 3);
  assert.equal(DELIVERY_PRESETS.sink.outage.capMs, 60_000);
});

test("a policy that cannot work is refused with the field named", () => {
  assert.throws(() => deliveryPolicy("pagerduty", { outage: { minMs: 90_000 } }), /delivery\.pagerduty\.outage\.minMs: 90000 is above outage\.capMs 60000/);
  assert.throws(() => deliveryPolicy("genesys", { request: { baseDelayMs: 60_000 } }), /delivery\.genesys\.request\.baseDelayMs/);
  const bad = policyOverrideSchema.safeParse({ request: { maxAttempts: 0 }, maxBodyBytes: 10 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => i.path.join(".")).sort(), ["maxBodyBytes", "request.maxAttempts"]);
  assert.equal(policyOverrideSchema.safeParse({ body: "whole" }).success, false, "what a caller needs is not configurable");
  assert.deepEqual(deliverySchema.parse(undefined), {});
  assert.deepEqual(deliverySchema.parse({ sink: { maxBodyBytes: 2048 } }), { sink: { maxBodyBytes: 2048 } });
});
