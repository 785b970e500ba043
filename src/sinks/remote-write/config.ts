import { z } from "zod";
import { labelMap, sinkCommon } from "../common-config.js";

/** Prometheus remote write 1.0 (protobuf + snappy). */
export const remoteWriteSchema = z.object({ type: z.literal("remote-write"), ...sinkCommon, extraLabels: labelMap.optional() }).strict();
