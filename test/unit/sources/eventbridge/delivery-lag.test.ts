import { test } from "node:test";
import assert from "node:assert/strict";
import { DeliveryLag } from "../../../../src/sources/eventbridge/delivery-lag.js";

const T = Date.parse("2026-05-04T09:00:00Z");
const MIN = 60_000;

test("the longest lag of the last one to two windows; forgotten after two quiet windows", () => {
  const lag = new DeliveryLag(10 * MIN);
  assert.equal(lag.max(T), null);
  lag.see(T - 2_000, T);
  lag.see(T + MIN - 5 * MIN, T + MIN); // five minutes late (a held batch)
  lag.see(T + 2 * MIN - 1_000, T + 2 * MIN);
  assert.equal(lag.max(T + 2 * MIN), 5 * MIN);
  assert.equal(lag.max(T + 15 * MIN), 5 * MIN, "still held in the previous window");
  lag.see(T + 16 * MIN - 3_000, T + 16 * MIN);
  assert.equal(lag.max(T + 21 * MIN), 3_000, "the five minutes left with its window");
  assert.equal(lag.max(T + 60 * MIN), null, "nothing seen for two windows");
});

test("an event time after its arrival (clock skew) counts as no lag; a zero window is refused", () => {
  const lag = new DeliveryLag(MIN);
  lag.see(T + 5_000, T);
  assert.equal(lag.max(T), 0);
  assert.throws(() => new DeliveryLag(0), /window must be > 0/);
});
