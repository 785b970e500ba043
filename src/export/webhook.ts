/**
 * The original design's time-series endpoint (TSD_ENDPOINT): JSON
 * `{timestamp, metrics: {queueId: {name: value}}}`, one object per flush. Names are the metric
 * name without its prefix, qualified by media type and, where present, window and quantile:
 * `voice.offered_total`, `voice.service_level_ratio.15m`, `voice.answered_wait_seconds.5m.p90`.
 * Only per-queue figures are sent; histogram buckets and the service's health are left to the
 * Prometheus-style sinks.
 */
import type { HttpRequest } from "../transport/http.js";
import { SeriesSample, type Flush } from "./samples.js";
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
const NO_LABELS: Readonly<Record<string, string>> = {};
const P: Record<string, string> = { "0.5": "p50", "0.9": "p90", "0.95": "p95", "0.99": "p99" };

export function encodeWebhook(flush: Flush): WebhookBody {
  const metrics: Record<string, Record<string, number>> = {};
  for (const s of flush.samples) {
    if (!s.name.startsWith(PREFIX)) continue;
    // A per-queue sample's labels are read from its parts, not copied into one object first.
    const series: Readonly<Record<string, string>> = s instanceof SeriesSample ? s.series.labels : s.labels;
    const own: Readonly<Record<string, string>> = s instanceof SeriesSample ? (s.extra?.labels ?? NO_LABELS) : series;
    const queueId = series.queue_id ?? own.queue_id;
    if (queueId === undefined || (own.le ?? series.le) !== undefined) continue;
    let key = `${series.media_type ?? own.media_type}.${s.name.slice(PREFIX.length)}`;
    const window = own.window ?? series.window;
    if (window) key += `.${window}`;
    const quantile = own.quantile ?? series.quantile;
    if (quantile) key += `.${P[quantile] ?? `q${quantile}`}`;
    (metrics[queueId] ??= {})[key] = s.value;
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
