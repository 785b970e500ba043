import { z } from "zod";
import { labelMap, sinkCommon } from "../common-config.js";

/** Prometheus Pushgateway: PUT /metrics/job/<job>[/label/value]. */
export const pushgatewaySchema = z.object({ type: z.literal("pushgateway"), ...sinkCommon, job: z.string().min(1).default("queue-monitor"), grouping: labelMap.optional() }).strict();
