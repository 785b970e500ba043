/**
 * One notification channel and its WebSocket: the unit of the live stream (up to 1,000 topics).
 *
 * Lifecycle: create channel -> PUT topics -> open socket -> live. It stays live through:
 *  - `v2.system.socket_closing`: a new socket on the same channel takes over before the server
 *    closes the old one (a channel serves one socket, so the switch has no gap);
 *  - channel expiry: shortly before `expires` a new channel is created, subscribed and opened,
 *    then the old socket is closed (an overlap, not a gap);
 *  - silence: no frame for about two heartbeats -> ping; no answer -> the socket is dead.
 * Anything that ends the socket otherwise (drop, revoked token, expired or evicted channel)
 * reports `down` with the time of the last frame, and reconnects with capped, jittered
 * exponential backoff, re-creating the channel if it is gone. Every (re)creation path backs off
 * (./transport/retry.ts), so a proxy that answers 404/410 cannot make us create channels as fast
 * as the rate limit allows and evict our own other channels (20 per client). Timers run on real
 * time; the times reported (`live`, `down`) are on the injected clock, i.e. event time.
 *
 * Every frame is untrusted: a frame that is not JSON, not an envelope, or whose handler throws
 * is logged (topic and a short excerpt), counted in `malformedFrames` and skipped.
 */
import WebSocket from "ws";
import { Backoff, sleep } from "../../../delivery/retry.js";
import { ms } from "../../../normalize/time.js";
import { excerpt } from "../../../util/redact.js";
import { ThrottledLog } from "../../../util/throttled-log.js";
import type { Clock } from "../../../util/clock.js";
import type { Logger } from "../../../util/log.js";
import type { GenesysClient } from "../client.js";
import type { Frame } from "./topics.js";

/** A socket that stayed open this long (real ms) counts as a successful connection. */
const STABLE_SOCKET_MS = 5000;

export interface ChannelOptions {
  /** Expected heartbeat interval (real seconds; Genesys: 30). */
  heartbeatSeconds: number;
  reconnectInitialSeconds: number;
  reconnectMaxSeconds: number;
  /** Roll the channel over this long (clock ms) before it expires. */
  rolloverMarginMs: number;
}


export interface ChannelListener {
  frame(f: Frame): void;
  /** The socket is open and subscribed: events from `since` on arrive here. */
  live(since: number): void;
  /** The stream broke; events after `lastFrameAt` may have been missed. */
  down(lastFrameAt: number, reason: string): void;
  /** Every frame as parsed, before any filtering (run --record). */
  raw?(text: string): void;
}

interface ChannelInfo {
  id: string;
  connectUri: string;
  expires: number;
}

export class NotificationChannel {
  state: "idle" | "connecting" | "live" | "stopped" = "idle";
  channel: ChannelInfo | null = null;
  reconnects = 0;
  lastFrameAt = 0;
  private socket: WebSocket | null = null;
  private lastFrameReal = 0;
  private pingSentReal = 0;
  private watchdog?: NodeJS.Timeout;
  /** Frames skipped as unreadable or whose handler failed (since start). */
  malformedFrames = 0;
  /** A server sending nothing but garbage must not flood the log: at most 20 lines a minute. */
  private readonly malformedLog: ThrottledLog;
  private readonly backoff: Backoff;
  /** Rollover retries back off too: real time before which no new attempt starts. */
  private readonly rolloverBackoff: Backoff;
  private rolloverNotBefore = 0;
  private rolling = false;
  private handingOver = false;
  private connectingNow = false;

  constructor(
    readonly name: string,
    private topics: string[],
    private readonly client: GenesysClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ChannelOptions,
    private readonly listener: ChannelListener,
  ) {
    const policy = { baseMs: opts.reconnectInitialSeconds * 1000, capMs: opts.reconnectMaxSeconds * 1000, minMs: Math.min(50, opts.reconnectInitialSeconds * 500) };
    this.malformedLog = new ThrottledLog(log, { burst: 20 });
    this.backoff = new Backoff(policy);
    this.rolloverBackoff = new Backoff(policy);
  }

  private get stopped(): boolean {
    return this.state === "stopped";
  }

  get topicCount(): number {
    return this.topics.length;
  }

  start(): void {
    this.watchdog = setInterval(() => this.check(), Math.max(100, Math.min(1000, (this.opts.heartbeatSeconds * 1000) / 4)));
    this.watchdog.unref();
    void this.connect();
  }

  stop(): void {
    this.state = "stopped";
    if (this.watchdog) clearInterval(this.watchdog);
    this.socket?.terminate();
    this.socket = null;
  }

  /** Replaces the topic list (queues added or removed); takes effect at once on a live channel. */
  async setTopics(topics: string[]): Promise<void> {
    this.topics = topics;
    if (this.channel && this.state === "live") {
      try {
        await this.subscribe(this.channel);
      } catch (e) {
        this.log.warn({ channel: this.name, err: (e as Error).message }, "resubscribe failed; reconnecting");
        this.socket?.terminate();
      }
    }
  }

  // ---- connecting -----------------------------------------------------------------------

  private async connect(backOffFirst = false): Promise<void> {
    if (this.connectingNow || this.state === "stopped") return;
    this.connectingNow = true;
    this.state = "connecting";
    if (backOffFirst) {
      const delay = this.backoff.next();
      this.log.warn({ channel: this.name, attempt: this.backoff.attempts, retryInMs: delay }, "socket closed soon after opening; backing off");
      await sleep(delay);
    }
    while (!this.stopped) {
      let why: string;
      try {
        const ch = this.channel && this.channel.expires - this.clock.now() > this.opts.rolloverMarginMs ? this.channel : await this.createChannel();
        this.channel = ch;
        if (await this.subscribe(ch)) {
          const ws = await this.open(ch);
          if (ws && !this.stopped) {
            this.adopt(ws); // the backoff is reset once the socket proves stable (see adopt)
            this.connectingNow = false;
            return;
          }
          if (ws) ws.terminate();
          why = "channel refused the socket (404/410): it is gone";
        } else {
          why = "channel not found on subscribe (404): it is gone";
        }
        this.channel = null; // gone (expired, evicted): make a new one, after the backoff below
      } catch (e) {
        why = (e as Error).message;
      }
      if (this.stopped) break;
      const delay = this.backoff.next();
      this.log.warn({ channel: this.name, err: excerpt(why, 300), attempt: this.backoff.attempts, retryInMs: delay }, "channel connect failed");
      await sleep(delay);
    }
    this.connectingNow = false;
  }

  private async createChannel(): Promise<ChannelInfo> {
    const res = await this.client.call<unknown>("POST", "/api/v2/notifications/channels");
    const b = res.body as { id?: unknown; connectUri?: unknown; expires?: unknown } | null;
    if (!b || typeof b !== "object" || typeof b.id !== "string" || b.id === "" || typeof b.connectUri !== "string" || !/^wss?:\/\//i.test(b.connectUri)) {
      throw new Error(`channel create answered without id/connectUri: ${excerpt(b)}`);
    }
    // Without a readable expiry, assume the documented 24 h.
    return { id: b.id, connectUri: b.connectUri, expires: ms(b.expires) ?? this.clock.now() + 86_400_000 };
  }

  /** PUT the topic list; false when the channel no longer exists. Rejected topics are logged, not fatal. */
  private async subscribe(ch: ChannelInfo): Promise<boolean> {
    const res = await this.client.call<unknown>(
      "PUT",
      `/api/v2/notifications/channels/${encodeURIComponent(ch.id)}/subscriptions?ignoreErrors=true`,
      this.topics.map((id) => ({ id })),
      [404],
    );
    if (res.status === 404) return false;
    const entities = (res.body as { entities?: unknown } | null)?.entities;
    for (const t of Array.isArray(entities) ? entities : []) {
      const topic = t as { id?: unknown; state?: unknown; rejectionReason?: unknown } | null;
      if (topic?.state === "Rejected") this.log.error({ channel: this.name, topic: excerpt(topic.id, 150), reason: excerpt(topic.rejectionReason, 200) }, "topic rejected; other queues continue");
    }
    return true;
  }

  /** Opens a socket; null when the channel is gone (404 on upgrade). */
  private open(ch: ChannelInfo): Promise<WebSocket | null> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(ch.connectUri, { handshakeTimeout: 10_000 });
      const onFrame = (d: WebSocket.RawData) => this.onMessage(ws, d);
      ws.on("message", onFrame);
      ws.once("open", () => {
        ws.off("unexpected-response", onUnexpected);
        resolve(ws);
      });
      const onUnexpected = (_req: unknown, res: { statusCode?: number }) => {
        ws.terminate();
        if (res.statusCode === 404 || res.statusCode === 410) resolve(null);
        else reject(new Error(`WebSocket upgrade answered ${res.statusCode}`));
      };
      ws.on("unexpected-response", onUnexpected);
      ws.once("error", (e) => reject(e));
    });
  }

  /** Makes `ws` the channel's socket; the previous one (if any) is retired without a gap. */
  private adopt(ws: WebSocket): void {
    const previous = this.socket;
    this.socket = ws;
    this.lastFrameReal = Date.now();
    this.lastFrameAt = this.clock.now();
    this.pingSentReal = 0;
    ws.on("error", (e) => this.log.debug({ channel: this.name, err: e.message }, "socket error"));
    const openedReal = Date.now();
    ws.on("close", (code, reason) => {
      if (this.socket !== ws || this.state === "stopped") return; // retired or shutting down
      this.socket = null;
      this.state = "connecting";
      this.reconnects++;
      this.listener.down(this.lastFrameAt, `socket closed (${excerpt(`${code} ${String(reason)}`, 150)})`);
      // A socket that lived a while was a success: start the backoff afresh. One closed soon
      // after opening is a failure like any other (a server that accepts and drops at once
      // must not get a tight reconnect loop).
      const stable = Date.now() - openedReal >= STABLE_SOCKET_MS;
      if (stable) this.backoff.reset();
      void this.connect(!stable);
    });
    if (previous && previous !== ws) previous.close(1000, "replaced");
    const since = this.clock.now();
    this.state = "live";
    this.listener.live(since);
  }

  /** One frame, untrusted: whatever it holds and whatever the handler does, nothing escapes. */
  private onMessage(ws: WebSocket, data: WebSocket.RawData): void {
    if (ws === this.socket) {
      this.lastFrameReal = Date.now();
      this.lastFrameAt = this.clock.now();
      this.pingSentReal = 0;
    }
    let text = "";
    let topic: string | undefined;
    try {
      text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        return this.malformed("frame is not JSON; skipped", text);
      }
      this.listener.raw?.(text); // run --record keeps every frame that is JSON, as received
      if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return this.malformed("frame is not an object; skipped", text);
      const topicName = (msg as { topicName?: unknown }).topicName;
      if (typeof topicName !== "string" || topicName === "") return this.malformed("frame has no topicName; skipped", text);
      topic = topicName;
      if (topicName === "channel.metadata") return;
      if (topicName === "v2.system.socket_closing") {
        if (ws === this.socket) void this.handover();
        return;
      }
      const eventBody = (msg as { eventBody?: unknown }).eventBody;
      if (topicName.startsWith("v2.system")) {
        this.log.info({ channel: this.name, topic: topicName, body: excerpt(eventBody) }, "system message");
        return;
      }
      this.listener.frame({ topicName, eventBody });
    } catch (e) {
      this.malformed("frame handler failed; frame skipped", text, topic, e);
    }
  }

  private malformed(what: string, text: string, topic?: string, err?: unknown): void {
    this.malformedFrames++;
    try {
      const e = err instanceof Error ? `${err.name}: ${err.message}` : err === undefined ? undefined : String(err);
      this.malformedLog[err === undefined ? "warn" : "error"]("malformed", { channel: this.name, topic: topic === undefined ? undefined : excerpt(topic, 120), err: e === undefined ? undefined : excerpt(e, 200), frame: excerpt(text, 200), malformedFrames: this.malformedFrames }, what);
    } catch {
      // Logging must not be the thing that escapes.
    }
  }

  /** socket_closing: connect a new socket to the same channel; the server then drops the old one. */
  private async handover(): Promise<void> {
    const ch = this.channel;
    if (!ch || this.handingOver) return; // one at a time, however many socket_closing frames arrive
    this.handingOver = true;
    try {
      const ws = await this.open(ch);
      if (ws && this.stopped) ws.terminate();
      else if (ws) {
        this.adopt(ws);
        this.log.info({ channel: this.name }, "socket handed over before maintenance");
      }
    } catch (e) {
      this.log.warn({ channel: this.name, err: excerpt((e as Error).message, 300) }, "handover failed; waiting for close to reconnect");
    } finally {
      this.handingOver = false;
    }
  }

  /** Watchdog and rollover, on a real-time interval. */
  private check(): void {
    if (this.state !== "live" || !this.socket) return;
    const silence = Date.now() - this.lastFrameReal;
    const hb = this.opts.heartbeatSeconds * 1000;
    if (this.pingSentReal === 0 && silence > 2 * hb) {
      this.pingSentReal = Date.now();
      this.socket.send(JSON.stringify({ message: "ping" }));
    } else if (this.pingSentReal !== 0 && Date.now() - this.pingSentReal > Math.max(hb / 2, 500)) {
      this.log.warn({ channel: this.name, silenceMs: silence }, "no heartbeat or pong: socket presumed dead");
      this.socket.terminate(); // the close handler reports down and reconnects
    }
    if (this.channel && !this.rolling && Date.now() >= this.rolloverNotBefore && this.channel.expires - this.clock.now() <= this.opts.rolloverMarginMs) void this.rollover();
  }

  /** A new channel before the old one expires; both overlap until the new socket is open. */
  private async rollover(): Promise<void> {
    this.rolling = true;
    try {
      const ch = await this.createChannel();
      if (!(await this.subscribe(ch))) throw new Error("new channel vanished before subscribing");
      const ws = await this.open(ch);
      if (!ws) throw new Error("new channel refused the socket");
      if (this.stopped) {
        ws.terminate();
        return;
      }
      this.channel = ch;
      this.adopt(ws);
      if (ch.expires - this.clock.now() > this.opts.rolloverMarginMs) this.rolloverBackoff.reset();
      // A server that hands out channels already inside the margin must not make us roll over in a loop.
      else this.rolloverNotBefore = Date.now() + this.rolloverBackoff.next();
      this.log.info({ channel: this.name, id: ch.id, expires: new Date(ch.expires).toISOString() }, "channel rolled over");
    } catch (e) {
      const delay = this.rolloverBackoff.next();
      this.rolloverNotBefore = Date.now() + delay;
      this.log.warn({ channel: this.name, err: excerpt((e as Error).message, 300), attempt: this.rolloverBackoff.attempts, retryInMs: delay }, "rollover failed; will retry");
    } finally {
      this.rolling = false;
    }
  }
}
