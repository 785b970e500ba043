/**
 * What asks for a backfill: one channel's gap reads back only the queues that channel carries;
 * queues no channel has room for are read back even with reconciliation off; reconciliation
 * reaches a settle horizon behind W; only jobs that cover a gap hold W.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Watermark } from "../../../../../src/ingest/watermark.js";
import { backfillSchema } from "../../../../../src/sources/genesys/backfill/config.js";
import { BackfillScheduler, type BackfillJob } from "../../../../../src/sources/genesys/backfill/scheduler.js";
import { BackfillTriggers } from "../../../../../src/sources/genesys/backfill/triggers.js";
import { ManualClock } from "../../../../../src/util/clock.js";
import { silentLogger } from "../../../../../src/util/log.js";

/** The pending job (read through a call: assignments above would narrow it). */
const pending = (s: BackfillScheduler): BackfillJob | null => s.job;

const T = Date.parse("2026-05-04T10:00:00Z");
const H = 120_000;

function setup(over: Record<string, unknown> = {}, unstreamed: string[] = []) {
  const clock = new ManualClock(T);
  const scheduler = new BackfillScheduler({ horizonMs: () => H, maxSettlePasses: 6 });
  const watermark = new Watermark({ watermark: T - 60_000, pickups: [], known: ["a", "b", "c"], removed: [] }, { overlapMs: 0, marginMs: 0 });
  const stream = { connected: true, unstreamedQueues: () => unstreamed };
  const t = new BackfillTriggers(scheduler, watermark, stream, clock, { backfill: backfillSchema.parse(over), allowanceMs: 1000, ingestionDelayMs: () => 30_000, horizonMs: () => H, freshState: false, dayStart: () => T - 10 * 3_600_000 }, {}, silentLogger);
  return { clock, scheduler, watermark, t };
}

test("one channel going down reads back only the queues it carries", () => {
  const { clock, scheduler, t } = setup();
  t.channelLive("channel-1", ["a", "b"]);
  t.channelLive("channel-2", ["c"]);
  assert.equal(pending(scheduler)?.cause, "initial", "the first time every channel is live: every queue");
  const initial = scheduler.take(clock.now())!;
  t.passed(initial);
  scheduler.succeeded(initial, new Set(), clock.now());
  scheduler.job = null; // as if settled
  clock.advance(60_000);
  t.channelDown("channel-2", clock.now() - 5000, "socket closed");
  assert.equal(t.backfillIdle, false, "an open gap holds W");
  t.channelLive("channel-2", ["c"]);
  assert.equal(pending(scheduler)?.cause, "gap");
  assert.deepEqual([...(pending(scheduler)?.queueIds ?? [])], ["c"]);
  t.channelLive("channel-1", ["a", "b"]);
  assert.deepEqual([...(pending(scheduler)?.queueIds ?? [])], ["c"], "a channel that only handed over opens no gap");
});

test("queues beyond the channel cap are reconciled even when reconciliation is off", () => {
  const off = setup({ reconcileMinutes: 0 }, ["c"]);
  off.t.channelLive("ch", ["a", "b"]);
  const j = off.scheduler.take(off.clock.now())!;
  off.t.passed(j);
  off.scheduler.succeeded(j, new Set(), off.clock.now());
  off.scheduler.job = null;
  off.t.reconcile();
  assert.equal(off.scheduler.reread?.cause, "reconcile");
  assert.deepEqual([...(off.scheduler.reread?.queueIds ?? [])], ["c"]);
  const none = setup({ reconcileMinutes: 0 }, []);
  none.t.channelLive("ch", ["a", "b", "c"]);
  const k = none.scheduler.take(none.clock.now())!;
  none.t.passed(k);
  none.scheduler.succeeded(k, new Set(), none.clock.now());
  none.scheduler.job = null;
  none.t.reconcile();
  assert.equal(none.scheduler.reread, null, "with every queue streamed and reconciliation off: nothing");
});

test("reconciliation reads a settle horizon behind W, and holds nothing", () => {
  const { clock, scheduler, watermark, t } = setup({ reconcileMinutes: 10 });
  t.channelLive("ch", ["a", "b", "c"]);
  const j = scheduler.take(clock.now())!;
  t.passed(j);
  scheduler.succeeded(j, new Set(), clock.now());
  scheduler.job = null;
  t.reconcile();
  const r = scheduler.reread!;
  assert.equal(r.from, Math.min(clock.now() - 10 * 60_000, watermark.value) - H);
  assert.equal(r.covers, false);
  assert.equal(t.backfillIdle, true, "the stream may still move W while it is read");
});

test("reconciliation keeps its rhythm while a gap's job waits a horizon between settling passes", () => {
  const { clock, scheduler, t } = setup({ reconcileMinutes: 10 });
  t.channelLive("ch", ["a", "b", "c"]);
  const initial = scheduler.take(clock.now())!;
  t.passed(initial);
  scheduler.succeeded(initial, new Set(), clock.now());
  assert.equal(scheduler.job?.settle, true, "the first start's job now settles, a horizon away");
  t.reconcile();
  assert.equal(scheduler.reread?.cause, "reconcile", "a re-read is scheduled beside it");
  clock.advance(30_000);
  assert.equal(scheduler.take(clock.now())?.cause, "reconcile", "and runs before the settling pass is due");
  t.channelDown("ch", clock.now(), "socket closed");
  t.channelLive("ch", ["a", "b", "c"]);
  scheduler.running = null;
  t.reconcile();
  assert.equal(scheduler.reread, null, "a gap not read yet comes first");
});
