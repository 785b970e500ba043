/**
 * The notification channels of one monitor, sharded at `topicsPerChannel`: each queue's two
 * topics (conversations, observations) live on one channel, a queue keeps its channel once
 * placed, and new queues fill channels with room before a new channel is opened (the service
 * allows 20 channels per client: opening one per change would evict our own).
 *
 * At most MAX_CHANNELS are opened: a 21st channel would make Genesys remove one of ours, and a
 * channel rolling over needs a moment with one more. Queues beyond that are not streamed; they
 * are still counted from the Analytics API (reconciliation), minutes late, and the service says so.
 */
import { NotificationChannel } from "./channel.js";
import type { GenesysClient } from "../client.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import type { StreamConfig } from "./config.js";
import { queueTopics, type Frame } from "./topics.js";

/** Genesys allows 20 channels per OAuth client; one stays free for a channel's rollover. */
export const MAX_CHANNELS = 19;

export interface ChannelView {
  name: string;
  state: string;
  topics: number;
  reconnects: number;
  lastFrameAgeSeconds: number | null;
}

/** What the pool's channels report, with the queues each carries. */
export interface PoolListener {
  frame(f: Frame): void;
  /** A channel is open and subscribed; `queueIds` are the queues it carries. */
  live(channel: string, queueIds: string[]): void;
  /** A channel's stream broke; events after `lastFrameAt` may have been missed. */
  down(channel: string, lastFrameAt: number, reason: string): void;
  /** Every frame as parsed, before any filtering (run --record). */
  raw?(text: string): void;
}

export class ChannelPool {
  private readonly channels: NotificationChannel[] = [];
  /** Which queues each channel carries. */
  private readonly queuesOf = new Map<NotificationChannel, Set<string>>();
  /** Queues no channel has room for (beyond what one OAuth client can stream), in selection order. */
  private readonly unplaced = new Set<string>();

  private listener: PoolListener | null = null;
  private stopped = false;

  constructor(
    private readonly stream: StreamConfig,
    private readonly client: GenesysClient,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Where the channels report (set once, before the first assign). */
  listen(l: PoolListener): void {
    this.listener = l;
  }

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

  /** Queues selected but not streamed: no channel has room for them. */
  get unstreamed(): number {
    return this.unplaced.size;
  }

  unstreamedQueues(): string[] {
    return [...this.unplaced];
  }

  /** Places added queues, drops removed ones, and updates every channel's subscriptions. */
  async assign(added: string[], removed: string[]): Promise<void> {
    if (this.stopped) return;
    const perChannel = Math.floor(this.stream.topicsPerChannel / 2);
    for (const id of removed) {
      this.unplaced.delete(id);
      for (const set of this.queuesOf.values()) set.delete(id);
    }
    const fresh: NotificationChannel[] = [];
    // Queues left out before get the room removals made, ahead of new ones.
    const waiting = [...this.unplaced, ...added];
    this.unplaced.clear();
    for (const id of waiting) {
      let ch = this.channels.find((c) => this.queuesOn(c).size < perChannel);
      if (!ch && this.channels.length >= MAX_CHANNELS) {
        this.unplaced.add(id);
        continue;
      }
      if (!ch) {
        ch = this.open(`channel-${this.channels.length + 1}`);
        this.channels.push(ch);
        fresh.push(ch);
      }
      this.queuesOn(ch).add(id);
    }
    if (this.unplaced.size > 0) {
      this.log.error(
        { unstreamedQueues: this.unplaced.size, channels: MAX_CHANNELS, queuesPerChannel: perChannel },
        `${this.unplaced.size} selected queues exceed what one OAuth client can stream (${MAX_CHANNELS} channels x ${perChannel} queues); they are counted from the Analytics API only, minutes late. Run one monitor per OAuth client, each with its own queues.divisions or queues.patterns (docs/performance.md, "Scale")`,
      );
    }
    for (const ch of this.channels) {
      await ch.setTopics([...this.queuesOn(ch)].flatMap(queueTopics));
      // A stop while subscribing must not leave a channel opening behind it.
      if (this.stopped) return;
      if (fresh.includes(ch)) ch.start();
    }
  }

  /** The queues a channel carries (a new channel carries none yet). */
  private queuesOn(ch: NotificationChannel): Set<string> {
    let set = this.queuesOf.get(ch);
    if (!set) this.queuesOf.set(ch, (set = new Set()));
    return set;
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.channels) c.stop();
  }

  private open(name: string): NotificationChannel {
    const l = this.listener;
    if (!l) throw new Error("channel pool: no listener (listen() before assign())");
    const s = this.stream;
    const opts = { heartbeatSeconds: s.heartbeatSeconds, reconnectInitialSeconds: s.reconnectInitialSeconds, reconnectMaxSeconds: s.reconnectMaxSeconds, rolloverMarginMs: s.rolloverMarginMinutes * 60_000 };
    const ch: NotificationChannel = new NotificationChannel(name, [], this.client, this.clock, this.log, opts, {
      frame: (f) => l.frame(f),
      live: () => l.live(name, [...this.queuesOn(ch)]),
      down: (lastFrameAt, reason) => l.down(name, lastFrameAt, reason),
      raw: l.raw?.bind(l),
    });
    return ch;
  }
}
