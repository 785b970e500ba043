/**
 * What goes into the state file with each batch, and what a state file that cannot be written
 * does: a standing problem naming the file while it fails, W held before the first refused event,
 * a backfill of the refused events once it takes writes again, then W free again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import { Problems } from "../../../src/app/problems.js";
import { LAG_KEY, MonitorState, QUEUES_KEY } from "../../../src/app/state.js";
import { Dedup } from "../../../src/ingest/dedup.js";
import { Pipeline } from "../../../src/ingest/pipeline.js";
import { Watermark } from "../../../src/ingest/watermark.js";
import { defaultLagSettings, LagTracker } from "../../../src/sources/genesys/backfill/lag.js";
import { Committer } from "../../../src/store/committer.js";
import { StateStore } from "../../../src/store/state-store.js";
import { ManualClock } from "../../../src/util/clock.js";
import { silentLogger } from "../../../src/util/log.js";

const NOW = Date.parse("2026-05-04T10:00:00Z");

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), "qm-state-")), "state.sqlite");
  const clock = new ManualClock(NOW);
  const store = new StateStore(file);
  const engine = new Engine(defaultEngineSettings, clock);
  const watermark = new Watermark({ watermark: NOW - 60_000, pickups: [], known: ["q"], removed: [] }, { overlapMs: 0, marginMs: 0 });
  const committer = new Committer(store, engine, silentLogger, { maxUncommitted: 1000, clock });
  const pipeline = new Pipeline({ engine, watermark, dedup: new Dedup(), pending: committer, clock, counters: {}, log: silentLogger, observers: [] }, { maxClockSkewMs: 300_000 });
  const problems = new Problems(() => {});
  const lag = new LagTracker(defaultLagSettings(30_000));
  const recoveries: { from: number; done: () => void }[] = [];
  let stream = { lastFrames: [NOW - 5000], allLive: true, backfillIdle: true, initialDone: true };
  const state = new MonitorState({
    store, committer, engine, watermark, pipeline, counters: {}, liveCounters: () => ({}), stream: () => stream, allowanceMs: 1000, lag, problems,
    recover: (from, done) => recoveries.push({ from, done }), clock, log: silentLogger,
  });
  return { file, store, watermark, committer, pipeline, problems, lag, recoveries, state, clock, setStream: (s: typeof stream) => (stream = s) };
}

const offered = (i: number, t: number) => ({ kind: "offered" as const, queueId: "q", mediaType: "voice", conversationId: `c${i}`, participantId: `p${i}`, time: t });

test("each commit moves W with the stream and writes the queues and the lag samples with the batch", () => {
  const s = setup();
  s.state.queuesFound([{ id: "q", name: "Sales", serviceLevels: {} }]);
  s.lag.add({ at: NOW, lo: 40_000, hi: 45_000 });
  s.state.commit();
  assert.equal(s.watermark.value, NOW - 6000, "the last frame less the allowance");
  const stored = s.store.stored();
  assert.equal(stored.watermark, NOW - 6000);
  assert.deepEqual(JSON.parse(stored.meta[QUEUES_KEY]).map((q: { name: string }) => q.name), ["Sales"]);
  assert.equal(JSON.parse(stored.meta[LAG_KEY]).length, 1);
});

test("a state file that cannot be written: a standing problem naming it, W held before the refused events, recovered by a backfill", () => {
  const s = setup();
  s.state.commit();
  s.store.database.pragma("query_only = 1");
  for (let i = 0; i < 1200; i++) s.pipeline.ingest([offered(i, NOW - 5000 + i)], "stream");
  s.state.commit();
  const problem = s.problems.list().find((p) => p.area === "state");
  assert.ok(problem && problem.reason.includes(s.file), JSON.stringify(s.problems.list()));
  assert.equal(s.committer.accepting, false);
  const refusedSince = s.committer.refusedSince!;
  assert.equal(refusedSince, NOW - 5000 + 1000, "the first event past the bound");
  s.setStream({ lastFrames: [NOW + 60_000], allLive: true, backfillIdle: true, initialDone: true });
  s.state.commit();
  assert.ok(s.watermark.value <= refusedSince, "W does not pass the first refused event");
  assert.equal(s.recoveries.length, 0, "no backfill while the file still fails");
  s.store.database.pragma("query_only = 0");
  s.state.commit();
  assert.deepEqual(s.problems.list(), [], "the problem clears with the first commit that lands");
  assert.equal(s.recoveries.length, 1);
  assert.ok(s.recoveries[0].from <= refusedSince, "the backfill reads from the first refused event");
  s.recoveries[0].done();
  assert.equal(s.committer.refusedSince, null);
  s.state.commit();
  assert.equal(s.watermark.value, NOW + 59_000, "W free again");
});
