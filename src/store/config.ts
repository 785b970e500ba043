/** The `state:` section: the SQLite state file and how often it is written. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";

export const stateSchema = z
  .object({
    file: z.string().min(1).default("queue-monitor.sqlite"),
    /** Keep every counted event in the log (an audit trail) instead of trimming it at checkpoints. */
    recordEvents: z.boolean().default(false),
    commitIntervalMs: wholeBetween(10, 60_000).default(500),
    checkpointSeconds: between(0.05, 3600).default(30),
    /**
     * Counted events kept in memory at most while the state file cannot be written (a full disk);
     * past it new events are refused and read back from analytics once it can (about 40 MB at the default).
     */
    maxUncommittedEvents: wholeBetween(1000, 10_000_000).default(120_000),
  })
  .strict()
  .prefault({});

export type StateConfig = z.infer<typeof stateSchema>;
