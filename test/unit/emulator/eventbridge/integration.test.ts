import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TOPIC_FILTERS, EventBridgeIntegration, filterPattern } from "../../../../src/emulator/eventbridge/integration.js";
import type { EventBridgePublisher, NotificationFrame } from "../../../../src/emulator/eventbridge/publisher.js";

const Q = "0000000a-0000-4000-8000-00000000000a";

test("topic filters: {id} stands for one segment, the rest is literal", () => {
  const p = filterPattern("v2.routing.queues.{id}.conversations");
  assert.ok(p.test(`v2.routing.queues.${Q}.conversations`));
  assert.ok(!p.test(`v2.routing.queues.${Q}.conversations.calls`), "a per-media topic is another filter");
  assert.ok(!p.test(`v2.routing.queues.a.b.conversations`));
  assert.ok(!p.test(`v2xrouting.queues.${Q}.conversations`), "dots are literal");
});

test("only notifications on the org's filters go to EventBridge, each with its own correlation id, reported as sent", () => {
  const published: NotificationFrame[] = [];
  const held: number[] = [];
  const publisher = { publish: (f: NotificationFrame) => (published.push(f), true), hold: (ms: number) => held.push(ms), buffered: 3 } as unknown as EventBridgePublisher;
  const sent: [string, string, number | undefined][] = [];
  const bridge = new EventBridgeIntegration(publisher, DEFAULT_TOPIC_FILTERS, (id, topic, t) => sent.push([id, topic, t]));
  assert.ok(bridge.listens(`v2.analytics.queues.${Q}.observations`));
  assert.ok(!bridge.listens(`v2.detail.events.conversation.${Q}.acd.start`));
  bridge.publish(`v2.routing.queues.${Q}.conversations`, { id: "c1" }, 1000);
  bridge.publish(`v2.routing.queues.${Q}.conversations.calls`, { id: "c1" }, 1000);
  bridge.publish(`v2.analytics.queues.${Q}.observations`, { group: {} });
  assert.deepEqual(
    published.map((f) => f.topicName),
    [`v2.routing.queues.${Q}.conversations`, `v2.analytics.queues.${Q}.observations`],
  );
  assert.notEqual(published[0].metadata.CorrelationId, published[1].metadata.CorrelationId);
  assert.deepEqual(sent.map(([id, , t]) => [id, t]), [[published[0].metadata.CorrelationId, 1000], [published[1].metadata.CorrelationId, undefined]]);
  assert.equal(bridge.hold(5000), 3);
  assert.deepEqual(held, [5000]);
  assert.throws(() => new EventBridgeIntegration(publisher, []), /at least one topic filter/);
});
