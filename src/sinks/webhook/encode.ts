/**
 * The original design's time-series endpoint (TSD_ENDPOINT): JSON
 * `{timestamp, metrics: {queueId: {name: value}}}`, one object per flush. Names are the metric
 * name without its prefix, qualified by media type and, where present, window and quantile:
 * `voice.offered_total`, `voice.service_level_ratio.15m`, `voice.answered_wait_seconds.5m.p90`,
 * `voice.agents.on_queue`.
 * Only per-queue figures are sent; histogram buckets and the service's health are left to the
 * Prometheus-style sinks.
 */
import type { HttpRequest } from "../../delivery/transport.js";
import type { ExtraLabels } from "../labels.js";
import { eachSample, type Flush } from "../samples.js";
import type { Sink } from "../sink.js";

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

/** `media.name[.window][.status][.pN]`: one figure's name in the body. */
function qualifiedName(media: string, name: string, labels: Readonly<Record<string, string>> | undefined): string {
  let key = `${media}.${name.slice(PREFIX.length)}`;
  if (labels?.window) key += `.${labels.window}`;
  if (labels?.status) key += `.${labels.status}`;
  if (labels?.quantile) key += `.${P[labels.quantile] ?? `q${labels.quantile}`}`;
  return key;
}

/** Metric keys per name, extra labels and media type, made once (a new string per sample would be hashed per sample). */
const keys = new Map<string, Map<ExtraLabels | null, Map<string, string>>>();
function keyOf(name: string, extra: ExtraLabels | null, media: string): string {
  let byExtra = keys.get(name);
  if (!byExtra) keys.set(name, (byExtra = new Map()));
  let byMedia = byExtra.get(extra);
  if (!byMedia) byExtra.set(extra, (byMedia = new Map()));
  let key = byMedia.get(media);
  if (key === undefined) {
    key = qualifiedName(media, name, extra?.labels);
    if (byMedia.size < 100) byMedia.set(media, key);
  }
  return key;
}

export function encodeWebhook(flush: Flush): WebhookBody {
  const metrics: Record<string, Record<string, number>> = {};
  eachSample(
    flush,
    (slot, series, value) => {
      if (!slot.name.startsWith(PREFIX) || slot.extra?.labels.le !== undefined) return;
      const l = series.labels;
      if (l.queue_id === undefined || l.le !== undefined) return;
      (metrics[l.queue_id] ??= {})[keyOf(slot.name, slot.extra, l.media_type ?? "")] = value;
    },
    (s) => {
      if (!s.name.startsWith(PREFIX) || s.labels.queue_id === undefined || s.labels.le !== undefined) return;
      (metrics[s.labels.queue_id] ??= {})[qualifiedName(s.labels.media_type ?? "", s.name, s.labels)] = s.value;
    },
  );
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
