import { test } from "node:test";
import assert from "node:assert/strict";
import { CommitWaiters } from "../../../src/store/commit-waiters.js";

const state = (p: Promise<void>) => {
  const s = { v: "pending" as "pending" | "resolved" | "rejected" };
  p.then(
    () => (s.v = "resolved"),
    () => (s.v = "rejected"),
  );
  return s;
};
const tick = () => new Promise((r) => setImmediate(r));

test("a waiter resolves with the first successful commit that started after it; a failed one keeps it for the next", async () => {
  const w = new CommitWaiters();
  const a = state(w.next());
  const taken = w.take();
  const b = state(w.next()); // asked while the commit runs: not covered by it
  w.settle(taken, false);
  await tick();
  assert.equal(a.v, "pending", "a failed commit resolves nothing");
  assert.equal(w.size, 2);
  const second = w.take();
  w.settle(second, true);
  await tick();
  assert.deepEqual([a.v, b.v], ["resolved", "resolved"]);
  assert.equal(w.size, 0);
});

test("a waiter asked during a commit waits for the next one", async () => {
  const w = new CommitWaiters();
  const taken = w.take();
  const late = state(w.next());
  w.settle(taken, true);
  await tick();
  assert.equal(late.v, "pending");
  w.settle(w.take(), true);
  await tick();
  assert.equal(late.v, "resolved");
});

test("closed: every waiter and every later one rejects, naming why", async () => {
  const w = new CommitWaiters();
  const a = w.next();
  w.close("the monitor stopped");
  await assert.rejects(a, /the monitor stopped/);
  await assert.rejects(w.next(), /the monitor stopped/);
});
