/**
 * The EventBridge variant of the `source:` section: Genesys Cloud's Amazon EventBridge
 * integration, delivered by an EventBridge rule into an SQS queue that the monitor long-polls.
 * Credentials are never in the file: the AWS SDK's default chain finds them (environment,
 * shared profile, SSO, container or instance role).
 */
import { z } from "zod";
import { between, destinationUrl, wholeBetween } from "../../config/fields.js";

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the legacy `<region>.queue.amazonaws.com`): its region. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

export const eventBridgeSourceSchema = z
  .object({
    type: z.literal("eventbridge"),
    /** The SQS queue the EventBridge rule targets. */
    queueUrl: destinationUrl,
    /** The queue's region; absent: read from the queue URL, else AWS_REGION / AWS_DEFAULT_REGION. */
    region: z.string().min(1).optional(),
    /** An SQS-compatible server instead of AWS (fauxqs, ElasticMQ, LocalStack). */
    endpoint: destinationUrl.optional(),
    /** Refuse events of any other Genesys organization (the id in the event source `aws.partner/genesys.com/cloud/<orgId>/...`). */
    orgId: z.string().min(1).optional(),
    /** How long a received batch stays hidden from other consumers; extended while its commit is awaited. */
    visibilityTimeoutSeconds: wholeBetween(2, 43_200).default(60),
    /** Long-poll wait of each receive (SQS allows up to 20). */
    waitTimeSeconds: wholeBetween(0, 20).default(20),
    /** Concurrent long polls. */
    pollers: wholeBetween(1, 32).default(2),
    /** Messages delivered and waiting for their commit beyond which receiving pauses. */
    maxAwaitingCommit: wholeBetween(10, 1_000_000).default(5000),
    /** An unreadable message stays hidden this long after each receipt, until the queue's redrive policy moves it to its dead-letter queue. */
    unreadableVisibilitySeconds: wholeBetween(0, 43_200).default(600),
    /** Real seconds between reads of the queue's backlog (GetQueueAttributes). */
    backlogEverySeconds: between(0.1, 3600).default(30),
    /**
     * Real seconds of failing receives after which a gap is opened: the queues are backfilled from
     * the watermark once receiving works again. Shorter outages lose nothing (the messages wait in
     * the queue, EventBridge retries its deliveries) and only hold the watermark.
     */
    gapAfterSeconds: between(0.1, 86_400).default(60),
    /** Monitor-clock minutes over which the longest delivery lag seen holds the watermark back. */
    lagWindowMinutes: between(0.1, 10_080).default(15),
  })
  .strict()
  .transform((s) => ({ ...s, region: s.region ?? regionOfQueueUrl(s.queueUrl) }));

export type EventBridgeSourceConfig = z.infer<typeof eventBridgeSourceSchema>;
