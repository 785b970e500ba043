import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../../../src/util/log.js";
import { LogThrottle, ThrottledLog } from "../../../src/util/throttled-log.js";

/** A real pino logger writing into an array: the lines as they would reach stderr. */
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

test("first occurrence at once, then one line per interval with the number left out", () => {
  let now = 1_000_000;
  const { lines, log } = capture();
  const t = new ThrottledLog(log, { intervalMs: 60_000, now: () => now });
  const written: boolean[] = [];
  // 2.5 occurrences a second for 150 s, like a commit failing on every turn.
  for (let i = 0; i < 375; i++) {
    written.push(t.error("commit", { n: i }, "state commit failed"));
    now += 400;
  }
  // Lines at 0 s, 60 s, 120 s: the first, then one per minute with what came between.
  assert.equal(lines.length, 3);
  assert.deepEqual(written.map((w, i) => (w ? i : -1)).filter((i) => i >= 0), [0, 150, 300]);
  assert.deepEqual(lines.map((l) => [l.n, l.suppressed, l.occurrences, l.level]), [[0, undefined, undefined, 50], [150, 149, 151, 50], [300, 149, 301, 50]]);
  assert.equal(lines[1].msg, "state commit failed");
});

test("keys are throttled apart; clear says what was left out and the next occurrence is logged at once", () => {
  let now = 0;
  const { lines, log } = capture();
  const t = new ThrottledLog(log, { intervalMs: 10_000, now: () => now });
  t.warn("a", {}, "a failed");
  t.warn("b", {}, "b failed");
  t.warn("a", {}, "a failed");
  t.warn("a", {}, "a failed");
  now = 5_000;
  assert.deepEqual(t.clear("a"), { suppressed: 2, occurrences: 3, firstAt: 0 });
  assert.equal(t.clear("a"), null, "a key seen no more is not there to clear");
  t.warn("a", {}, "a failed again");
  assert.deepEqual(lines.map((l) => l.msg), ["a failed", "b failed", "a failed again"]);
  assert.equal(lines[2].suppressed, undefined, "nothing left out since the clear");
});

test("a burst per window, as the channel's bad-frame log allows 20 a minute", () => {
  let now = 0;
  const th = new LogThrottle({ intervalMs: 60_000, burst: 20, now: () => now });
  let logged = 0;
  let lastSuppressed = -1;
  for (let i = 0; i < 100; i++) {
    const a = th.admit("frames");
    if (a) {
      logged++;
      lastSuppressed = a.suppressed;
    }
  }
  assert.equal(logged, 20);
  now = 60_000;
  const a = th.admit("frames");
  assert.deepEqual(a, { suppressed: 80, occurrences: 101, firstAt: 0 });
  assert.equal(lastSuppressed, 0);
});

test("the number of keys is bounded: the oldest is forgotten first", () => {
  const th = new LogThrottle({ intervalMs: 60_000, now: () => 0, maxKeys: 2 });
  th.admit("a");
  th.admit("b");
  th.admit("c");
  assert.deepEqual([th.has("a"), th.has("b"), th.has("c")], [false, true, true]);
  assert.ok(th.admit("a"), "a forgotten key logs at once again");
  assert.throws(() => new LogThrottle({ intervalMs: 0 }), /intervalMs must be > 0/);
  assert.throws(() => new LogThrottle({ burst: 0 }), /burst must be an integer >= 1/);
});
