/** Builds the notification source the config chooses (the WebSocket channel pool, or EventBridge through SQS). */
import type { SQSClientConfig } from "@aws-sdk/client-sqs";
import type { Problems } from "../app/problems.js";
import type { Config } from "../config/schema.js";
import type { CommitWaiters } from "../store/commit-waiters.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { EventBridgeSource } from "./eventbridge/source.js";
import type { GenesysClient } from "./genesys/client.js";
import { ChannelPool } from "./genesys/stream/pool.js";
import type { StreamSource } from "./stream-source.js";

export interface StreamSourceParts {
  client: GenesysClient;
  clock: Clock;
  log: Logger;
  commits: CommitWaiters;
  problems: Problems;
  /** Static AWS credentials (the demo's in-process SQS); absent: the SDK's default chain. */
  awsCredentials?: SQSClientConfig["credentials"];
}

/** The source the config chooses. */
export function createStreamSource(config: Config, p: StreamSourceParts): StreamSource {
  const s = config.source;
  if (s.type === "websocket") return new ChannelPool(config.stream, p.client, p.clock, p.log);
  return new EventBridgeSource(s, { clock: p.clock, log: p.log, commits: p.commits, problems: p.problems, allowanceMs: config.stream.latencyAllowanceSeconds * 1000, credentials: p.awsCredentials });
}
