/**
 * The whole configuration, assembled from the sections each part owns (one set of defaults and
 * bounds per field, in the part's own folder). `clock` is the only top-level field of its own.
 */
import { z } from "zod";
import { statsSchema } from "../aggregate/config.js";
import { alertsSchema } from "../alerts/config.js";
import { deliverySchema } from "../delivery/policy.js";
import { serverSchema } from "../http/config.js";
import { predictionSchema } from "../predict/config.js";
import { exportSchema } from "../sinks/config.js";
import { backfillSchema } from "../sources/genesys/backfill/config.js";
import { sourceSchema } from "../sources/config.js";
import { genesysSchema, queuesSchema } from "../sources/genesys/config.js";
import { streamSchema } from "../sources/genesys/stream/config.js";
import { stateSchema } from "../store/config.js";
import { ms } from "../normalize/time.js";
import { between } from "./fields.js";

/** "system", "emulator" (read the emulator's /emulator/clock), or a virtual clock {start, speed}. */
const clockSchema = z
  .union([
    z.literal("system"),
    z.literal("emulator"),
    z
      .object({
        start: z.string().refine((s) => ms(s) !== undefined, { message: "not an ISO-8601 time" }),
        speed: between(0.001, 10_000),
      })
      .strict(),
  ])
  .default("system");

export const configSchema = z
  .object({
    genesys: genesysSchema,
    queues: queuesSchema,
    /** Where notifications come from: the WebSocket channels (default) or EventBridge via SQS. */
    source: sourceSchema,
    stream: streamSchema,
    backfill: backfillSchema,
    stats: statsSchema,
    server: serverSchema,
    state: stateSchema,
    clock: clockSchema,
    export: exportSchema,
    alerts: alertsSchema,
    /** Staffing refreshes, predicted waits and forecasts. */
    prediction: predictionSchema,
    /** Retries, timeouts and body bounds per destination (genesys, sink, pagerduty); presets in src/delivery/policy.ts. */
    delivery: deliverySchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
/** What a config file (or a test) may write: every field optional, as before parsing. */
export type ConfigInput = z.input<typeof configSchema>;
