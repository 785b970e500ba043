/**
 * The Genesys Cloud emulator: one HTTP + WebSocket server on loopback serving OAuth, routing,
 * notifications, analytics, a PagerDuty receiver, and the emulator's own endpoints
 * (/emulator/clock, /emulator/ground-truth, /emulator/faults, /emulator/queues,
 * /emulator/pagerduty/...). A real-time ticker drives the simulator on the virtual clock and
 * publishes what changes. The parts: routes, faults, admin, ground-truth, observation-publisher
 * and conversation-topics, and with `eventBridge` the EventBridge integration, which puts every
 * notification into an SQS queue as well; this class wires them and owns the server's life.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { VirtualClock } from "../util/clock.js";
import { addQueue, patchQueue, removeQueue } from "./admin.js";
import { agentReading, type AgentReading } from "./agent-metrics.js";
import { Analytics } from "./analytics/analytics.js";
import { Auth, rateLimited } from "./auth.js";
import { EventBridgeIntegration } from "./eventbridge/integration.js";
import { EventBridgePublisher } from "./eventbridge/publisher.js";
import { publishConversation, topicAllowed } from "./conversation-topics.js";
import { Faults } from "./faults.js";
import { groundTruth, visitTruth, wantsVisits } from "./ground-truth.js";
import { errorBody, HttpError, json, parseJson, readBody, Router, send, type Reply } from "./http.js";
import { Notifications } from "./notifications.js";
import { ObservationPublisher } from "./observation-publisher.js";
import { emulatorDefaults, type EmulatorOptions } from "./options.js";
import { PagerDutyReceiver } from "./pagerduty.js";
import { registerRoutes } from "./routes.js";
import { Simulator } from "./simulator/simulator.js";
import { DEFAULT_VISIT_WINDOW_HOURS, VisitLog } from "./visits.js";

export { emulatorDefaults, type EmulatorOptions } from "./options.js";

export class Emulator {
  readonly clock: VirtualClock;
  readonly sim: Simulator;
  readonly auth: Auth;
  readonly notifications: Notifications;
  readonly analytics: Analytics;
  readonly pagerduty: PagerDutyReceiver;
  readonly faultLog: { at: string; type: string; detail: unknown }[];
  /** The EventBridge integration, when the emulator publishes to SQS too. */
  readonly eventBridge?: EventBridgeIntegration;
  private readonly faults: Faults;
  private readonly observations: ObservationPublisher;
  private readonly visits: VisitLog;
  private readonly server: Server;
  private readonly router = new Router();
  private ticker?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private truthFile?: WriteStream;
  private frameLog?: WriteStream;
  private port = 0;

  constructor(readonly options: EmulatorOptions) {
    const start = options.start ?? Math.floor(Date.now() / 1000) * 1000;
    this.clock = new VirtualClock(start, options.speed);
    this.sim = new Simulator(options.scenario, { seed: options.seed, start, durationMinutes: options.durationMinutes });
    this.auth = new Auth(options);
    const onFrameSent = options.frameLogFile ? (id: string, topic: string, eventTime: number | undefined) => this.frameLog?.write(`${id}\t${this.clock.now()}\t${eventTime ?? ""}\t${topic}\n`) : undefined;
    const eb = options.eventBridge;
    if (eb) {
      const { topicFilters, ...sqs } = eb;
      const publisher = new EventBridgePublisher(
        {
          ...sqs,
          orgId: eb.orgId ?? emulatorDefaults.eventBridgeOrgId,
          seed: options.seed,
          reorderWindowMs: eb.reorderWindowMs ?? emulatorDefaults.eventBridgeReorderMs,
          duplicateShare: eb.duplicateShare ?? emulatorDefaults.eventBridgeDuplicateShare,
          now: () => this.clock.now(),
        },
        options.log,
      );
      this.eventBridge = new EventBridgeIntegration(publisher, topicFilters, onFrameSent);
    }
    this.notifications = new Notifications(this.clock, {
      wsBase: () => `ws://${options.host}:${this.port}`,
      heartbeatMs: options.heartbeatSeconds * 1000,
      channelTtlMs: options.channelTtlHours * 3_600_000,
      socketClosingGraceMs: Math.max(500, 60_000 / options.speed),
      topicAllowed: (t) => topicAllowed(this.sim, t),
      onFrameSent,
      bridge: this.eventBridge,
    });
    this.auth.onRevoke = (client) => this.notifications.revokeClient(client);
    const readingOf = (queueId: string) => agentReading(options.seed, queueId);
    this.analytics = new Analytics(
      this.sim,
      {
        typicalMs: () => options.ingestionDelaySeconds * 1000 * options.speed,
        tailMs: () => options.ingestionLagTailSeconds * 1000 * options.speed,
        tailShare: options.ingestionLagTailShare,
      },
      readingOf,
    );
    this.observations = new ObservationPublisher(this.sim, this.notifications, options.seed, readingOf);
    this.faults = new Faults(this.clock, this.notifications, this.auth, options.log, this.eventBridge);
    this.faultLog = this.faults.log;
    this.pagerduty = new PagerDutyReceiver(options.pagerDutyPerMinute);
    const windowHours = options.visitWindowHours ?? DEFAULT_VISIT_WINDOW_HOURS;
    if (!(windowHours > 0)) throw new RangeError(`visitWindowHours must be > 0, got ${windowHours}`);
    this.visits = new VisitLog(windowHours * 3_600_000);
    if (options.groundTruthFile) this.truthFile = createWriteStream(options.groundTruthFile);
    if (options.frameLogFile) this.frameLog = createWriteStream(options.frameLogFile);
    this.sim.listen({
      conversationChanged: (conv, time) => {
        this.observations.conversationChanged(conv);
        publishConversation(this.notifications, conv, time);
      },
      queueEvent: (ev) => {
        this.truthFile?.write(JSON.stringify(ev) + "\n");
        this.visits.add(ev);
        this.observations.queueEvent(ev);
      },
      agentsChanged: (ids) => this.observations.agentsChanged(ids),
    });
    registerRoutes(this.router, {
      auth: this.auth,
      sim: this.sim,
      notifications: this.notifications,
      analytics: this.analytics,
      aggregates: this.observations.aggs,
      pagerduty: this.pagerduty,
      emulator: {
        clock: () => json(200, { now: new Date(this.clock.now()).toISOString(), speed: this.options.speed }),
        groundTruth: (req) => json(200, this.groundTruth({ visits: wantsVisits(req.query.get("visits")) })),
        fault: (body) => this.fault(body),
        faults: () => json(200, { faults: this.faultLog }),
        addQueue: (body) => this.addQueue(body),
        patchQueue: (id, body) => this.patchQueue(id, body),
        removeQueue: (id) => removeQueue(this.sim, id),
        eventBridge: () => (this.eventBridge ? json(200, { queueUrl: eb?.queueUrl, topicFilters: this.eventBridge.filters, ...this.eventBridge.publisher.stats }) : json(404, { message: "EventBridge is off (start with --eventbridge-sqs)" })),
      },
    });
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
    await this.eventBridge?.publisher.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => (this.truthFile ? this.truthFile.end(resolve) : resolve()));
    await new Promise<void>((resolve) => (this.frameLog ? this.frameLog.end(resolve) : resolve()));
  }

  /** Applies a fault exactly as the real service would show it. */
  fault(body: unknown): Reply {
    return this.faults.apply(body);
  }

  /** POST /emulator/queues: a queue spec as in scenario files; answers the new queue's id. */
  addQueue(body: unknown): Reply {
    return addQueue(this.sim, body);
  }

  /** PATCH /emulator/queues/{id}: rename and/or move to another division (id or name); history stays. */
  patchQueue(id: string, body: unknown): Reply {
    return patchQueue(this.sim, id, body, this.options.log);
  }

  /** How queue `queueId` renders its agent metrics in this run (see agent-metrics). */
  agentReading(queueId: string): AgentReading {
    return agentReading(this.options.seed, queueId);
  }

  /** The ground truth; `visits`: with every queue visit of the window and the agents now. */
  groundTruth(opts: { visits?: boolean } = {}): Record<string, unknown> {
    if (!opts.visits) return groundTruth(this.sim, this.clock.now());
    // One instant for all of it: the simulated now whose visits and agents it shows.
    const truth = groundTruth(this.sim, this.sim.now);
    this.visits.prune(this.sim.now);
    return { ...truth, ...visitTruth(this.sim, this.visits) };
  }

  /** Finished conversations past retention leave analytics; aggregates of buckets that old go too; visits past their window. */
  private prune(): void {
    const before = this.clock.now() - this.options.retentionHours * 3_600_000;
    this.sim.pruneConversations(before);
    this.observations.prune(before);
    this.visits.prune(this.sim.now);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    try {
      const { handler, params } = this.router.match(req.method ?? "GET", url.pathname);
      const isGenesys = url.pathname.startsWith("/api/") || url.pathname === "/oauth/token";
      const injected = isGenesys ? this.faults.nextFailure() : undefined;
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

  private tick(): void {
    this.sim.advanceTo(this.clock.now());
    this.observations.tick(Date.now());
  }
}
