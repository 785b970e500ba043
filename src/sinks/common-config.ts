/** What every push sink's config has: a name, where it goes, extra headers, and label rules. */
import { z } from "zod";
import { destinationUrl } from "../config/fields.js";

export const labelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "label names are [a-zA-Z_][a-zA-Z0-9_]*"), z.string());

export const sinkCommon = {
  name: z.string().min(1).max(100).optional(),
  url: destinationUrl,
  headers: z.record(z.string(), z.string()).optional(),
};
