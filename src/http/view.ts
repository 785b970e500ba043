/** What the HTTP layer may read of the monitor: a small read-only view, nothing it could change. */
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { AlertView } from "../alerts/alerter.js";
import type { Health } from "../app/health.js";

export interface MonitorView {
  health(): Health;
  /** Every queue x media's figures (or one queue's). */
  queues(filter?: (queueId: string) => boolean): SeriesSnapshot[];
  /** Whether a queue is monitored now (the wallboard shows only those). */
  monitored(queueId: string): boolean;
  alerts(): AlertView[];
  /** The Prometheus exposition; hand the body back with metricsSent once written (its buffer is reused). */
  metrics(): Promise<{ contentType: string; body: Buffer }>;
  metricsSent(body: Buffer): void;
  /** The monitor's clock. */
  now(): number;
}
