/** "Now" readings merged per queue x media: partial messages merge, and an all-quiet reading of a media type nobody called makes no series. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NowFigures } from "../../../src/ingest/now-figures.js";
import { engineAt, ev, Q, T } from "../../helpers/engine-fixture.js";

test("a quiet reading of a series that does not exist is not one; a busy one or one of a series that exists is filed", () => {
  const { engine } = engineAt("2026-03-02T10:00:00Z");
  const told: string[] = [];
  const now = new NowFigures(engine, (q, m, o) => told.push(`${m}:${o.waiting}/${o.interacting}`));
  const at = T("2026-03-02T10:00:00Z");
  now.observe({ queueId: Q, mediaType: "callback", at, waiting: 0, interacting: 0, alerting: 0 });
  assert.equal(engine.nowOf(Q, "callback"), null, "no series for a media type nobody called");
  now.observe({ queueId: Q, mediaType: "chat", at, waiting: 2, interacting: 1, alerting: 0 });
  assert.equal(engine.nowOf(Q, "chat")?.waiting, 2);
  engine.apply(ev("offered", at - 1000));
  now.observe({ queueId: Q, mediaType: "voice", at, waiting: 0, interacting: 0, alerting: 0 });
  now.observe({ queueId: Q, mediaType: "voice", at: at + 1000, interacting: 3 });
  assert.deepEqual(engine.nowOf(Q, "voice"), { waiting: 0, interacting: 3, longestWaitingSeconds: 1 });
  assert.deepEqual(told, ["chat:2/1", "voice:0/0", "voice:0/3"]);
});
