/**
 * The route table: Genesys' OAuth, routing, notifications and analytics APIs (authorized, rate
 * limited), PagerDuty's Events API, and the emulator's own endpoints under /emulator/.
 */
import { aggregatesQuery } from "./analytics/aggregates-query.js";
import type { Analytics } from "./analytics/analytics.js";
import type { IntervalAggregates } from "./interval-aggregates.js";
import type { Auth } from "./auth.js";
import { json, type Reply, type Request, type Router } from "./http.js";
import type { Notifications } from "./notifications.js";
import type { PagerDutyReceiver } from "./pagerduty.js";
import { getQueue, listQueues } from "./routing.js";
import type { Simulator } from "./simulator/simulator.js";

export interface RouteTargets {
  auth: Auth;
  sim: Simulator;
  notifications: Notifications;
  analytics: Analytics;
  /** The 30-minute aggregates (the observation topic's), for the aggregates query. */
  aggregates: IntervalAggregates;
  pagerduty: PagerDutyReceiver;
  /** The emulator's own endpoints. */
  emulator: {
    clock(): Reply;
    groundTruth(req: Request): Reply;
    fault(body: unknown): Reply;
    faults(): Reply;
    addQueue(body: unknown): Reply;
    patchQueue(id: string, body: unknown): Reply;
    removeQueue(id: string): Reply;
    /** What the EventBridge integration published (404 when it is off). */
    eventBridge(): Reply;
  };
}

export function registerRoutes(r: Router, t: RouteTargets): void {
  const api = (h: (req: Request, client: string) => Reply) => (req: Request) => h(req, t.auth.authorize(req));
  const n = t.notifications;
  const e = t.emulator;
  r.on("POST", /^\/oauth\/token$/, (req) => t.auth.issue(req));
  const members = (queueId: string) => t.sim.agentFigures(queueId).members;
  r.on("GET", /^\/api\/v2\/routing\/queues$/, api((req) => listQueues(t.sim.queues, req, members)));
  r.on("GET", /^\/api\/v2\/routing\/queues\/([^/]+)$/, api((req) => getQueue(t.sim.queues, req.params[0], members)));
  r.on("POST", /^\/api\/v2\/notifications\/channels$/, api((_req, c) => n.create(c)));
  r.on("GET", /^\/api\/v2\/notifications\/channels$/, api((_req, c) => n.list(c)));
  r.on("GET", /^\/api\/v2\/notifications\/channels\/([^/]+)$/, api((req, c) => n.exists(c, req.params[0])));
  r.on("GET", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscriptions(c, req.params[0])));
  const ignore = (req: Request) => req.query.get("ignoreErrors") === "true";
  r.on("POST", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscribe(c, req.params[0], req.body, false, ignore(req))));
  r.on("PUT", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.subscribe(c, req.params[0], req.body, true, ignore(req))));
  r.on("DELETE", /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/, api((req, c) => n.unsubscribeAll(c, req.params[0])));
  r.on("POST", /^\/api\/v2\/analytics\/conversations\/details\/query$/, api((req) => t.analytics.detailsQuery(req.body, req.headers.authorization)));
  r.on("GET", /^\/api\/v2\/analytics\/conversations\/([^/]+)\/details$/, api((req) => t.analytics.conversation(req.params[0])));
  r.on("POST", /^\/api\/v2\/analytics\/queues\/observations\/query$/, api((req) => t.analytics.observationsQuery(req.body)));
  r.on("POST", /^\/api\/v2\/analytics\/conversations\/aggregates\/query$/, api((req) => aggregatesQuery(req.body, t.aggregates, t.sim.queues)));
  r.on("POST", /^\/v2\/enqueue$/, (req) => t.pagerduty.enqueue(req.body));
  // PagerDuty's side: what was accepted, the incidents (its dedup), and injected refusals.
  r.on("GET", /^\/emulator\/pagerduty\/events$/, () => json(200, { events: t.pagerduty.accepted, incidents: t.pagerduty.incidents }));
  r.on("GET", /^\/emulator\/pagerduty\/incidents$/, () => json(200, { incidents: t.pagerduty.incidents }));
  r.on("POST", /^\/emulator\/pagerduty\/faults$/, (req) => t.pagerduty.fault(req.body));
  r.on("GET", /^\/emulator\/clock$/, () => e.clock());
  r.on("GET", /^\/emulator\/ground-truth$/, (req) => e.groundTruth(req));
  r.on("POST", /^\/emulator\/faults$/, (req) => e.fault(req.body));
  r.on("GET", /^\/emulator\/faults$/, () => e.faults());
  r.on("GET", /^\/emulator\/eventbridge$/, () => e.eventBridge());
  r.on("POST", /^\/emulator\/queues$/, (req) => e.addQueue(req.body));
  r.on("PATCH", /^\/emulator\/queues\/([^/]+)$/, (req) => e.patchQueue(req.params[0], req.body));
  r.on("DELETE", /^\/emulator\/queues\/([^/]+)$/, (req) => e.removeQueue(req.params[0]));
}
