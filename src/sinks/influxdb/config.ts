import { z } from "zod";
import { labelMap, sinkCommon } from "../common-config.js";

/** InfluxDB 1.x (`database`: POST /write) or 2.x (`bucket`: POST /api/v2/write). */
export const influxSchema = z
  .object({
    type: z.literal("influxdb"),
    ...sinkCommon,
    database: z.string().min(1).optional(),
    retentionPolicy: z.string().min(1).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    org: z.string().optional(),
    bucket: z.string().min(1).optional(),
    token: z.string().optional(),
    extraLabels: labelMap.optional(),
  })
  .strict()
  .refine((c) => (c.database === undefined) !== (c.bucket === undefined), "influxdb needs either database (1.x /write) or bucket (2.x /api/v2/write), not both");
