/** Malformed notification frames for the garbage-frames fault. */
import { uuid } from "../util/random.js";

/**
 * One malformed frame of a varied kind: not JSON, truncated JSON, wrong types, a null eventBody,
 * an unknown topic, observation data `[null]` or `metrics: {}`, absurdly large numbers, or a
 * well-formed snapshot whose times lie far in the past or future. Topics are the channel's own
 * where it has them, so a client cannot tell garbage from news by the topic name.
 */
export function garbageFrame(topics: string[], rng: () => number, turn: number): string {
  const conv = topics.find((t) => t.startsWith("v2.routing.queues.")) ?? "v2.routing.queues.00000000-0000-4000-8000-000000000000.conversations";
  const obs = topics.find((t) => t.startsWith("v2.analytics.queues.")) ?? "v2.analytics.queues.00000000-0000-4000-8000-000000000000.observations";
  const queueId = /queues\.([^.]+)\./.exec(conv)?.[1] ?? "00000000-0000-4000-8000-000000000000";
  const id = () => uuid(rng);
  const env = (topicName: unknown, eventBody: unknown) => JSON.stringify({ topicName, version: "2", eventBody, metadata: { CorrelationId: id() } });
  const snapshot = (when: string) => ({
    id: id(),
    participants: [
      { id: id(), purpose: "customer", connectedTime: when, calls: [{ id: id(), state: "connected", connectedTime: when }] },
      { id: id(), purpose: "acd", queueId, connectedTime: when, calls: [{ id: id(), state: "connected", connectedTime: when }] },
    ],
  });
  const kinds: (() => string)[] = [
    () => "<html><body>502 Bad Gateway</body></html>",
    () => "\u0000\u0001\u00ff not json at all",
    () => env(conv, snapshot(new Date().toISOString())).slice(0, 20 + Math.floor(rng() * 80)),
    () => JSON.stringify({ topicName: 42, version: 2, eventBody: "participants", metadata: null }),
    () => env(conv, { id: 7, participants: "none", maxParticipants: "many" }),
    () => env(conv, { id: id(), participants: [{ id: null, purpose: 9, queueId: [], connectedTime: {}, endTime: true }] }),
    () => env(conv, null),
    () => env(obs, null),
    () => env(`v2.unknown.topic.${id()}`, { hello: "world" }),
    () => env(obs, { group: { queueId, mediaType: "voice" }, data: [null] }),
    () => env(obs, { group: { queueId, mediaType: "voice" }, data: [{ interval: "2024-01-01T00:00:00.000Z/2024-01-01T00:00:00.000Z", metrics: {} }] }),
    () => env(obs, { group: { queueId, mediaType: "voice" }, data: [{ interval: "x/y", metrics: [{ metric: "oWaiting", stats: { count: 1e308 } }, { metric: "oAlerting", stats: { count: -5 } }] }] }),
    () => env(obs, { group: { queueId, mediaType: "voice" }, data: [{ interval: "2024-01-01T00:00:00.000Z/2024-01-01T00:30:00.000Z", metrics: [{ metric: "tAnswered", stats: { count: 2 ** 64, sum: Number.MAX_VALUE, min: -1, max: 1e300 } }] }] }),
    () => env(conv, snapshot("1970-01-01T00:00:00.000Z")),
    () => env(conv, snapshot("9999-12-31T23:59:59.999Z")),
    () => env(conv, snapshot("+275760-09-13T00:00:00.000Z")),
  ];
  return kinds[turn % kinds.length]();
}
