/** The `backfill:` section: how gaps, restarts and reconciliation are read back from analytics. */
import { z } from "zod";
import { between, wholeBetween } from "../../../config/fields.js";

export const backfillSchema = z
  .object({
    /** Backfills re-read this much before the watermark. */
    overlapSeconds: between(0, 3600).default(60),
    /** Superseded by maxConversationHours; accepted so older files still load, otherwise unused. */
    lookbackMinutes: z.number().nonnegative().optional(),
    /**
     * The longest a conversation can have been in progress when one of its queue visits ends:
     * a backfill query starts this long before the gap (on the UTC day the oldest such
     * conversation began, where the details API indexes it). At most a week: each earlier day
     * costs one more query per pass.
     */
    maxConversationHours: between(1, 168).default(24),
    /** Settling passes at most before a range counts as settled however it keeps changing. */
    settleMaxPasses: wholeBetween(1, 20).default(6),
    /** Real seconds the details API is first assumed to lag behind; the monitor measures the real lag from there. */
    ingestionDelaySeconds: between(0, 3600).default(30),
    /** First start: count from the start of the business day, or this many minutes back (at most a week). */
    initial: z.union([z.literal("today"), between(0, 10_080)]).default("today"),
    /**
     * Longest interval of one details query. A query that reaches the API's result cap continues
     * from its last conversation start, so chunks only cost pages: one day by default, so a first
     * start is one query.
     */
    chunkMinutes: between(1, 10_080).default(1440),
    /**
     * Re-read recent minutes from analytics every this-many minutes even without a gap, in case
     * the service left a notification out. 0 = off (queues beyond the channel cap are still read
     * back, every 5 minutes).
     */
    reconcileMinutes: between(0, 1440).default(10),
    /** Details requests in flight at most: enough to keep the rate limit busy at about 1 s per answer. */
    concurrency: wholeBetween(1, 32).default(8),
  })
  .strict()
  .prefault({});

export type BackfillConfig = z.infer<typeof backfillSchema>;
