/**
 * The committer against real write failures: a full disk (SQLite's max_page_count makes every
 * write that needs a new page fail with SQLITE_FULL, as ENOSPC does) and a read-only connection
 * (PRAGMA query_only: SQLITE_READONLY, also when the tests run as root, where chmod stops nothing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { defaultEngineSettings } from "../../../src/aggregate/config.js";
import { Engine } from "../../../src/aggregate/engine.js";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { storedIdentity } from "../../../src/ingest/dedup.js";
import { Committer } from "../../../src/store/committer.js";
import { StateStore } from "../../../src/store/state-store.js";
import { ManualClock } from "../../../src/util/clock.js";
import { createLogger } from "../../../src/util/log.js";

const NOW = Date.parse("2026-05-04T15:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "qm-committer-"));
/** Long conversation ids: each batch needs new pages, so a full disk refuses every one. */
const ev = (queueId: string, n: number): QueueEvent => ({ kind: "offered", queueId, mediaType: "voice", conversationId: `c${n}-${"x".repeat(2000)}`, participantId: `p${n}`, time: NOW + n * 400 });

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger("test", "info", sink as never) };
}

function setup(name: string, maxUncommitted?: number) {
  const file = join(dir, name);
  const clock = new ManualClock(NOW);
  const engine = new Engine({ ...defaultEngineSettings }, clock);
  const store = new StateStore(file);
  let real = 0;
  const { lines, log } = capture();
  const c = new Committer(store, engine, log, { maxUncommitted, clock, logNow: () => real, logIntervalMs: 60_000 });
  const fillDisk = () => store.database.pragma(`max_page_count = ${store.database.pragma("page_count", { simple: true }) as number}`);
  const freeDisk = () => store.database.pragma("max_page_count = 1073741823");
  return { file, clock, engine, store, c, lines, fillDisk, freeDisk, tick: (ms: number) => ((real += ms), clock.advance(ms)) };
}

test("a full disk: a standing failure, counted, logged once a minute, the batch bounded; no event lost once space returns", () => {
  const s = setup("full.sqlite", 50);
  const offered: QueueEvent[] = [];
  const refused: QueueEvent[] = [];
  /** The caller's side, as the committer asks: check `accepting` before counting. */
  const deliver = (e: QueueEvent) => {
    offered.push(e);
    if (!s.c.accepting) {
      refused.push(e);
      s.c.refuse(e);
      return;
    }
    s.engine.apply(e);
    s.c.addOwn(e);
  };
  deliver(ev("A", 0));
  assert.equal(s.c.commit({ watermark: NOW, counters: {} }), true);
  s.fillDisk();
  const firstFailureAt = s.clock.now();
  // 100 s of commits every 400 ms (2.5 a second), one new event before each.
  for (let i = 1; i <= 250; i++) {
    deliver(ev("A", i));
    assert.equal(s.c.commit({ watermark: NOW + i * 400, counters: {} }), false);
    s.tick(400);
  }
  assert.equal(s.c.commitFailures, 250);
  const f = s.c.failure()!;
  assert.deepEqual({ ...f, error: undefined }, { operation: "commit", since: firstFailureAt, file: s.file, error: undefined, kind: "disk-full", consecutive: 250 });
  assert.equal(f.error, `state file ${s.file}: commit of 50 events (tables log, meta, counters): disk full (SQLITE_FULL: database or disk is full)`);
  assert.equal(s.c.pendingCount, 50, "the batch stops growing at the bound");
  assert.equal(s.c.accepting, false);
  assert.equal(s.c.uncommittedRefused, 200);
  assert.equal(refused.length, 200);
  assert.equal(s.c.refusedSince, refused[0].time);
  // The log: a commit line at 0 s and 60 s (the second saying 149 were left out), a refusal line
  // when refusing began (20 s) and one a minute later.
  const commitLines = s.lines.filter((l) => l.msg === "state commit failed; the batch is kept for the next one");
  assert.deepEqual(commitLines.map((l) => [l.consecutive, l.suppressed, l.kind]), [[1, undefined, "disk-full"], [151, 149, "disk-full"]]);
  const refusedLines = s.lines.filter((l) => String(l.msg).startsWith("state file cannot take more events"));
  assert.deepEqual(refusedLines.map((l) => [l.refused, l.suppressed]), [[1, undefined], [151, 149]]);
  assert.equal(s.lines.length, 4, "4 lines for 250 failures and 200 refusals");

  // Space returns: the kept batch lands; the watermark is held before the first refused event.
  s.freeDisk();
  assert.equal(s.c.commit({ watermark: NOW + 251 * 400, counters: {} }), true);
  assert.equal(s.c.failure(), null);
  assert.equal(s.c.accepting, true);
  assert.equal(s.store.stored().watermark, refused[0].time, "W is not committed past a refused event");
  const recovered = s.lines.at(-1)!;
  assert.deepEqual([recovered.msg, recovered.failures, recovered.unlogged], ["state commit succeeds again", 250, 99]);
  // The caller backfills from min(W, refusedSince): the refused events are counted now, then W moves.
  const backfill = refused.splice(0);
  for (const e of backfill) {
    if (!s.c.accepting) s.c.commit({ watermark: NOW + 252 * 400, counters: {} });
    deliver(e);
  }
  assert.equal(refused.length, 0);
  s.c.commit({ watermark: NOW + 252 * 400, counters: {} });
  s.c.clearRefused();
  assert.equal(s.c.commit({ watermark: NOW + 253 * 400, counters: {} }), true);
  assert.equal(s.store.stored().watermark, NOW + 253 * 400);
  const loaded = s.store.load(0);
  s.store.close();
  assert.deepEqual(loaded.replay.map(storedIdentity).sort(), [...new Set(offered.map(storedIdentity))].sort(), "every offered event is in the file exactly once");
  assert.equal(loaded.replay.length, 251);
});

test("a full disk at checkpoint: a standing checkpoint failure; the series land once space returns", () => {
  const s = setup("full-checkpoint.sqlite");
  const state = { watermark: NOW, counters: { streamEvents: 0 } };
  assert.equal(s.c.checkpoint(state), true);
  // Thirty queues' series to write; the commit before it only rewrites W in place (no new page).
  for (let q = 0; q < 30; q++) for (let i = 0; i < 3; i++) s.engine.apply(ev(`Q${q}`, i));
  s.fillDisk();
  assert.equal(s.c.checkpoint(state), false);
  assert.equal(s.c.checkpoint(state), false);
  assert.deepEqual([s.c.commitFailures, s.c.checkpointFailures], [0, 2]);
  const f = s.c.failure()!;
  assert.deepEqual([f.operation, f.kind, f.consecutive], ["checkpoint", "disk-full", 2]);
  assert.match(f.error, /^state file .*full-checkpoint\.sqlite: checkpoint of 30 series \(tables series, meta\): disk full \(SQLITE_FULL: database or disk is full\)$/);
  s.freeDisk();
  assert.equal(s.c.checkpoint(state), true);
  assert.equal(s.c.failure(), null);
  const loaded = s.store.load(0);
  s.store.close();
  const restored = new Engine({ ...defaultEngineSettings }, s.clock);
  restored.restore(loaded.series);
  assert.deepEqual(restored.snapshot().map((x) => [x.queueId, x.totals.offered]), s.engine.snapshot().map((x) => [x.queueId, x.totals.offered]));
  assert.equal(loaded.series.length, 30);
});

test("a read-only state file: commits fail as read-only, a new kind of failure is logged at once", () => {
  const s = setup("read-only.sqlite");
  for (let i = 0; i < 5; i++) s.c.addOwn(ev("A", i));
  s.store.database.pragma("query_only = 1");
  assert.equal(s.c.commit({ watermark: NOW, counters: {} }), false);
  let f = s.c.failure()!;
  assert.equal(f.kind, "read-only");
  assert.equal(f.error, `state file ${s.file}: commit of 5 events (tables log, meta, counters): read-only (SQLITE_READONLY: attempt to write a readonly database)`);
  // Then the disk fills as well: another kind, another line at once (not a minute later).
  s.store.database.pragma("query_only = 0");
  s.fillDisk();
  s.tick(400);
  assert.equal(s.c.commit({ watermark: NOW, counters: {} }), false);
  f = s.c.failure()!;
  assert.deepEqual([f.kind, f.consecutive, f.since], ["disk-full", 2, NOW]);
  assert.deepEqual(s.lines.map((l) => l.kind), ["read-only", "disk-full"]);
  s.freeDisk();
  assert.equal(s.c.commit({ watermark: NOW, counters: {} }), true);
  assert.equal(s.store.load(0).replay.length, 5);
  s.store.close();
});

test("add past the bound refuses too, and the bound is checked", () => {
  const s = setup("bound.sqlite", 2);
  assert.deepEqual([s.c.add("a", ev("A", 1)), s.c.addOwn(ev("A", 2)), s.c.addOwn(ev("A", 3))], [true, true, false]);
  assert.deepEqual([s.c.pendingCount, s.c.uncommittedRefused, s.c.refusedSince], [2, 1, ev("A", 3).time]);
  assert.equal(s.c.commit({ watermark: NOW + 10_000, counters: {} }), true);
  assert.equal(s.store.stored().watermark, ev("A", 3).time);
  s.store.close();
  assert.throws(() => new Committer(s.store, s.engine, createLogger("x", "silent"), { maxUncommitted: 0 }), /maxUncommitted must be a positive integer, got 0/);
});
