/**
 * A real SQS-compatible server for tests: fauxqs in this process on a free loopback port
 * (src/emulator/eventbridge/sqs-server.ts), with the real AWS SDK as its client.
 *
 * `restart()` takes the server down and brings it back on the same port with the same
 * in-memory state, as an SQS outage looks to a client (connections reset, then refused, then
 * the queues and their messages are there again). fauxqs does not export its store classes,
 * so they are loaded from its dist/ by file (fauxqs is pinned to 1.9.2 exactly).
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { createQueueWithDeadLetter, startSqsServer, type QueuePair, type SqsServer, type SqsStores } from "../../src/emulator/eventbridge/sqs-server.js";

export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
export const REGION = "us-east-1";

async function newStores(): Promise<SqsStores> {
  const app = import.meta.resolve("fauxqs"); // .../fauxqs/dist/app.js
  const load = async (path: string, name: string) => ((await import(new URL(path, app).href)) as Record<string, new () => unknown>)[name];
  const [SqsStore, SnsStore, S3Store] = await Promise.all([load("./sqs/sqsStore.js", "SqsStore"), load("./sns/snsStore.js", "SnsStore"), load("./s3/s3Store.js", "S3Store")]);
  return { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() } as SqsStores;
}

export class TestSqs {
  readonly client: SQSClient;
  /** Fixed for the life of the helper: `up()` comes back on the same port. */
  readonly port: number;
  readonly endpoint: string;
  private server: SqsServer | null;

  private constructor(
    server: SqsServer,
    private readonly stores: SqsStores,
  ) {
    this.server = server;
    this.port = server.port;
    this.endpoint = server.endpoint;
    this.client = new SQSClient({ endpoint: server.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  }

  static async start(): Promise<TestSqs> {
    const stores = await newStores();
    return new TestSqs(await startSqsServer({ stores }), stores);
  }

  /** A queue and its dead-letter queue (redrive after `maxReceiveCount` receipts). */
  queue(name: string, options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {}): Promise<QueuePair> {
    return createQueueWithDeadLetter(this.client, name, options);
  }

  /** Exact counts on fauxqs (ApproximateNumberOf* are exact there). */
  async counts(queueUrl: string): Promise<{ visible: number; notVisible: number }> {
    const a = (await this.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes ?? {};
    return { visible: Number(a.ApproximateNumberOfMessages), notVisible: Number(a.ApproximateNumberOfMessagesNotVisible) };
  }

  /** Receives (and deletes) everything visible in a queue now: short polls until one comes back empty. */
  async takeAll(queueUrl: string, max = 10_000): Promise<Message[]> {
    const out: Message[] = [];
    while (out.length < max) {
      const r = await this.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ["All"] }));
      const got = r.Messages ?? [];
      if (got.length === 0) break;
      out.push(...got);
      await this.client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    return out;
  }

  /** The server goes away (open connections are reset); the state stays for `up()`. */
  async goDown(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.stop();
  }

  /** Back on the same port with the same queues and messages. */
  async up(): Promise<void> {
    if (this.server) return;
    this.server = await startSqsServer({ port: this.port, stores: this.stores });
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.server?.stop();
    this.server = null;
  }
}
