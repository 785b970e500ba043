/** The `prediction:` section: staffing refreshes, the estimators' and the scoring's windows, and how the served predictor is chosen. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";

export const predictionSchema = z
  .object({
    /** How often the observations query re-reads every queue's staffing and "now" figures (real seconds); it also runs at start and after every reconnect. */
    observationsQuerySeconds: between(5, 3600).default(60),
    /** How a staffing breakdown's missing routing statuses read: "complete" (a missing status is 0, as the query answers) or "partial" (keep its last value). */
    staffingBreakdown: z.enum(["complete", "partial"]).default("complete"),
    /**
     * The line a caller waits in: "queue" (the queue's callers of every media type, for the
     * queue's agents, as Genesys routes them) or "mediaType" (a line per queue x media, for
     * queues whose agents take one media type each). Prediction.md.
     */
    line: z.enum(["queue", "mediaType"]).default("queue"),
    /** Span of the rolling estimates (arrivals, handle time, patience). */
    estimatorWindowMinutes: wholeBetween(5, 240).default(30),
    /** Span over which each predictor is scored against the waits callers had. */
    scoringWindowMinutes: wholeBetween(10, 1440).default(60),
    /** Scored visits a predictor needs before it can be served. */
    minSamples: wholeBetween(1, 10_000).default(10),
    /** Relative margin by which a challenger must beat the served predictor to replace it. */
    hysteresis: between(0, 1).default(0.1),
    /** And by how many standard errors of the two errors, each side (their sampling noise; 0: the hysteresis alone). */
    switchStdErrors: between(0, 5).default(1),
    /** Serve the chosen predictor less its recent mean error, and choose by the error that leaves. */
    correctBias: z.boolean().default(true),
    /** An offer counted later than this after it happened (backfilled) is not predicted: the prediction would use what the queue looks like now, not then. */
    liveOfferSeconds: between(1, 3600).default(120),
  })
  .strict()
  .prefault({});

export type PredictionSettings = z.infer<typeof predictionSchema>;
