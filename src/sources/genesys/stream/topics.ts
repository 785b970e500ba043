/**
 * The topics the monitor reads, and what a topic name says: the same for the WebSocket stream,
 * EventBridge, recordings and replay.
 */

/** A frame as every source hands it on: the topic and its (untrusted) body. */
export interface Frame {
  topicName: string;
  eventBody: unknown;
}

/** Conversations of a queue (also the per-media variants, e.g. `.conversations.calls`); the capture is the queue id. */
export const CONVERSATIONS_TOPIC = /^v2\.routing\.queues\.([^.]+)\.conversations(\.[a-z]+)?$/;
/** Observations of a queue: "now" counts, agent statuses and the 30-minute aggregates. */
export const OBSERVATIONS_TOPIC = /^v2\.analytics\.queues\.([^.]+)\.observations$/;

/** The two topics of one queue (a channel holds 1,000: 500 queues). */
export function queueTopics(queueId: string): [string, string] {
  return [`v2.routing.queues.${queueId}.conversations`, `v2.analytics.queues.${queueId}.observations`];
}

export type TopicKind = { kind: "conversation"; queueId: string } | { kind: "observation"; queueId: string } | { kind: "other" };

export function classifyTopic(topicName: string): TopicKind {
  const c = CONVERSATIONS_TOPIC.exec(topicName);
  if (c) return { kind: "conversation", queueId: c[1] };
  const o = OBSERVATIONS_TOPIC.exec(topicName);
  if (o) return { kind: "observation", queueId: o[1] };
  return { kind: "other" };
}
