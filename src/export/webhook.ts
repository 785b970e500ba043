/**
 * The original design's time-series endpoint (TSD_ENDPOINT): JSON
 * `{timestamp, metrics: {queueId: {name: value}}}`, one object per flush. Names are the metric
 * name without its prefix, qualified by media type and, where present, window and quantile:
 * `voice.offered_total`, `voice.service_level_ratio.15m`, `voice.answered_wait_seconds.5m.p90`.
 * Only per-queue figures are sent; histogram buckets and the service's health are left to the
 * Prometheus-style sinks.
 */
import type { HttpRequest } from "../transport/http.js";
import type { Flush } from "./samples.js";
import type { Sink } from "./sink.js";

export interface WebhookSinkConfig {
  name?: string;
  url: string;
  headers?: Record<string, string>;
}

export interface WebhookBody {
  timestamp: string;
  metrics: Record<string, Record<string, number>>;
}

const PREFIX = "genesys_queue_";
const P: Record<string, string> = { "0.5": "p50", "0.9": "p90", "0.95": "p95", "0.99": "p99" };

export function encodeWebhook(flush: Flush): WebhookBody {
  const metrics: Record<string, Record<string, number>> = {};
  for (const s of flush.samples) {
    if (!s.name.startsWith(PREFIX) || s.labels.queue_id === undefined || s.labels.le !== undefined) continue;
    const parts = [s.labels.media_type, s.name.slice(PREFIX.length)];
    if (s.labels.window) parts.push(s.labels.window);
    if (s.labels.quantile) parts.push(P[s.labels.quantile] ?? `q${s.labels.quantile}`);
    (metrics[s.labels.queue_id] ??= {})[parts.join(".")] = s.value;
  }
  return { timestamp: new Date(flush.at).toISOString(), metrics };
}

export function webhookSink(name: string, c: WebhookSinkConfig): Sink {
  return {
    name,
    type: "webhook",
    latestOnly: false,
    request: (flush: Flush): HttpRequest => ({ method: "POST", url: c.url, headers: { "content-type": "application/json", ...c.headers }, body: JSON.stringify(encodeWebhook(flush)) }),
  };
}
