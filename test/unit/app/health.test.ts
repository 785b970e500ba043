import { test } from "node:test";
import assert from "node:assert/strict";
import { notReadyReasons } from "../../../src/app/health.js";

test("a source without channels says in its own words why it is not live; never 'no channel yet'", () => {
  const base = { channels: 0, connected: false, caughtUp: true, problems: [] };
  assert.deepEqual(notReadyReasons(base), ["no channel yet (queue discovery has not completed)"], "the WebSocket's wording without a reason of the source's");
  assert.deepEqual(notReadyReasons({ ...base, notLive: "EventBridge: catching up with the queue's backlog (about 40 messages waiting)" }), ["EventBridge: catching up with the queue's backlog (about 40 messages waiting)"]);
  assert.deepEqual(notReadyReasons({ ...base, channels: 1, connected: true, notLive: null }), [], "live and caught up: ready");
  assert.deepEqual(notReadyReasons({ ...base, channels: 1, connected: true, caughtUp: false, notLive: null }), ["a gap is still being backfilled"]);
});
