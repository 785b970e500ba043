/**
 * Fidelity: the official Genesys JavaScript SDK, pointed at the emulator with its gateway setting,
 * logs in, lists queues, creates a channel, subscribes and runs a details query, accepting every answer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { RecordingSocket, startTestEmulator } from "../../helpers/emulator.js";

const require = createRequire(import.meta.url);

test("purecloud-platform-client-v2 accepts the emulator's answers", async (t) => {
  const emu = await startTestEmulator({ speed: 600 });
  t.after(() => emu.stop());
  const platformClient = require("purecloud-platform-client-v2");
  const client = platformClient.ApiClient.instance;
  const port = Number(new URL(emu.url).port);
  client.setGateway({ host: "127.0.0.1", protocol: "http", port, path_params_login: "", path_params_api: "" });

  const auth = await client.loginClientCredentialsGrant(emu.options.clientId, emu.options.clientSecret);
  assert.ok(auth.accessToken);
  await assert.rejects(client.loginClientCredentialsGrant(emu.options.clientId, "bad"), (e: any) => e.status === 401);
  await client.loginClientCredentialsGrant(emu.options.clientId, emu.options.clientSecret);

  const routing = new platformClient.RoutingApi();
  const queues = await routing.getRoutingQueues({ pageSize: 25, pageNumber: 1, name: "S*" });
  assert.deepEqual(queues.entities.map((q: any) => q.name).sort(), ["Sales", "Support"]);
  const queue = await routing.getRoutingQueue(queues.entities[0].id);
  assert.ok(queue.mediaSettings.call.serviceLevel.durationMs > 0);

  const notifications = new platformClient.NotificationsApi();
  const channel = await notifications.postNotificationsChannels();
  assert.ok(channel.connectUri.startsWith("ws://"));
  const topic = `v2.routing.queues.${queue.id}.conversations`;
  const subs = await notifications.putNotificationsChannelSubscriptions(channel.id, [{ id: topic }]);
  assert.equal(subs.entities[0].state, "Permitted");
  const listed = await notifications.getNotificationsChannelSubscriptions(channel.id);
  assert.deepEqual(listed.entities.map((e: any) => e.id), [topic]);
  await assert.rejects(notifications.postNotificationsChannelSubscriptions(channel.id, [{ id: "v2.bogus" }]), (e: any) => e.status === 400);

  const sock = new RecordingSocket(channel.connectUri);
  await sock.opened;
  await sock.waitFor(() => sock.frame(topic), 8000, "a conversation event");
  sock.ws.close();

  const analytics = new platformClient.ConversationsApi();
  const now = emu.clock.now();
  const details = await analytics.postAnalyticsConversationsDetailsQuery({
    interval: `${new Date(now - 3_600_000).toISOString()}/${new Date(now).toISOString()}`,
    order: "asc",
    orderBy: "conversationStart",
    paging: { pageSize: 100, pageNumber: 1 },
    segmentFilters: [{ type: "or", predicates: [{ type: "dimension", dimension: "queueId", operator: "matches", value: queue.id }] }],
  });
  assert.equal(typeof details.totalHits, "number");
  const byId = await new platformClient.RoutingApi().getRoutingQueues({ id: [queue.id] });
  assert.equal(byId.entities.length, 1);
  if (details.conversations?.length) {
    const one = await analytics.getAnalyticsConversationDetails(details.conversations[0].conversationId);
    assert.equal(one.conversationId, details.conversations[0].conversationId);
  }

  const channels = await notifications.getNotificationsChannels();
  assert.ok(channels.entities.some((c: any) => c.id === channel.id));
  await notifications.headNotificationsChannel(channel.id);
  // A HEAD 404 has no body; the SDK rejects it with `undefined`, so only the rejection is checked.
  await assert.rejects(async () => {
    await notifications.headNotificationsChannel("streaming-0-gone");
  });
  await notifications.deleteNotificationsChannelSubscriptions(channel.id);
  assert.equal((await notifications.getNotificationsChannelSubscriptions(channel.id)).entities.length, 0);

  const observations = await new platformClient.AnalyticsApi().postAnalyticsQueuesObservationsQuery({
    filter: { type: "or", predicates: [{ type: "dimension", dimension: "queueId", operator: "matches", value: queue.id }] },
    metrics: ["oWaiting", "oInteracting"],
  });
  assert.ok(observations.results.length >= 1);
  assert.equal(observations.results[0].group.queueId, queue.id);
});
