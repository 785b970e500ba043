/** The consumer's status pieces: queue URL scrubbing, error description, the once-per-kind log, the oldest-message window. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../../../src/util/log.js";
import { describeError, displayQueueUrl, OldestSeen, UnreadableLog } from "../../../../src/sources/eventbridge/consumer-status.js";

test("queue URL without credentials, query or fragment", () => {
  assert.equal(displayQueueUrl("https://sqs.us-east-2.amazonaws.com/123456789012/genesys-events"), "https://sqs.us-east-2.amazonaws.com/123456789012/genesys-events");
  assert.equal(displayQueueUrl("https://AKIDEXAMPLE:s3cr3t@sqs.us-east-2.amazonaws.com/1/q?X-Amz-Signature=abc#x"), "https://sqs.us-east-2.amazonaws.com/1/q");
  assert.equal(displayQueueUrl("not a url user:pw@host/q?sig=1"), "not a url user:pw@host/q");
});

test("errors: message, HTTP status and code from SDK-shaped and network errors", () => {
  assert.deepEqual(describeError(Object.assign(new Error("Access to the resource is denied."), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } })), { message: "Access to the resource is denied.", status: 403, code: "AccessDenied" });
  assert.deepEqual(describeError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })), { message: "connect ECONNREFUSED 127.0.0.1:1", code: "ECONNREFUSED" });
  assert.deepEqual(describeError("plain"), { message: "plain" });
});

test("unreadable log: a line for the first of each kind, then one line a minute with the growth", () => {
  const lines: any[] = [];
  const u = new UnreadableLog(createLogger("t", "info", { write: (s: string) => void lines.push(JSON.parse(s)) }));
  for (let i = 0; i < 50; i++) u.count({ kind: "not-json", reason: "body is not JSON" }, `m${i}`, 1);
  u.count({ kind: "no-topic", reason: "detail.topicName is missing" }, "t1", 2);
  assert.deepEqual(u.byKind, { "not-json": 50, "no-topic": 1 });
  assert.deepEqual(lines.map((l) => l.kind), ["not-json", "no-topic"]);
  const t0 = Date.now();
  u.report(t0 + 30_000);
  assert.equal(lines.length, 2, "not yet a minute");
  u.report(t0 + 61_000);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[2].sinceLastReport, { "not-json": 49 });
  u.report(t0 + 200_000);
  assert.equal(lines.length, 3, "nothing new, no line");
});

test("oldest message seen: the current and the previous minute, then forgotten", () => {
  const o = new OldestSeen(60_000);
  // The window starts at construction (real time); drive it with explicit times after that.
  const base = Date.now();
  assert.equal(o.ageSeconds(base), null);
  o.see(base - 5_000, base);
  o.see(base - 2_000, base + 1_000);
  assert.equal(o.ageSeconds(base + 1_000), 6);
  assert.equal(o.ageSeconds(base + 70_000), 75, "still seen in the previous window");
  o.see(base + 69_000, base + 70_000);
  assert.equal(o.ageSeconds(base + 125_000), 56, "the older one aged out with its window");
  assert.equal(o.ageSeconds(base + 400_000), null);
});
