/**
 * A local SQS for the emulator and the tests: fauxqs (an in-memory SQS/SNS/S3 server) run in
 * this process on a loopback port. fauxqs' own `startFauxqs` listens on every interface
 * (0.0.0.0), so the server is built with its `buildApp` and bound to loopback here. Queues are
 * made through the SQS API itself (`createQueueWithDeadLetter`), as against AWS.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { buildApp, type BuildAppOptions } from "fauxqs";

/** fauxqs' in-memory state; passing the same stores to a new server keeps the queues and their messages. */
export type SqsStores = NonNullable<BuildAppOptions["stores"]>;

export interface SqsServer {
  /** The endpoint for SQSClient, e.g. http://127.0.0.1:4566. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface SqsServerOptions {
  /** 0 (default): a free port. */
  port?: number;
  /** A loopback address (default 127.0.0.1). */
  host?: string;
  stores?: SqsStores;
  /** Region for queue ARNs and URLs when the request does not say (default us-east-1). */
  region?: string;
}

export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const host = options.host ?? "127.0.0.1";
  const app = buildApp({ logger: false, stores: options.stores, defaultRegion: options.region });
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error(`fauxqs did not report a TCP address (${String(address)})`);
  const shown = host.includes(":") ? `[${host}]` : host;
  return { endpoint: `http://${shown}:${address.port}`, port: address.port, stop: () => app.close() };
}

export interface QueuePair {
  queueUrl: string;
  queueArn: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

/**
 * Creates `name` and `name-dlq`, with a redrive policy that moves a message to the dead-letter
 * queue after `maxReceiveCount` receipts. The dead-letter queue keeps messages 14 days (the
 * maximum): SQS keeps a moved message's original enqueue time, so its retention must be
 * longer than the source queue's.
 */
export async function createQueueWithDeadLetter(client: SQSClient, name: string, options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number; retentionSeconds?: number } = {}): Promise<QueuePair> {
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: "1209600" } }));
  const deadLetterUrl = dlq.QueueUrl!;
  const deadLetterArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn;
  if (!deadLetterArn) throw new Error(`queue ${name}-dlq: no QueueArn in GetQueueAttributes`);
  const q = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 60),
        MessageRetentionPeriod: String(options.retentionSeconds ?? 345_600),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: String(options.maxReceiveCount ?? 5) }),
      },
    }),
  );
  const queueUrl = q.QueueUrl!;
  const queueArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn ?? "";
  return { queueUrl, queueArn, deadLetterUrl, deadLetterArn };
}
