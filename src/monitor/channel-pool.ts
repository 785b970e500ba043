/**
 * The notification channels of one monitor, sharded at `topicsPerChannel`: each queue's two
 * topics (conversations, observations) live on one channel, a queue keeps its channel once
 * placed, and new queues fill channels with room before a new channel is opened (the service
 * allows 20 channels per client: opening one per change would evict our own).
 */
import { NotificationChannel, type ChannelListener } from "../genesys/channel.js";
import type { GenesysClient } from "../genesys/client.js";
import type { Config } from "../config/config.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";

export interface ChannelView {
  name: string;
  state: string;
  topics: number;
  reconnects: number;
  lastFrameAgeSeconds: number | null;
}

export class ChannelPool {
  private readonly channels: NotificationChannel[] = [];
  /** Which queues each channel carries. */
  private readonly queuesOf = new Map<NotificationChannel, Set<string>>();

  constructor(
    private readonly stream: Config["stream"],
    private readonly client: GenesysClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Listener for each channel, given its name. */
    private readonly listener: (name: string) => ChannelListener,
  ) {}

  get size(): number {
    return this.channels.length;
  }

  /** Every channel is open and subscribed. */
  get connected(): boolean {
    return this.channels.length > 0 && this.channels.every((c) => c.state === "live");
  }

  /** The last frame each channel received (monitor clock). */
  lastFrames(): number[] {
    return this.channels.map((c) => c.lastFrameAt);
  }

  get malformedFrames(): number {
    return this.channels.reduce((n, c) => n + c.malformedFrames, 0);
  }

  views(now: number): ChannelView[] {
    return this.channels.map((c) => ({
      name: c.name,
      state: c.state,
      topics: c.topicCount,
      reconnects: c.reconnects,
      lastFrameAgeSeconds: c.lastFrameAt ? Math.max(0, (now - c.lastFrameAt) / 1000) : null,
    }));
  }

  /** Places added queues, drops removed ones, and updates every channel's subscriptions. */
  async assign(added: string[], removed: string[]): Promise<void> {
    const perChannel = Math.floor(this.stream.topicsPerChannel / 2);
    for (const id of removed) for (const set of this.queuesOf.values()) set.delete(id);
    const fresh: NotificationChannel[] = [];
    for (const id of added) {
      let ch = this.channels.find((c) => this.queuesOf.get(c)!.size < perChannel);
      if (!ch) {
        ch = this.open(`channel-${this.channels.length + 1}`);
        this.channels.push(ch);
        this.queuesOf.set(ch, new Set());
        fresh.push(ch);
      }
      this.queuesOf.get(ch)!.add(id);
    }
    for (const ch of this.channels) {
      const topics = [...this.queuesOf.get(ch)!].flatMap((id) => [`v2.routing.queues.${id}.conversations`, `v2.analytics.queues.${id}.observations`]);
      await ch.setTopics(topics);
      if (fresh.includes(ch)) ch.start();
    }
  }

  stop(): void {
    for (const c of this.channels) c.stop();
  }

  private open(name: string): NotificationChannel {
    const s = this.stream;
    const opts = { heartbeatSeconds: s.heartbeatSeconds, reconnectInitialSeconds: s.reconnectInitialSeconds, reconnectMaxSeconds: s.reconnectMaxSeconds, rolloverMarginMs: s.rolloverMarginMinutes * 60_000 };
    return new NotificationChannel(name, [], this.client, this.clock, this.log, opts, this.listener(name));
  }
}
