/**
 * Genesys Cloud's Amazon EventBridge integration as the emulator plays it: the organization's
 * topic filters (topic templates with literal `{id}` wildcards, as the integration is configured),
 * and every notification on a matching topic handed to the publisher, which puts it into the
 * SQS queue an EventBridge rule would target (reordered, sometimes twice, held by the fault).
 * The integration listens to every queue: it is not a socket's subscription but the org's.
 */
import { randomUUID } from "node:crypto";
import type { EventBridgePublisher } from "./publisher.js";

/** The two topics the monitor reads, for every queue (docs/eventbridge.md: the integration's filters). */
export const DEFAULT_TOPIC_FILTERS = ["v2.routing.queues.{id}.conversations", "v2.analytics.queues.{id}.observations"];

/** A topic filter as a pattern: `{id}` stands for one dot-free segment, the rest is literal. */
export function filterPattern(filter: string): RegExp {
  const parts = filter.split("{id}").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[^.]+")}$`);
}

export class EventBridgeIntegration {
  private readonly patterns: RegExp[];

  constructor(
    readonly publisher: EventBridgePublisher,
    readonly filters: string[] = DEFAULT_TOPIC_FILTERS,
    /** Each notification handed to EventBridge, as the WebSocket side reports its frames (the load test's join). */
    private readonly onFrameSent?: (correlationId: string, topicName: string, eventTime: number | undefined) => void,
  ) {
    if (filters.length === 0) throw new Error("eventbridge integration: at least one topic filter");
    this.patterns = filters.map(filterPattern);
  }

  listens(topic: string): boolean {
    for (const p of this.patterns) if (p.test(topic)) return true;
    return false;
  }

  /** A notification the service sends: into the queue if a filter takes its topic. */
  publish(topic: string, eventBody: unknown, eventTime?: number): void {
    if (!this.listens(topic)) return;
    const id = randomUUID();
    if (this.publisher.publish({ topicName: topic, version: "2", eventBody, metadata: { CorrelationId: id } })) this.onFrameSent?.(id, topic, eventTime);
  }

  /** The late-delivery fault (Genesys retrying while AWS is unreachable): nothing leaves for `ms` real ms. */
  hold(ms: number): number {
    this.publisher.hold(ms);
    return this.publisher.buffered;
  }
}
