/**
 * What the composition root needs of a source of notifications, whichever it is: the WebSocket
 * channel pool, or EventBridge through SQS. Both hand every frame to the same listener (the frame
 * dispatch), say when they are live and when a gap opened (the backfill triggers), and where the
 * stream may take the watermark. The config's choice is built by ./create-source.ts.
 */
import type { EventBridgeHealth } from "./eventbridge/consumer-status.js";
import type { ChannelView, PoolListener } from "./genesys/stream/pool.js";

/** What /api/health says of the source. */
export type SourceHealth = { type: "websocket" } | EventBridgeHealth;

export interface StreamSource {
  listen(l: PoolListener): void;
  /** The monitored queues changed (the first call starts the source). */
  assign(added: string[], removed: string[]): Promise<void>;
  /** Live: every channel open, or SQS polled without errors and the queue drained lately. */
  readonly connected: boolean;
  /** Channels, or 1 once the SQS consumer runs; 0 before queue discovery completed. */
  readonly size: number;
  /** Where the stream is complete to (monitor clock), before the latency allowance: W may follow the oldest. */
  lastFrames(): number[];
  views(now: number): ChannelView[];
  /** Selected queues this source cannot carry (counted from analytics only). */
  readonly unstreamed: number;
  unstreamedQueues(): string[];
  /** Frames or messages that could not be read at all. */
  readonly malformedFrames: number;
  /** Stops receiving; resolves once what was delivered has been acknowledged or given up (commit meanwhile). */
  stop(): void | Promise<void>;
  /** The source's own view for /api/health (absent: the WebSocket channels say it all). */
  status?(): SourceHealth;
  /** Why the source is not live, as /readyz says it (absent: the channels' wording). */
  notLiveReason?(): string | null;
}
