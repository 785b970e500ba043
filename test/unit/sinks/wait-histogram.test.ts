/**
 * The cumulative answered-wait histogram: bucket edges (le is inclusive), only answered events
 * count, and it persists with the state store's batch transaction: a failed commit keeps the
 * change for the next one, a reopened file gives back exactly what was committed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { WAIT_BUCKETS } from "../../../src/sinks/samples.js";
import { WaitHistogram } from "../../../src/sinks/wait-histogram.js";

const ev = (kind: QueueEvent["kind"], waitMs?: number, queueId = "q"): QueueEvent => ({ kind, queueId, mediaType: "voice", conversationId: "c", participantId: "p", time: 0, ...(waitMs === undefined ? {} : { waitMs }) });

test("bucket edges are inclusive, +Inf counts everything answered, other kinds are ignored", () => {
  const h = new WaitHistogram(new Database(":memory:"));
  for (const ms of [0, 5000, 5001, 20_000, 600_000, 600_001]) h.observe(ev("answered", ms));
  h.observe(ev("abandoned", 1000));
  h.observe(ev("offered"));
  h.observe(ev("answered")); // no wait: cannot be placed
  const v = h.get("q", "voice")!;
  const le = (b: number) => v.counts[WAIT_BUCKETS.indexOf(b)];
  assert.equal(le(5), 2, "0 s and exactly 5 s");
  assert.equal(le(10), 3);
  assert.equal(le(20), 4, "exactly 20 s");
  assert.equal(le(600), 5, "exactly 600 s");
  assert.equal(v.counts[WAIT_BUCKETS.length], 6, "+Inf: every answered wait");
  assert.equal(v.sumSeconds, (0 + 5000 + 5001 + 20_000 + 600_000 + 600_001) / 1000);
  for (let i = 1; i < v.counts.length; i++) assert.ok(v.counts[i] >= v.counts[i - 1], "cumulative");
  assert.equal(h.get("q", "chat"), undefined);
});

test("persisted inside the batch transaction: a rolled-back commit keeps the change for the next one", () => {
  const file = join(mkdtempSync(join(tmpdir(), "qm-hist-")), "state.sqlite");
  let db = new Database(file);
  let h = new WaitHistogram(db);
  const commit = (fail: boolean) =>
    db.transaction(() => {
      h.write();
      if (fail) throw new Error("disk full");
    })();
  h.observe(ev("answered", 3000));
  commit(false);
  h.committed();
  h.observe(ev("answered", 30_000));
  assert.throws(() => commit(true));
  // not committed(): still dirty
  h.observe(ev("answered", 90_000, "other"));
  commit(false);
  h.committed();
  h.observe(ev("answered", 1)); // never committed: lost with the process, like the engine's pending batch
  db.close();
  db = new Database(file);
  h = new WaitHistogram(db);
  assert.equal(h.get("q", "voice")!.counts[WAIT_BUCKETS.length], 2, "3 s and 30 s, not the uncommitted one");
  assert.equal(h.get("q", "voice")!.sumSeconds, 33);
  assert.equal(h.get("other", "voice")!.counts[WAIT_BUCKETS.length], 1);
  db.close();
});
