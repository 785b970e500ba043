import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { Committer } from "../../../src/store/committer.js";
import { StateStore } from "../../../src/store/state-store.js";
import { ManualClock } from "../../../src/util/clock.js";
import { silentLogger } from "../../../src/util/log.js";

const NOW = Date.parse("2026-05-04T15:00:00Z");
const ev = (queueId: string, conv: string): QueueEvent => ({ kind: "offered", queueId, mediaType: "voice", conversationId: conv, participantId: `p-${conv}`, time: NOW - 1000 });

test("a failed checkpoint loses no series on the next restart", () => {
  const file = join(mkdtempSync(join(tmpdir(), "qm-commit-")), "state.sqlite");
  const clock = new ManualClock(NOW);
  const engine = new Engine({ ...defaultEngineSettings }, clock);
  const store = new StateStore(file);
  const c = new Committer(store, engine, silentLogger);
  const state = { watermark: NOW, counters: {} };
  const count = (e: QueueEvent) => {
    engine.apply(e);
    c.add(`${e.conversationId}/x`, e);
  };
  count(ev("A", "a1"));
  // The checkpoint's write fails once (a full disk, a locked file).
  const real = store.checkpoint.bind(store);
  store.checkpoint = () => {
    throw new Error("SQLITE_FULL");
  };
  assert.equal(c.checkpoint(state), false);
  store.checkpoint = real;
  count(ev("B", "b1"));
  assert.equal(c.checkpoint(state), true, "the next checkpoint trims the log behind it");
  store.close();

  const again = new StateStore(file);
  const loaded = again.load(0);
  again.close();
  const restored = new Engine({ ...defaultEngineSettings }, clock);
  restored.restore(loaded.series);
  for (const e of loaded.replay) restored.apply(e);
  const totals = Object.fromEntries(restored.snapshot().map((s) => [s.queueId, s.totals.offered]));
  assert.deepEqual(totals, { A: 1, B: 1 });
});

test("a failed commit keeps its batch for the next one; meta is committed with it", () => {
  const file = join(mkdtempSync(join(tmpdir(), "qm-commit-")), "state.sqlite");
  const engine = new Engine({ ...defaultEngineSettings }, new ManualClock(NOW));
  const store = new StateStore(file);
  const c = new Committer(store, engine, silentLogger);
  c.add("a1/x", ev("A", "a1"));
  const real = store.commit.bind(store);
  store.commit = () => {
    throw new Error("SQLITE_BUSY");
  };
  assert.equal(c.commit({ watermark: NOW, counters: {} }), false);
  store.commit = real;
  assert.equal(c.pendingCount, 1);
  assert.equal(c.commit({ watermark: NOW, counters: {}, meta: { coverage: "{}" } }), true);
  const loaded = store.load(0);
  store.close();
  assert.equal(loaded.replay.length, 1);
  assert.equal(loaded.meta.coverage, "{}");
});
