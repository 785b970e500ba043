/** A repeating log line: the first at once, then one per window per kind, saying how many were held back. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ThrottledLog } from "../../../src/util/throttled-log.js";
import { captureLog } from "../../helpers/log-capture.js";

test("one line per kind and window; the next one counts what was held back", () => {
  let now = 0;
  const { log, lines } = captureLog();
  const t = new ThrottledLog(log, 1000, () => now);
  assert.equal(t.write("error", "a", { n: 1 }, "A"), true);
  assert.equal(t.write("error", "a", { n: 2 }, "A"), false);
  assert.equal(t.write("warn", "b", { n: 3 }, "B"), true, "another kind is not held back");
  now = 999;
  assert.equal(t.write("error", "a", { n: 4 }, "A"), false);
  now = 1000;
  assert.equal(t.write("error", "a", { n: 5 }, "A"), true);
  now = 5000;
  assert.equal(t.write("error", "a", { n: 6 }, "A"), true);
  assert.deepEqual(
    lines.map((l) => [l.msg, l.n, l.suppressed]),
    [["A", 1, undefined], ["B", 3, undefined], ["A", 5, 2], ["A", 6, undefined]],
  );
});
