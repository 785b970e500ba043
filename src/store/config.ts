/** The `state:` section: the SQLite state file and how often it is written. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";

export const stateSchema = z
  .object({
    file: z.string().min(1).default("queue-monitor.sqlite"),
    /** Keep every counted event in the log (an audit trail) instead of trimming it at checkpoints. */
    recordEvents: z.boolean().default(false),
    commitIntervalMs: wholeBetween(10, 60_000).default(500),
    checkpointSeconds: between(1, 3600).default(30),
  })
  .strict()
  .prefault({});

export type StateConfig = z.infer<typeof stateSchema>;
