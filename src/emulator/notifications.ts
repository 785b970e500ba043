/**
 * Notifications API (genesys-api.md §2): channels, subscriptions and the WebSocket, with the
 * real limits (20 channels per client, 1,000 topics per channel, one socket per channel, 24 h
 * channel life on the virtual clock) and the real failure modes, which faults can trigger:
 * dropped sockets, `v2.system.socket_closing` maintenance, stalled (silent) sockets, expired
 * channels and revoked tokens.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { VirtualClock } from "../util/clock.js";
import { uuid, mulberry32 } from "../util/random.js";
import { garbageFrame } from "./garbage-frames.js";
import { HttpError, json, type Reply } from "./http.js";

export interface NotificationsOptions {
  /** Base of connectUri, e.g. ws://127.0.0.1:9700 */
  wsBase: () => string;
  heartbeatMs: number;
  /** Channel lifetime on the virtual clock (24 h on the real service). */
  channelTtlMs: number;
  /** Real ms a client has after socket_closing before the server closes the socket. */
  socketClosingGraceMs: number;
  /** Topics a client may subscribe to; anything else is rejected. */
  topicAllowed: (topic: string) => boolean;
  /**
   * Told of every frame handed to a socket, with its CorrelationId and the simulated time of the
   * change it carries (when there is one): the load test joins these with what the monitor
   * recorded, by the frame's own identity, so nothing emulator-only travels on the wire.
   */
  onFrameSent?: (correlationId: string, topicName: string, eventTime: number | undefined) => void;
  /** The org's EventBridge integration: it listens to its topics whatever the sockets do, and gets every notification. */
  bridge?: { listens(topic: string): boolean; publish(topic: string, eventBody: unknown, eventTime?: number): void };
}

interface ChannelTopic {
  id: string;
  state: "Permitted" | "Rejected";
  rejectionReason?: string;
}

interface Channel {
  id: string;
  clientId: string;
  expires: number; // virtual ms
  lastUsed: number; // real ms
  topics: Map<string, ChannelTopic>;
  socket?: WebSocket;
}

const MAX_CHANNELS = 20;
const MAX_TOPICS = 1000;

export class Notifications {
  readonly channels = new Map<string, Channel>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly stalledUntil = new WeakMap<WebSocket, number>();
  private readonly ids = mulberry32(Date.now() & 0xffffffff);
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The TCP socket under each WebSocket, corked while a burst of frames is written (see send). */
  private readonly wires = new WeakMap<WebSocket, Duplex>();
  private readonly corked = new Set<Duplex>();
  /** Counts, for tests and the README's claims. */
  readonly stats = { socketsOpened: 0, framesSent: 0, framesDropped: 0, notificationsOmitted: 0, garbageSent: 0 };
  /** Malformed frames still to be mixed into each live socket (the garbage-frames fault). */
  private readonly garbageLeft = new Map<WebSocket, { ch: Channel; left: number; next: number }>();
  private garbageTimer?: NodeJS.Timeout;
  private readonly garbageRng = mulberry32((Date.now() ^ 0x6a7ba6e) & 0xffffffff);
  /** Conversation notifications still to be silently left out (the drop-events fault). */
  omitNext = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly options: NotificationsOptions,
  ) {
    this.timers.add(setInterval(() => this.expireDue(), 200).unref());
  }

  // ---- REST -----------------------------------------------------------------------------

  create(clientId: string): Reply {
    const mine = [...this.channels.values()].filter((c) => c.clientId === clientId);
    if (mine.length >= MAX_CHANNELS) {
      // "Channels without an active connection will be removed first", then the oldest last used.
      mine.sort((a, b) => Number(!!a.socket) - Number(!!b.socket) || a.lastUsed - b.lastUsed);
      this.remove(mine[0], "channel evicted: over 20 channels for this client");
    }
    const id = `streaming-${Math.floor(this.ids() * 9) + 1}-${uuid(this.ids).replaceAll("-", "").slice(0, 26)}`;
    const ch: Channel = { id, clientId, expires: this.clock.now() + this.options.channelTtlMs, lastUsed: Date.now(), topics: new Map() };
    this.channels.set(id, ch);
    return json(200, this.render(ch));
  }

  list(clientId: string): Reply {
    return json(200, { entities: [...this.channels.values()].filter((c) => c.clientId === clientId).map((c) => this.render(c)) });
  }

  exists(clientId: string, id: string): Reply {
    this.owned(clientId, id);
    return { status: 200 };
  }

  subscriptions(clientId: string, id: string): Reply {
    const ch = this.owned(clientId, id);
    return json(200, { entities: [...ch.topics.values()].map((t) => this.renderTopic(ch, t)) });
  }

  /** POST adds topics, PUT replaces the list; one bad topic fails all unless ignoreErrors. */
  subscribe(clientId: string, id: string, body: unknown, replace: boolean, ignoreErrors: boolean): Reply {
    const ch = this.owned(clientId, id);
    if (!Array.isArray(body)) throw new HttpError(400, "bad.request", "body must be an array of {id: topic}");
    const requested: string[] = [];
    for (const [i, item] of body.entries()) {
      const topic = (item as { id?: unknown })?.id;
      if (typeof topic !== "string" || topic.length === 0) throw new HttpError(400, "bad.request", `body[${i}].id must be a topic name`);
      requested.push(topic);
    }
    const bad = requested.filter((t) => !this.options.topicAllowed(t));
    if (bad.length > 0 && !ignoreErrors) {
      throw new HttpError(400, "notification.subscription.invalid", `Not authorized or invalid topic(s): ${bad.join(", ")}`);
    }
    const next = replace ? new Map<string, ChannelTopic>() : new Map(ch.topics);
    const results: ChannelTopic[] = [];
    for (const t of requested) {
      const topic: ChannelTopic = bad.includes(t)
        ? { id: t, state: "Rejected", rejectionReason: "Topic is invalid or you are not authorized to subscribe to it" }
        : { id: t, state: "Permitted" };
      if (topic.state === "Permitted") next.set(t, topic);
      results.push(topic);
    }
    if (next.size > MAX_TOPICS) {
      throw new HttpError(400, "notification.too.many.topics", `a channel may hold at most ${MAX_TOPICS} topics, this request would make ${next.size}`);
    }
    ch.topics = next;
    ch.lastUsed = Date.now();
    return json(200, { entities: results.map((t) => this.renderTopic(ch, t)) });
  }

  unsubscribeAll(clientId: string, id: string): Reply {
    const ch = this.owned(clientId, id);
    ch.topics.clear();
    return { status: 200 };
  }

  // ---- WebSocket ------------------------------------------------------------------------

  /** Upgrade on /channels/{id}; like the real service, the socket itself carries no credentials. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const id = /^\/channels\/([^/?]+)/.exec(req.url ?? "")?.[1];
    const ch = id ? this.channels.get(id) : undefined;
    if (!ch || ch.expires <= this.clock.now()) {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n" + JSON.stringify({ message: "channel not found", code: "not.found", status: 404 }));
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wires.set(ws, socket);
      this.attach(ch, ws);
    });
  }

  private attach(ch: Channel, ws: WebSocket): void {
    this.stats.socketsOpened++;
    const previous = ch.socket;
    ch.socket = ws;
    ch.lastUsed = Date.now();
    // "If you connect a second WebSocket with the same channel ID, the first WebSocket disconnects."
    if (previous) previous.close(1000, "another WebSocket connected to this channel");
    const heartbeat = setInterval(() => this.send(ws, "channel.metadata", { message: "WebSocket Heartbeat" }), this.options.heartbeatMs);
    heartbeat.unref();
    ws.on("message", (data) => {
      let msg: { message?: string };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg?.message === "ping") this.send(ws, "channel.metadata", { message: "pong" });
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      clearInterval(heartbeat);
      if (ch.socket === ws) ch.socket = undefined;
    });
  }

  /** Delivers an event to every open socket subscribed to `topic`; `eventTime`: the simulated time of the change. */
  publish(topic: string, eventBody: unknown, eventTime?: number): void {
    if (this.omitNext > 0 && topic.startsWith("v2.routing.queues.")) {
      // A notification the service never sends: no error, no gap, just missing.
      this.omitNext--;
      this.stats.notificationsOmitted++;
      return;
    }
    this.options.bridge?.publish(topic, eventBody, eventTime);
    // The body is serialized once, however many sockets get it (only the CorrelationId differs).
    let prefix: string | undefined;
    for (const ch of this.channels.values()) {
      if (!ch.socket || ch.topics.get(topic)?.state !== "Permitted") continue;
      prefix ??= envelopePrefix(topic, eventBody);
      this.send(ch.socket, topic, eventBody, eventTime, prefix);
    }
  }

  /** True if any channel listens to `topic` (lets the publisher skip rendering unused snapshots). */
  hasListener(topic: string): boolean {
    if (this.options.bridge?.listens(topic)) return true;
    for (const ch of this.channels.values()) if (ch.socket && ch.topics.has(topic)) return true;
    return false;
  }

  /** `prefix`: the frame up to its CorrelationId, when the caller serialized it already (envelopePrefix). */
  private send(ws: WebSocket, topicName: string, eventBody: unknown, eventTime?: number, prefix?: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if ((this.stalledUntil.get(ws) ?? 0) > Date.now()) {
      this.stats.framesDropped++;
      return;
    }
    this.cork(ws);
    // Under the garbage-frames fault, malformed frames come between the real ones (which all still arrive).
    if (this.garbageRng() < 0.5) this.sendGarbage(ws);
    this.stats.framesSent++;
    const id = randomUUID();
    ws.send(`${prefix ?? envelopePrefix(topicName, eventBody)}${id}"}}`);
    this.options.onFrameSent?.(id, topicName, eventTime);
  }

  /**
   * Holds a socket's writes until the current burst (one simulator tick can publish thousands of
   * frames) is over, so they leave in a few large writes instead of one system call per frame.
   */
  private cork(ws: WebSocket): void {
    const wire = this.wires.get(ws);
    if (!wire || this.corked.has(wire)) return;
    wire.cork();
    if (this.corked.size === 0) process.nextTick(() => this.uncorkAll());
    this.corked.add(wire);
  }

  /** Writes out every held frame now: whatever a request changes (a fault) comes after them. */
  flush(): void {
    this.uncorkAll();
  }

  private uncorkAll(): void {
    for (const wire of this.corked) wire.uncork();
    this.corked.clear();
  }

  // ---- faults ---------------------------------------------------------------------------

  /** Every socket vanishes without a close frame (a network cut). */
  dropSockets(): number {
    let n = 0;
    for (const ch of this.channels.values()) {
      if (ch.socket) {
        ch.socket.terminate();
        n++;
      }
    }
    return n;
  }

  /** Maintenance: v2.system.socket_closing on every socket, then the server closes them. */
  socketClosing(): number {
    const sockets = [...this.channels.values()].flatMap((c) => (c.socket ? [c.socket] : []));
    for (const ws of sockets) {
      this.send(ws, "v2.system.socket_closing", { message: "The WebSocket will close for maintenance; connect a new WebSocket within one minute." });
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.close(1001, "maintenance");
    }, this.options.socketClosingGraceMs);
    t.unref();
    this.timers.add(t);
    return sockets.length;
  }

  /** Open sockets go silent (no events, heartbeats or pongs) for `seconds`, like a dead TCP path. */
  stall(seconds: number): number {
    let n = 0;
    for (const ch of this.channels.values()) {
      if (ch.socket) {
        this.stalledUntil.set(ch.socket, Date.now() + seconds * 1000);
        n++;
      }
    }
    return n;
  }

  /**
   * The next `count` frames on every live socket are malformed, in varied ways, mixed between the
   * real frames (half of the real frames get one before them; a timer sends the rest).
   */
  garbage(count: number): number {
    let n = 0;
    for (const ch of this.channels.values()) {
      if (!ch.socket) continue;
      const g = this.garbageLeft.get(ch.socket);
      // Kinds in turn from a random one: any 16 in a row hold every kind.
      this.garbageLeft.set(ch.socket, { ch, left: (g?.left ?? 0) + count, next: g?.next ?? Math.floor(this.garbageRng() * 1000) });
      n++;
    }
    if (n > 0 && !this.garbageTimer) {
      this.garbageTimer = setInterval(() => {
        for (const ws of [...this.garbageLeft.keys()]) this.sendGarbage(ws);
        if (this.garbageLeft.size === 0) {
          clearInterval(this.garbageTimer);
          this.garbageTimer = undefined;
        }
      }, 100);
      this.garbageTimer.unref();
    }
    return n;
  }

  private sendGarbage(ws: WebSocket): void {
    const g = this.garbageLeft.get(ws);
    if (!g) return;
    if (ws.readyState !== ws.OPEN || g.left <= 0) {
      this.garbageLeft.delete(ws);
      return;
    }
    g.left--;
    if (g.left === 0) this.garbageLeft.delete(ws);
    this.stats.garbageSent++;
    ws.send(garbageFrame([...g.ch.topics.keys()], this.garbageRng, g.next++));
  }

  /** Every channel expires now. */
  expireAll(): number {
    const all = [...this.channels.values()];
    for (const ch of all) this.remove(ch, "channel expired");
    return all.length;
  }

  /** Token revocation: the client's sockets get token_revoked and close; channels stay. */
  revokeClient(clientId: string): void {
    for (const ch of this.channels.values()) {
      if (ch.clientId !== clientId || !ch.socket) continue;
      this.send(ch.socket, "v2.system", { channelId: ch.id, systemTopicType: "token_revoked", reason: "user_tokens_revoked", message: "token revoked" });
      ch.socket.close(4001, "token revoked");
    }
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    if (this.garbageTimer) clearInterval(this.garbageTimer);
    for (const ch of this.channels.values()) ch.socket?.terminate();
    this.wss.close();
  }

  // ---- internals ------------------------------------------------------------------------

  private expireDue(): void {
    const now = this.clock.now();
    for (const ch of [...this.channels.values()]) if (ch.expires <= now) this.remove(ch, "channel expired");
  }

  private remove(ch: Channel, reason: string): void {
    this.channels.delete(ch.id);
    if (ch.socket) {
      this.send(ch.socket, "v2.system", { channelId: ch.id, systemTopicType: "no_longer_subscribed", message: reason });
      ch.socket.close(1000, reason.slice(0, 100));
    }
  }

  private owned(clientId: string, id: string): Channel {
    const ch = this.channels.get(id);
    if (!ch || ch.clientId !== clientId || ch.expires <= this.clock.now()) {
      throw new HttpError(404, "not.found", `channel ${id} not found`);
    }
    return ch;
  }

  private render(ch: Channel): Record<string, unknown> {
    return { id: ch.id, connectUri: `${this.options.wsBase()}/channels/${ch.id}`, expires: new Date(ch.expires).toISOString() };
  }

  private renderTopic(ch: Channel, t: ChannelTopic): Record<string, unknown> {
    return {
      id: t.id,
      state: t.state,
      ...(t.rejectionReason ? { rejectionReason: t.rejectionReason, missingPermissions: [] } : {}),
      selfUri: `/api/v2/notifications/channels/${ch.id}/subscriptions`,
    };
  }
}

/**
 * A notification frame as JSON up to (not including) its CorrelationId, in the real envelope's
 * order: `{"topicName", "version", "eventBody", "metadata": {"CorrelationId"}}`; the sender
 * appends the id and `"}}`.
 */
function envelopePrefix(topicName: string, eventBody: unknown): string {
  const body = JSON.stringify(eventBody);
  return `{"topicName":${JSON.stringify(topicName)},"version":"2",${body === undefined ? "" : `"eventBody":${body},`}"metadata":{"CorrelationId":"`;
}
