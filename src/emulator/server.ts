/**
 * The Genesys Cloud emulator: one HTTP + WebSocket server on loopback serving OAuth, routing,
 * notifications, analytics, a PagerDuty receiver, and the emulator's own endpoints
 * (/emulator/clock, /emulator/ground-truth, /emulator/faults, /emulator/pagerduty/events).
 * A real-time ticker drives the simulator on the virtual clock and publishes what changes.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { QueueEvent } from "../domain/queue-event.js";
import { VirtualClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { z } from "zod";
import { mulberry32, type Rng } from "../util/random.js";
import { Analytics } from "./analytics.js";
import { Auth, rateLimited } from "./auth.js";
import { errorBody, HttpError, json, parseJson, readBody, Router, send, type Reply, type Request } from "./http.js";
import { Notifications } from "./notifications.js";
import { PagerDutyReceiver } from "./pagerduty.js";
import { conversationSnapshot } from "./render.js";
import { getQueue, listQueues } from "./routing.js";
import { queueSpecSchema, type Scenario } from "./simulator/scenario.js";
import { formatZodError } from "../config/errors.js";
import { Simulator, type SimConversation } from "./simulator/simulator.js";

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
  /** Every frame sent, as a line `CorrelationId TAB sent TAB eventTime TAB topic` (virtual ms), for the load test. */
  frameLogFile?: string;
  pagerDutyPerMinute: number;
  log: Logger;
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
};

const FAULTS = ["drop-sockets", "socket-closing", "stall-heartbeats", "rate-limit", "server-errors", "revoke-tokens", "expire-channels", "drop-events", "garbage-frames"];

/** PATCH /emulator/queues/{id} body. */
const queuePatchSchema = z
  .object({ name: z.string().min(1).optional(), division: z.string().min(1).optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.division !== undefined, { message: "name or division is required" });

const QUEUE_TOPIC = /^v2\.routing\.queues\.([0-9a-f-]{36})\.conversations(?:\.(calls|callbacks|chats|emails|messages))?$/;
const OBS_TOPIC = /^v2\.analytics\.queues\.([0-9a-f-]{36})\.observations$/;
const DETAIL_TOPIC = /^v2\.detail\.events\.conversation\.([0-9a-f-]{36})\.acd\.(start|end)$/;

const mediaTopicSuffix: Record<string, string> = { voice: "calls", callback: "callbacks", chat: "chats", email: "emails", message: "messages" };

const BUCKET_MS = 1_800_000;

interface Stat {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** One queue x media x 30-minute bucket of the aggregate observation metrics. */
interface IntervalAgg {
  queueId: string;
  mediaType: string;
  start: number;
  nOffered: number;
  tAnswered?: Stat;
  tAbandon?: Stat;
  tFlowOut?: Stat;
  tAcd?: Stat;
  tWait?: Stat;
  nOverSla: number;
}

type ObsKind = "waiting" | "interacting" | "members";

/** One observation group (queue x media, or the queue itself) and what it still has to send. */
interface ObsGroup {
  queueId: string;
  mediaType?: string;
  /** Real ms of the last message: at most one per second per group. */
  last: number;
  pending: Set<ObsKind>;
  /** 30-minute buckets whose aggregates changed since they were last sent. */
  buckets: Set<number>;
  /** The last message was an instant one: the next goes to a pending aggregate (no starving). */
  lastInstant?: boolean;
}

function addStat(st: Stat | undefined, v: number): Stat {
  if (!st) return { count: 1, sum: v, min: v, max: v };
  st.count++;
  st.sum += v;
  st.min = Math.min(st.min, v);
  st.max = Math.max(st.max, v);
  return st;
}

export class Emulator {
  readonly clock: VirtualClock;
  readonly sim: Simulator;
  readonly auth: Auth;
  readonly notifications: Notifications;
  readonly analytics: Analytics;
  readonly pagerduty: PagerDutyReceiver;
  readonly faultLog: { at: string; type: string; detail: unknown }[] = [];
  private readonly server: Server;
  private readonly router = new Router();
  private ticker?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  /** Statuses the next API calls get, in order (faults queue up rather than replace each other). */
  private failNext: number[] = [];
  private readonly obsGroups = new Map<string, ObsGroup>();
  /** Groups with something to send (thousands of queues: the ticker visits only these). */
  private readonly dirtyGroups = new Set<ObsGroup>();
  private readonly aggs = new Map<string, IntervalAgg>();
  private readonly obsRng: Rng;
  private truthFile?: WriteStream;
  private frameLog?: WriteStream;
  private port = 0;

  constructor(readonly options: EmulatorOptions) {
    const start = options.start ?? Math.floor(Date.now() / 1000) * 1000;
    this.clock = new VirtualClock(start, options.speed);
    this.sim = new Simulator(options.scenario, { seed: options.seed, start, durationMinutes: options.durationMinutes });
    this.auth = new Auth(options);
    this.notifications = new Notifications(this.clock, {
      wsBase: () => `ws://${options.host}:${this.port}`,
      heartbeatMs: options.heartbeatSeconds * 1000,
      channelTtlMs: options.channelTtlHours * 3_600_000,
      socketClosingGraceMs: Math.max(500, 60_000 / options.speed),
      topicAllowed: (t) => this.topicAllowed(t),
      onFrameSent: options.frameLogFile ? (id, topic, eventTime) => this.frameLog?.write(`${id}\t${this.clock.now()}\t${eventTime ?? ""}\t${topic}\n`) : undefined,
    });
    this.auth.onRevoke = (client) => this.notifications.revokeClient(client);
    this.analytics = new Analytics(this.sim, {
      typicalMs: () => options.ingestionDelaySeconds * 1000 * options.speed,
      tailMs: () => options.ingestionLagTailSeconds * 1000 * options.speed,
      tailShare: options.ingestionLagTailShare,
    });
    this.obsRng = mulberry32(options.seed ^ 0x0b5e7);
    this.pagerduty = new PagerDutyReceiver(options.pagerDutyPerMinute);
    if (options.groundTruthFile) this.truthFile = createWriteStream(options.groundTruthFile);
    if (options.frameLogFile) this.frameLog = createWriteStream(options.frameLogFile);
    this.sim.listen({
      conversationChanged: (conv, time) => this.conversationChanged(conv, time),
      queueEvent: (ev) => this.queueEvent(ev),
      agentsChanged: (ids) => {
        for (const id of ids) this.dirty(this.obsGroup(id, undefined)).pending.add("members");
      },
    });
    this.routes();
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on("upgrade", (req, socket, head) => this.notifications.upgrade(req, socket, head));
  }

  get url(): string {
    return `http://${this.options.host}:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.ticker = setInterval(() => this.tick(), 25);
    this.pruner = setInterval(() => this.prune(), 10_000);
    this.pruner.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.pruner) clearInterval(this.pruner);
    this.notifications.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => (this.truthFile ? this.truthFile.end(resolve) : resolve()));
    await new Promise<void>((resolve) => (this.frameLog ? this.frameLog.end(resolve) : resolve()));
  }

  /** Applies a fault exactly as the real service would show it. */
  fault(body: unknown): Reply {
    const f = (body ?? {}) as { type?: string; seconds?: number; count?: number };
    if (!f.type || !FAULTS.includes(f.type)) {
      throw new HttpError(400, "bad.request", `fault type must be one of ${FAULTS.join(", ")}; got ${JSON.stringify(f.type)}`);
    }
    let affected: number;
    switch (f.type) {
      case "drop-sockets":
        affected = this.notifications.dropSockets();
        break;
      case "socket-closing":
        affected = this.notifications.socketClosing();
        break;
      case "stall-heartbeats":
        affected = this.notifications.stall(positive(f.seconds, "seconds", 60));
        break;
      case "rate-limit":
      case "server-errors":
        affected = positive(f.count, "count", 5);
        for (let i = 0; i < affected; i++) this.failNext.push(f.type === "rate-limit" ? 429 : 503);
        break;
      case "drop-events":
        affected = positive(f.count, "count", 5);
        this.notifications.omitNext += affected;
        break;
      case "garbage-frames":
        affected = this.notifications.garbage(Math.ceil(positive(f.count, "count", 10)));
        break;
      case "revoke-tokens":
        this.auth.revokeAll();
        affected = 1;
        break;
      default:
        affected = this.notifications.expireAll();
    }
    this.faultLog.push({ at: new Date(this.clock.now()).toISOString(), type: f.type, detail: f });
    this.options.log.info({ fault: f.type, affected }, "fault injected");
    return json(200, { type: f.type, affected });
  }

  /** POST /emulator/queues: a queue spec as in scenario files; answers the new queue's id. */
  addQueue(body: unknown): Reply {
    const parsed = queueSpecSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, "bad.request", `queue: ${formatZodError(parsed.error)}`);
    try {
      const q = this.sim.addQueue(parsed.data);
      return json(201, { id: q.id, name: q.name });
    } catch (e) {
      throw new HttpError(400, "bad.request", (e as Error).message);
    }
  }

  /** PATCH /emulator/queues/{id}: rename and/or move to another division (id or name); history stays. */
  patchQueue(id: string, body: unknown): Reply {
    const parsed = queuePatchSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, "bad.request", `queue: ${formatZodError(parsed.error)}`);
    let q;
    try {
      q = this.sim.updateQueue(id, parsed.data);
    } catch (e) {
      throw new HttpError(409, "conflict", (e as Error).message);
    }
    if (!q) throw new HttpError(404, "not.found", `queue ${id} not found`);
    this.options.log.info({ queueId: q.id, name: q.name, division: q.divisionName }, "queue changed");
    return json(200, { id: q.id, name: q.name, division: { id: q.divisionId, name: q.divisionName } });
  }

  /** Finished conversations past retention leave analytics; aggregates of buckets that old go too. */
  private prune(): void {
    const before = this.clock.now() - this.options.retentionHours * 3_600_000;
    this.sim.pruneConversations(before);
    for (const [k, a] of this.aggs) if (a.start + BUCKET_MS < before) this.aggs.delete(k);
  }

  groundTruth(): Record<string, unknown> {
    const groups = new Map<string, { queueId: string; mediaType: string; counts: Record<string, number>; waitsMs: { answered: number[]; abandoned: number[] } }>();
    for (const e of this.sim.events) {
      const key = `${e.queueId}/${e.mediaType}`;
      let g = groups.get(key);
      if (!g) {
        g = { queueId: e.queueId, mediaType: e.mediaType, counts: { offered: 0, answered: 0, abandoned: 0, flowout: 0 }, waitsMs: { answered: [], abandoned: [] } };
        groups.set(key, g);
      }
      g.counts[e.kind]++;
      if (e.kind === "answered" || e.kind === "abandoned") g.waitsMs[e.kind].push(e.waitMs!);
    }
    return { now: new Date(this.clock.now()).toISOString(), settled: this.sim.settled, open: this.sim.open, queues: [...groups.values()] };
  }

  // ---- wiring ---------------------------------------------------------------------------

  private routes(): void {
    const r = this.router;
    const api = (h: (req: Request, client: string) => Reply) => (req: Request) => h(req, this.auth.authorize(req));
    const n = this.notifications;
    r.on("POST", /^\/oauth\/token$/, (req) => this.auth.issue(req));
    r.on("GET", /^\/api\/v2\/routing\/queues$/, api((req) => listQueues(this.sim.queues, req)));
    r.on("GET", /^\/api\/v2\/routing\/queues\/([^/]+)$/, api((req) => getQueue(this.sim.queues, req.params[0])));
    r.on("POST", /^\/api\/v2\/notifications\/channels$/, api((_req, c) => n.create(c)));
    r.on("GET", /^\/api\/v2\/notifications\/channels$/, api((_req, c) => n.list(c)));
    r.on("GET", /^\/api\/v2\/notifications\/channels\/([^/]+)$/, api((req, c) => n.exists(c, req.params[0])));
    r.on("GET", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscriptions(c, req.params[0])));
    const ignore = (req: Request) => req.query.get("ignoreErrors") === "true";
    r.on("POST", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscribe(c, req.params[0], req.body, false, ignore(req))));
    r.on("PUT", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscribe(c, req.params[0], req.body, true, ignore(req))));
    r.on("DELETE", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.unsubscribeAll(c, req.params[0])));
    r.on("POST", /^\/api\/v2\/analytics\/conversations\/details\/query$/, api((req) => this.analytics.detailsQuery(req.body, req.headers.authorization)));
    r.on("GET", /^\/api\/v2\/analytics\/conversations\/([^/]+)\/details$/, api((req) => this.analytics.conversation(req.params[0])));
    r.on("POST", /^\/api\/v2\/analytics\/queues\/observations\/query$/, api((req) => this.analytics.observationsQuery(req.body)));
    r.on("POST", /^\/v2\/enqueue$/, (req) => this.pagerduty.enqueue(req.body));
    // alerting hook (issue 10): incidents (PagerDuty's dedup) and injected refusals
    r.on("GET", /^\/emulator\/pagerduty\/events$/, () => json(200, { events: this.pagerduty.accepted, incidents: this.pagerduty.incidents }));
    r.on("GET", /^\/emulator\/pagerduty\/incidents$/, () => json(200, { incidents: this.pagerduty.incidents }));
    r.on("POST", /^\/emulator\/pagerduty\/faults$/, (req) => this.pagerduty.fault(req.body));
    r.on("GET", /^\/emulator\/clock$/, () => json(200, { now: new Date(this.clock.now()).toISOString(), speed: this.options.speed }));
    r.on("GET", /^\/emulator\/ground-truth$/, () => json(200, this.groundTruth()));
    r.on("POST", /^\/emulator\/faults$/, (req) => this.fault(req.body));
    r.on("GET", /^\/emulator\/faults$/, () => json(200, { faults: this.faultLog }));
    r.on("POST", /^\/emulator\/queues$/, (req) => this.addQueue(req.body));
    r.on("PATCH", /^\/emulator\/queues\/([^/]+)$/, (req) => this.patchQueue(req.params[0], req.body));
    r.on("DELETE", /^\/emulator\/queues\/([^/]+)$/, (req) => {
      if (!this.sim.removeQueue(req.params[0])) throw new HttpError(404, "not.found", `queue ${req.params[0]} not found`);
      return { status: 204 };
    });
  }

  private async handle(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    try {
      const { handler, params } = this.router.match(req.method ?? "GET", url.pathname);
      const isGenesys = url.pathname.startsWith("/api/") || url.pathname === "/oauth/token";
      const injected = isGenesys ? this.failNext.shift() : undefined;
      if (injected !== undefined) {
        if (injected === 429) throw rateLimited(2);
        throw new HttpError(503, "service.unavailable", "The service is currently unavailable");
      }
      const rawBody = await readBody(req);
      const body = parseJson(rawBody, req.headers["content-type"]);
      this.sim.advanceTo(this.clock.now());
      // Frames of the simulated past leave before the request acts (a fault must not catch them).
      this.notifications.flush();
      const reply = await handler({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, params, headers: req.headers, body, rawBody });
      send(res, reply, req.method === "HEAD");
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, json(e.status, errorBody(e.status, e.code, e.message), e.headers), req.method === "HEAD");
      } else {
        this.options.log.error({ err: e }, "emulator handler failed");
        send(res, json(500, errorBody(500, "internal.server.error", "internal error")));
      }
    }
  }

  private topicAllowed(topic: string): boolean {
    const q = QUEUE_TOPIC.exec(topic) ?? OBS_TOPIC.exec(topic);
    if (q) return this.sim.queueById(q[1], false) !== undefined;
    return DETAIL_TOPIC.test(topic);
  }

  private tick(): void {
    this.sim.advanceTo(this.clock.now());
    const now = Date.now();
    for (const g of this.dirtyGroups) {
      if (g.pending.size === 0 && g.buckets.size === 0) {
        this.dirtyGroups.delete(g);
        continue;
      }
      // "at most at a rate of one notification per second" (per group)
      if (g.last > now - 1000) continue;
      if (this.publishObservation(g)) g.last = now;
      if (g.pending.size === 0 && g.buckets.size === 0) this.dirtyGroups.delete(g);
    }
  }

  private dirty(g: ObsGroup): ObsGroup {
    this.dirtyGroups.add(g);
    return g;
  }

  private obsGroup(queueId: string, mediaType: string | undefined): ObsGroup {
    const key = `${queueId}|${mediaType ?? ""}`;
    let g = this.obsGroups.get(key);
    if (!g) this.obsGroups.set(key, (g = { queueId, mediaType, last: 0, pending: new Set(), buckets: new Set() }));
    return g;
  }

  private conversationChanged(conv: SimConversation, time: number): void {
    const latest = conv.versions[conv.versions.length - 1];
    const queues = new Set(latest.participants.flatMap((p) => (p.queueId ? [p.queueId] : [])));
    let body: Record<string, unknown> | undefined;
    for (const q of queues) {
      const g = this.dirty(this.obsGroup(q, conv.mediaType));
      g.pending.add("waiting");
      g.pending.add("interacting");
      for (const topic of [`v2.routing.queues.${q}.conversations`, `v2.routing.queues.${q}.conversations.${mediaTopicSuffix[conv.mediaType]}`]) {
        if (!this.notifications.hasListener(topic)) continue;
        body ??= conversationSnapshot(conv, latest.participants);
        this.notifications.publish(topic, body, time);
      }
    }
  }

  /**
   * Aggregates count each metric in the 30-minute bucket of its own time: nOffered at the acd
   * start, the others at the acd end (tAnswered's emit time is kept inside that bucket), so they
   * equal the ground truth bucketed by event time exactly.
   */
  private queueEvent(ev: QueueEvent): void {
    this.truthFile?.write(JSON.stringify(ev) + "\n");
    const start = Math.floor(ev.time / BUCKET_MS) * BUCKET_MS;
    const key = `${ev.queueId}|${ev.mediaType}|${start}`;
    let agg = this.aggs.get(key);
    if (!agg) this.aggs.set(key, (agg = { queueId: ev.queueId, mediaType: ev.mediaType, start, nOffered: 0, nOverSla: 0 }));
    const q = this.sim.queueById(ev.queueId)!;
    if (ev.kind === "offered") agg.nOffered++;
    else {
      const w = ev.waitMs!;
      agg.tAcd = addStat(agg.tAcd, w);
      agg.tWait = addStat(agg.tWait, w);
      if (ev.kind === "answered") {
        agg.tAnswered = addStat(agg.tAnswered, w);
        if (w > q.spec.serviceLevel.durationMs) agg.nOverSla++;
      } else if (ev.kind === "abandoned") agg.tAbandon = addStat(agg.tAbandon, w);
      else agg.tFlowOut = addStat(agg.tFlowOut, w);
    }
    this.dirty(this.obsGroup(ev.queueId, ev.mediaType)).buckets.add(start);
  }

  /**
   * Sends one message for the group, carrying only the metrics it has: queue-level member
   * figures; or oAlerting + oWaiting (with oInteracting half of the time, else on its own later);
   * or oInteracting; or one bucket's aggregates. False if nobody listens (nothing is queued up).
   */
  private publishObservation(g: ObsGroup): boolean {
    const topic = `v2.analytics.queues.${g.queueId}.observations`;
    if (!this.notifications.hasListener(topic)) {
      g.pending.clear();
      g.buckets.clear();
      return false;
    }
    const now = new Date(this.clock.now()).toISOString();
    const instant = `${now}/${now}`;
    if (g.mediaType === undefined) {
      g.pending.clear();
      const m = this.sim.members(g.queueId);
      this.notifications.publish(topic, {
        group: { queueId: g.queueId },
        data: [
          {
            interval: instant,
            metrics: [
              { metric: "oMemberUsers", stats: { count: m.members } },
              { metric: "oUserRoutingStatuses", qualifier: "IDLE", stats: { count: m.idle } },
              { metric: "oUserRoutingStatuses", qualifier: "INTERACTING", stats: { count: m.interacting } },
            ],
          },
        ],
      });
      return true;
    }
    const group = { queueId: g.queueId, mediaType: g.mediaType };
    const o = this.sim.observe(g.queueId).get(g.mediaType) ?? { waiting: [], interacting: 0, alerting: 0 };
    if ((g.pending.has("waiting") || g.pending.has("interacting")) && !(g.lastInstant && g.buckets.size > 0)) {
      g.lastInstant = true;
      const metrics: unknown[] = [];
      if (g.pending.delete("waiting")) {
        metrics.push({ metric: "oAlerting", stats: { count: o.alerting } }, { metric: "oWaiting", stats: { count: o.waiting.length } });
        if (g.pending.has("interacting") && this.obsRng() < 0.5) {
          g.pending.delete("interacting");
          metrics.push({ metric: "oInteracting", stats: { count: o.interacting } });
        }
      } else {
        g.pending.delete("interacting");
        metrics.push({ metric: "oInteracting", stats: { count: o.interacting } });
      }
      this.notifications.publish(topic, { group, data: [{ interval: instant, metrics }] });
      return true;
    }
    g.lastInstant = false;
    const bucket = Math.min(...g.buckets);
    g.buckets.delete(bucket);
    const agg = this.aggs.get(`${g.queueId}|${g.mediaType}|${bucket}`);
    if (!agg) return false;
    const q = this.sim.queueById(g.queueId)!;
    const metrics: unknown[] = [];
    if (agg.nOffered > 0) metrics.push({ metric: "nOffered", stats: { count: agg.nOffered } });
    for (const name of ["tAnswered", "tAbandon", "tFlowOut", "tAcd", "tWait"] as const) {
      const st = agg[name];
      if (st) metrics.push({ metric: name, stats: { ...st } });
    }
    if (agg.nOverSla > 0) metrics.push({ metric: "nOverSla", stats: { count: agg.nOverSla } });
    const answered = agg.tAnswered?.count ?? 0;
    const denominator = answered + (agg.tAbandon?.count ?? 0);
    if (denominator > 0) {
      const numerator = answered - agg.nOverSla;
      metrics.push({ metric: "oServiceLevel", stats: { ratio: numerator / denominator, numerator, denominator, target: q.spec.serviceLevel.percentage } });
    }
    const interval = `${new Date(agg.start).toISOString()}/${new Date(agg.start + BUCKET_MS).toISOString()}`;
    this.notifications.publish(topic, { group, data: [{ interval, metrics }] });
    return true;
  }
}

function positive(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !(v > 0)) throw new HttpError(400, "bad.request", `${name} must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}
