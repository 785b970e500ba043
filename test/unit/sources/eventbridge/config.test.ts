import { test } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../../src/config/schema.js";
import { formatZodError } from "../../../../src/config/errors.js";
import { regionOfQueueUrl } from "../../../../src/sources/eventbridge/config.js";

const parse = (source: unknown) => {
  const r = configSchema.safeParse({ source });
  return r.success ? { ok: true as const, source: r.data.source } : { ok: false as const, error: formatZodError(r.error) };
};

test("the queue URL names the region; the defaults are SQS' own limits", () => {
  assert.equal(regionOfQueueUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/genesys-events"), "eu-west-1");
  assert.equal(regionOfQueueUrl("https://eu-west-1.queue.amazonaws.com/123456789012/genesys-events"), "eu-west-1");
  assert.equal(regionOfQueueUrl("http://127.0.0.1:4566/000000000000/q"), undefined);
  const r = parse({ type: "eventbridge", queueUrl: "https://sqs.us-east-2.amazonaws.com/123456789012/genesys-events" });
  assert.ok(r.ok && r.source.type === "eventbridge");
  assert.equal(r.source.region, "us-east-2");
  assert.equal(r.source.waitTimeSeconds, 20);
  assert.equal(r.source.visibilityTimeoutSeconds, 60);
  assert.equal(r.source.gapAfterSeconds, 60);
});

test("no source: the WebSocket; a bad source is refused naming the field", () => {
  const none = configSchema.parse({});
  assert.deepEqual(none.source, { type: "websocket" });
  const cases: [unknown, RegExp][] = [
    [{ type: "eventbridge" }, /^source\.queueUrl: /],
    [{ type: "eventbridge", queueUrl: "not a url" }, /^source\.queueUrl: not a URL/],
    [{ type: "eventbridge", queueUrl: "https://user:pw@sqs.us-east-2.amazonaws.com/1/q" }, /^source\.queueUrl: a URL with credentials/],
    [{ type: "eventbridge", queueUrl: "https://sqs.us-east-2.amazonaws.com/1/q", waitTimeSeconds: 21 }, /^source\.waitTimeSeconds: expected a whole number from 0 to 20/],
    [{ type: "eventbridge", queueUrl: "https://sqs.us-east-2.amazonaws.com/1/q", secretAccessKey: "x" }, /^source: .*secretAccessKey/],
    [{ type: "kafka" }, /^source\.type: /],
  ];
  for (const [source, message] of cases) {
    const r = parse(source);
    assert.equal(r.ok, false, JSON.stringify(source));
    assert.match(r.ok ? "" : r.error, message);
  }
});
