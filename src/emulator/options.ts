/** What an emulator run is configured with (the `queue-monitor emulate` flags map onto these). */
import type { SQSClientConfig } from "@aws-sdk/client-sqs";
import type { Logger } from "../util/log.js";
import type { Scenario } from "./simulator/scenario.js";

export interface EmulatorOptions {
  host: string;
  port: number;
  seed: number;
  speed: number;
  scenario: Scenario;
  /** Virtual start, epoch ms (default: now, whole second). */
  start?: number;
  durationMinutes?: number;
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  requestsPerMinute: number;
  invalidClientStatus: 400 | 401;
  heartbeatSeconds: number;
  /** Channel life in virtual hours (24 on the real service). */
  channelTtlHours: number;
  /** Typical analytics ingestion delay, real seconds (scaled onto the virtual clock); each version draws 0.5x..1.5x. */
  ingestionDelaySeconds: number;
  /** The long lag some versions get instead, real seconds (0 = none)... */
  ingestionLagTailSeconds: number;
  /** ...and the share of versions that get it, 0..1. */
  ingestionLagTailShare: number;
  /** Finished conversations stay queryable this long (virtual hours). */
  retentionHours: number;
  groundTruthFile?: string;
  /** Finished queue visits stay in `/emulator/ground-truth?visits=1` this long (virtual hours; default 24). */
  visitWindowHours?: number;
  /** Every frame sent, as a line `CorrelationId TAB sent TAB eventTime TAB topic` (virtual ms), for the load test. */
  frameLogFile?: string;
  pagerDutyPerMinute: number;
  /** Also publish every notification as an EventBridge event into this SQS queue (Genesys' EventBridge integration). */
  eventBridge?: EventBridgeOptions;
  log: Logger;
}

export interface EventBridgeOptions {
  queueUrl: string;
  region: string;
  /** An SQS-compatible server (fauxqs); absent: AWS. */
  endpoint?: string;
  /** Absent: the AWS SDK's default chain. */
  credentials?: SQSClientConfig["credentials"];
  /** The organization id in the event source (default: a fixed one). */
  orgId?: string;
  /** Topic templates with `{id}` (default: every queue's conversations and observations). */
  topicFilters?: string[];
  /** Each message leaves at a random moment within this many real ms (default 200). */
  reorderWindowMs?: number;
  /** The share of messages sent twice (default 0.02). */
  duplicateShare?: number;
}

export const emulatorDefaults = {
  host: "127.0.0.1",
  port: 9700,
  seed: 1,
  speed: 60,
  clientId: "demo-client-id",
  clientSecret: "demo-client-secret",
  tokenTtlSeconds: 86_400,
  requestsPerMinute: 300,
  invalidClientStatus: 401 as const,
  heartbeatSeconds: 30,
  channelTtlHours: 24,
  ingestionDelaySeconds: 3,
  ingestionLagTailSeconds: 60,
  ingestionLagTailShare: 0.02,
  retentionHours: 72,
  pagerDutyPerMinute: 120,
  eventBridgeOrgId: "3b03b67a-2349-4a03-8b28-c8ac5c26c49a",
  eventBridgeReorderMs: 200,
  eventBridgeDuplicateShare: 0.02,
};
