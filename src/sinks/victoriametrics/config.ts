import { z } from "zod";
import { labelMap, sinkCommon } from "../common-config.js";

/** VictoriaMetrics: POST /api/v1/import/prometheus. */
export const victoriaMetricsSchema = z.object({ type: z.literal("victoriametrics"), ...sinkCommon, extraLabels: labelMap.optional() }).strict();
