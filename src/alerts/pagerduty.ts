/**
 * PagerDuty Events API v2 (export-and-paging.md, section B): pure encoders of an alert's trigger
 * and resolve, and the destination that sends them (stored by ./event-codec.ts). `acknowledge` is
 * never sent (people do that). The routing key is added at send time, so the state file never
 * holds it.
 */
import type { Destination } from "../delivery/runner.js";
import type { HttpRequest } from "../delivery/transport.js";
import type { Rule } from "./config.js";
import type { AlertState } from "./evaluate.js";
import { describe, formatValue } from "./figures.js";

/** An event as it waits in the alert outbox: when it was queued, and what is sent. */
export interface StoredEvent {
  at: number;
  event: PagerDutyEvent;
}

export interface PagerDutyEvent {
  event_action: "trigger" | "resolve";
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: Rule["severity"];
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, string | number | null>;
  };
  client?: string;
}

const SUMMARY_MAX = 1024;

export function encodeTrigger(a: AlertState, rule: Rule, at: number, source: string): PagerDutyEvent {
  const summary = `${a.queueName} (${a.mediaType}): ${describe(rule)} ${formatValue(rule, a.value)} ${rule.comparison} ${formatValue(rule, rule.threshold)} [${rule.name}]`;
  return {
    event_action: "trigger",
    dedup_key: a.dedupKey,
    payload: {
      summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
      source,
      severity: rule.severity,
      timestamp: new Date(at).toISOString(),
      component: a.queueName,
      group: a.mediaType,
      class: rule.figure,
      custom_details: {
        rule: rule.name,
        queueId: a.queueId,
        queueName: a.queueName,
        mediaType: a.mediaType,
        figure: rule.figure,
        window: rule.window ?? null,
        value: a.value,
        samples: a.samples,
        comparison: rule.comparison,
        threshold: rule.threshold,
        clearThreshold: rule.clearThreshold ?? rule.threshold,
        forSeconds: rule.forSeconds,
        clearForSeconds: rule.clearForSeconds,
        minSamples: rule.minSamples,
      },
    },
    client: "queue-monitor",
  };
}

export function encodeResolve(a: AlertState): PagerDutyEvent {
  return { event_action: "resolve", dedup_key: a.dedupKey };
}

/** The request that enqueues one event. */
export function eventRequest(e: PagerDutyEvent, routingKey: string, url: string): HttpRequest {
  return { method: "POST", url, headers: { "content-type": "application/json" }, body: JSON.stringify({ routing_key: routingKey, ...e }) };
}

export const PAGERDUTY_SINK = "pagerduty";

/** The delivery destination of stored events; a refusal's log line carries PagerDuty's `errors`. */
export function pagerDutySink(routingKey: string, url: string): Destination<StoredEvent> {
  return {
    name: PAGERDUTY_SINK,
    type: "pagerduty",
    latestOnly: false,
    request: (s) => eventRequest(s.event, routingKey, url),
    describeRefusal: (res) => ({ errors: pagerDutyErrors(res.text) }),
  };
}

/** PagerDuty's `errors` from a 400 body (parsed defensively: the body has no schema). */
export function pagerDutyErrors(text: string): string[] {
  try {
    const b = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(b.errors) ? b.errors.map(String) : [];
  } catch {
    return [];
  }
}
