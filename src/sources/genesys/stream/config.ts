/** The `stream:` section: notification channels, their sockets and the stream's own clock checks. */
import { z } from "zod";
import { between, wholeBetween } from "../../../config/fields.js";

export const streamSchema = z
  .object({
    /** Expected heartbeat interval (real seconds; Genesys: 30). */
    heartbeatSeconds: between(0.1, 600).default(30),
    /** Topics per channel (Genesys allows 1,000); each queue takes two. */
    topicsPerChannel: wholeBetween(2, 1000).default(1000),
    /** How late a frame may arrive after its event: the stream's watermark trails the last frame by this. */
    latencyAllowanceSeconds: between(0, 600).default(10),
    reconnectInitialSeconds: between(0.05, 60).default(1),
    reconnectMaxSeconds: between(0.1, 3600).default(60),
    /** Roll a channel over this long before it expires (Genesys: channels live 24 hours). */
    rolloverMarginMinutes: between(1, 720).default(30),
    /** Events timed further than this ahead of the monitor's clock are rejected (counted in skewRejected). */
    maxClockSkewSeconds: between(1, 86_400).default(300),
  })
  .strict()
  .prefault({})
  .refine((s) => s.reconnectMaxSeconds >= s.reconnectInitialSeconds, { path: ["reconnectMaxSeconds"], message: "must be at least reconnectInitialSeconds" });

export type StreamConfig = z.infer<typeof streamSchema>;
