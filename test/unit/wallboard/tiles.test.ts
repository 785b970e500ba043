/** Tile colours from the queue's own service-level goal and server.wallboard, with no alert rule configured. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tileColoursSchema } from "../../../src/http/config.js";
import { tileStatus, toTile } from "../../../src/wallboard/tiles.js";
import { fig, snap } from "../../helpers/export-fixture.js";

const colours = tileColoursSchema.parse({});
function queue(sl: number | null, longest: number | null, waiting = 0, predicted: number | null = null) {
  const s = snap("q", "Sales", "voice", { "15m": fig({}) }, { waiting, interacting: 1, longestWaitingSeconds: longest }, { offered: 0, answered: 0, abandoned: 0, flowout: 0 }, { predicted: { waitSeconds: predicted, predictor: predicted === null ? null : "QLm", rrmse: null, samples: 0 } });
  return { ...s, intervals: { ...s.intervals, current: { ...s.intervals.current, serviceLevel: sl } } };
}

test("red below the target or past the threshold, amber near them or when the next caller is predicted to wait past it, green otherwise", () => {
  // The fixture's goal: 80 % in 20 s.
  assert.equal(tileStatus(queue(0.95, 3), colours).status, "ok");
  assert.equal(tileStatus(queue(0.79, 3), colours).status, "breach");
  assert.equal(tileStatus(queue(0.82, 3), colours).status, "warn");
  assert.equal(tileStatus(queue(0.95, 16, 1), colours).status, "warn");
  assert.deepEqual(tileStatus(queue(0.95, 20, 1), colours), { status: "breach", reasons: ["a caller has waited 20 s (threshold 20 s)"] });
  assert.equal(tileStatus(queue(0.95, 3, 1, 25), colours).status, "warn");
  assert.equal(tileStatus(queue(null, null), colours).status, "quiet");
  const counts = tileColoursSchema.parse({ waitingWarn: 3, waitingBreach: 6 });
  assert.equal(tileStatus(queue(0.95, 3, 3), counts).status, "warn");
  assert.equal(tileStatus(queue(0.95, 3, 6), counts).status, "breach");
  assert.throws(() => tileColoursSchema.parse({ longestWaitingWarnRatio: -1 }));
});

test("a tile carries who is there to answer and the predicted wait", () => {
  const s = queue(0.9, 5, 2, 42);
  const t = toTile({ ...s, now: { ...s.now, agents: { members: 9, onQueue: 5, idle: 1, interacting: 4, notResponding: 0, offQueue: 2 } } }, [], "15m", colours);
  assert.deepEqual(t.agents, { onQueue: 5, idle: 1, busy: 4, notResponding: 0 });
  assert.deepEqual([t.predictedWaitSeconds, t.predictor, t.status], [42, "QLm", "warn"]);
});
