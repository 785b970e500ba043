import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent, QueueEventKind } from "../../../src/domain/queue-event.js";
import { Dedup } from "../../../src/ingest/dedup.js";

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

test("facts are forgotten one by one: an old offer goes, the visit's later end stays", () => {
  const at = (e: QueueEvent, time: number): QueueEvent => ({ ...e, time });
  const d = new Dedup();
  d.admit(at(ev("offered"), 1000));
  d.admit(at(ev("answered"), 5000));
  d.admit(at(ev("offered", "p", "q2"), 1500)); // same participant id, another queue: its own visit
  d.admit(at({ ...ev("offered"), conversationId: "c2" }, 6000)); // and another conversation
  assert.equal(d.size, 4);
  d.prune(2000);
  assert.equal(d.size, 2);
  assert.equal(d.has(ev("offered")), false);
  assert.equal(d.has(ev("answered")), true);
  assert.equal(d.has(ev("offered", "p", "q2")), false);
  assert.equal(d.has({ ...ev("offered"), conversationId: "c2" }), true);
  assert.equal(d.judge(ev("flowout")), "conflict");
  assert.equal(d.countedEnd(ev("flowout")), "answered");
  assert.equal(d.judge(at(ev("offered"), 1000)), "new", "the forgotten offer reads as new (the horizon guards that)");
  d.prune(10_000);
  assert.equal(d.size, 0);
  assert.equal(d.judge(ev("answered", "p", "q2")), "new");
});

test("restored identities whose ids hold a slash are still recognised as a whole", () => {
  const odd: QueueEvent = { ...ev("answered"), conversationId: "a/b" };
  const d = new Dedup([["a/b/p/q/end:answered", 1000], ["a/b/p/q/offered", 1000], ["c/p/q/offered", 1000]]);
  assert.equal(d.size, 3);
  assert.equal(d.admit(odd).verdict, "duplicate");
  assert.deepEqual(d.admit({ ...odd, kind: "abandoned" }), { verdict: "conflict", stored: "a/b/p/q/end:abandoned", counted: "answered" });
  assert.equal(d.admit({ ...odd, kind: "offered" }).verdict, "duplicate");
  assert.equal(d.admit(ev("offered")).verdict, "duplicate");
  assert.equal(d.admit({ ...ev("answered"), time: 2000 }).verdict, "new");
  d.prune(1001);
  assert.equal(d.size, 1, "only the end counted after the restore is left");
  assert.equal(d.admit(odd).verdict, "new");
});
