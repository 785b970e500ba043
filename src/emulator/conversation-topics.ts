/**
 * The topics a client may subscribe to (a live queue's conversation and observation topics, a
 * conversation's detail events), and the conversation snapshots published on
 * `v2.routing.queues.{id}.conversations` and its per-media variant.
 */
import type { Notifications } from "./notifications.js";
import { conversationSnapshot } from "./render.js";
import type { SimConversation, Simulator } from "./simulator/simulator.js";

const QUEUE_TOPIC = /^v2\.routing\.queues\.([0-9a-f-]{36})\.conversations(?:\.(calls|callbacks|chats|emails|messages))?$/;
const OBS_TOPIC = /^v2\.analytics\.queues\.([0-9a-f-]{36})\.observations$/;
const DETAIL_TOPIC = /^v2\.detail\.events\.conversation\.([0-9a-f-]{36})\.acd\.(start|end)$/;

const mediaTopicSuffix: Record<string, string> = { voice: "calls", callback: "callbacks", chat: "chats", email: "emails", message: "messages" };

export function topicAllowed(sim: Simulator, topic: string): boolean {
  const q = QUEUE_TOPIC.exec(topic) ?? OBS_TOPIC.exec(topic);
  if (q) return sim.queueById(q[1], false) !== undefined;
  return DETAIL_TOPIC.test(topic);
}

/** The queues a conversation's newest version is on. */
export function queuesOf(conv: SimConversation): Set<string> {
  const latest = conv.versions[conv.versions.length - 1];
  return new Set(latest.participants.flatMap((p) => (p.queueId ? [p.queueId] : [])));
}

/** Publishes the conversation's newest state on each of its queues' topics that someone listens to. */
export function publishConversation(notifications: Notifications, conv: SimConversation, time: number): void {
  const latest = conv.versions[conv.versions.length - 1];
  let body: Record<string, unknown> | undefined;
  for (const q of queuesOf(conv)) {
    for (const topic of [`v2.routing.queues.${q}.conversations`, `v2.routing.queues.${q}.conversations.${mediaTopicSuffix[conv.mediaType]}`]) {
      if (!notifications.hasListener(topic)) continue;
      body ??= conversationSnapshot(conv, latest.participants);
      notifications.publish(topic, body, time);
    }
  }
}
