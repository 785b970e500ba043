/**
 * The `source:` section: where the notifications come from. `websocket` (the default): the
 * Notifications API's channels (the `stream:` section tunes them). `eventbridge`: Genesys' Amazon
 * EventBridge integration through an SQS queue, for organizations larger than one OAuth client's
 * channels carry (docs/eventbridge.md). Queue discovery and backfill use the REST API either way.
 */
import { z } from "zod";
import { eventBridgeSourceSchema } from "./eventbridge/config.js";

export const sourceSchema = z.discriminatedUnion("type", [z.object({ type: z.literal("websocket") }).strict(), eventBridgeSourceSchema]).default({ type: "websocket" });

export type SourceConfig = z.infer<typeof sourceSchema>;
