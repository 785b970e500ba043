import { z } from "zod";
import { sinkCommon } from "../common-config.js";

/** JSON {timestamp, metrics: {queueId: {name: value}}} (the original design's TSD_ENDPOINT). */
export const webhookSchema = z.object({ type: z.literal("webhook"), ...sinkCommon }).strict();
