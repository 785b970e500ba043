/** The `export:` section: push sinks (each sink's own shape lives in its folder); /metrics is always on. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";
import { influxSchema } from "./influxdb/config.js";
import { pushgatewaySchema } from "./pushgateway/config.js";
import { remoteWriteSchema } from "./remote-write/config.js";
import { victoriaMetricsSchema } from "./victoriametrics/config.js";
import { webhookSchema } from "./webhook/config.js";

export const sinkSchema = z.discriminatedUnion("type", [victoriaMetricsSchema, pushgatewaySchema, influxSchema, remoteWriteSchema, webhookSchema]);
export type SinkConfig = z.infer<typeof sinkSchema>;

export const exportSchema = z
  .object({
    /** Monitor-clock seconds between flushes; each pushes the current figures timestamped with that clock. */
    flushSeconds: between(1, 86_400).default(60),
    /** Flushes kept per sink while it is unreachable (a week at 60 s); older ones are dropped, counted and logged. */
    maxPendingFlushes: wholeBetween(1, 1_000_000).default(10_080),
    sinks: z.array(sinkSchema).max(50).default([]),
  })
  .strict()
  .prefault({});
export type ExportConfig = z.infer<typeof exportSchema>;
