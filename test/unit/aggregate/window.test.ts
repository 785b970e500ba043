/** Rolling windows: which minutes an event counts in. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { T, ev, engineAt } from "../../helpers/engine-fixture.js";

test("rolling windows: an event 10 minutes old is in the 15- and 60-minute windows, not the 5-minute one", () => {
  const { engine, clock, snap } = engineAt("2026-05-04T10:00:00Z");
  engine.apply(ev("answered", "2026-05-04T10:00:00Z", 1000));
  clock.set(T("2026-05-04T10:10:00Z"));
  engine.apply(ev("answered", "2026-05-04T10:09:59Z", 2000));
  const s = snap();
  assert.equal(s.windows["5m"].answered, 1);
  assert.equal(s.windows["15m"].answered, 2);
  assert.equal(s.windows["60m"].answered, 2);
  clock.set(T("2026-05-04T11:00:30Z"));
  assert.equal(snap().windows["60m"].answered, 1, "the 10:00 event left the 60-minute window");
  clock.set(T("2026-05-04T11:30:00Z"));
  assert.equal(snap().windows["60m"].answered, 0);
  assert.equal(snap().totals.answered, 2, "totals never forget");
});
