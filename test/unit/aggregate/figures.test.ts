/** The figures of a bucket by their definitions, and service level under each formula switch. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultEngineSettings, type EngineSettings } from "../../../src/aggregate/config.js";
import { ev, engineAt, standardMix } from "../../helpers/engine-fixture.js";

test("figures: counts, ASA, abandon rate, percentiles and max by definition", () => {
  const { engine, snap } = engineAt("2026-05-04T10:10:30Z");
  standardMix(engine, "2026-05-04T10:10:00Z");
  const f = snap().windows["5m"];
  assert.deepEqual(
    [f.offered, f.answered, f.abandoned, f.shortAbandoned, f.flowout, f.overSla],
    [4, 3, 2, 1, 1, 1],
  );
  assert.ok(Math.abs(f.asaSeconds! - 50 / 3) < 1e-9);
  assert.equal(f.abandonRate, 0.5);
  assert.equal(f.answeredWaitSeconds.p50, 15);
  assert.equal(f.answeredWaitSeconds.max, 30);
  assert.equal(f.abandonedWaitSeconds.max, 40);
  assert.equal(snap().totals.offered, 4);
  assert.deepEqual(snap().intervals.current.offered, 4);
  assert.equal(snap().intervals.today.answered, 3);
});

test("service level under each formula switch", () => {
  const cases: [Partial<EngineSettings["serviceLevel"]>, number][] = [
    [{}, 2 / 4], // default: abandons in, short abandons out, flow-outs out
    [{ includeShortAbandons: true }, 2 / 5],
    [{ includeAbandons: false }, 2 / 3],
    [{ includeFlowouts: true }, 2 / 5],
    [{ includeAbandons: false, includeFlowouts: true }, 2 / 4],
  ];
  for (const [policy, expected] of cases) {
    const { engine, snap } = engineAt("2026-05-04T10:10:30Z", { serviceLevel: { ...defaultEngineSettings.serviceLevel, ...policy } });
    standardMix(engine, "2026-05-04T10:10:00Z");
    assert.equal(snap().windows["5m"].serviceLevel, expected, JSON.stringify(policy));
  }
  // Nothing answered or abandoned yet: null, never 0 % or 100 %.
  const { engine, snap } = engineAt("2026-05-04T10:10:30Z");
  engine.apply(ev("offered", "2026-05-04T10:10:00Z"));
  const f = snap().windows["5m"];
  assert.equal(f.serviceLevel, null);
  assert.equal(f.asaSeconds, null);
  assert.deepEqual(f.answeredWaitSeconds, { p50: null, p90: null, p95: null, p99: null, max: null });
});
