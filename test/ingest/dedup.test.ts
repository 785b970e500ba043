import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent, QueueEventKind } from "../../src/domain/queue-event.js";
import { Dedup } from "../../src/ingest/dedup.js";

const ev = (kind: QueueEventKind, participantId = "p", queueId = "q"): QueueEvent => ({ kind, queueId, mediaType: "voice", conversationId: "c", participantId, time: 1000 });

test("a visit is offered once and ends once; the stored form keeps the outcome across a restart", () => {
  const d = new Dedup();
  assert.equal(d.admit(ev("offered")).verdict, "new");
  const end = d.admit(ev("abandoned"));
  assert.deepEqual(end, { verdict: "new", stored: "c/p/q/end:abandoned" });
  assert.equal(d.admit(ev("abandoned")).verdict, "duplicate");
  assert.deepEqual(d.admit(ev("answered")), { verdict: "conflict", stored: "c/p/q/end:answered", counted: "abandoned" });
  // Restored from the stored identities (as the state file keeps them): same verdicts.
  const again = new Dedup([["c/p/q/offered", 1000], ["c/p/q/end:abandoned", 1000]]);
  assert.equal(again.admit(ev("offered")).verdict, "duplicate");
  assert.equal(again.admit(ev("flowout")).verdict, "conflict");
  assert.equal(again.admit(ev("abandoned")).verdict, "duplicate");
});

test("another participant or another queue is another visit", () => {
  const d = new Dedup();
  d.admit(ev("answered"));
  assert.equal(d.admit(ev("answered", "p2")).verdict, "new");
  assert.equal(d.admit(ev("flowout", "p", "q2")).verdict, "new");
  d.prune(2000);
  assert.equal(d.size, 0);
  assert.equal(d.admit(ev("answered")).verdict, "new", "forgotten identities are new again (the horizon guards that)");
});
