/**
 * The monitor's API: /healthz (alive), /readyz (connected, caught up and nothing blocked; 503
 * names the reasons), /api/health, /api/queues, /api/alerts, /metrics. Without the token (when one
 * is set), /healthz and /readyz answer only alive / ready: the self-health holds per-queue counts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../util/log.js";
import type { MonitorView } from "./view.js";

export const RESOURCES = ["/", "/healthz", "/readyz", "/api/queues", "/api/health", "/api/alerts", "/metrics", "/api/wallboard"];

function reply(res: ServerResponse, status: number, body: unknown, head = false): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(head ? undefined : JSON.stringify(body));
}

/** Routes that stay open with a token set (liveness and readiness probes carry no secret). */
export function openRoute(path: string): boolean {
  return path === "/healthz" || path === "/readyz";
}

export class ApiRoutes {
  constructor(
    private readonly view: MonitorView,
    private readonly log: Logger,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL, authorized: boolean): void {
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) return reply(res, 405, { error: `${req.method} not allowed` });
    const v = this.view;
    switch (path) {
      case "/healthz":
        return reply(res, 200, authorized ? { status: "ok", ...v.health() } : { status: "ok" }, head);
      case "/readyz": {
        const h = v.health();
        const body = authorized ? { ready: h.ready, connected: h.connected, caughtUp: h.caughtUp, reasons: h.reasons, problems: h.problems } : { ready: h.ready };
        return reply(res, h.ready ? 200 : 503, body, head);
      }
      case "/api/health":
        return reply(res, 200, v.health(), head);
      case "/api/alerts":
        return reply(res, 200, { generatedAt: new Date(v.now()).toISOString(), alerts: v.alerts() }, head);
      case "/api/queues": {
        const queueId = url.searchParams.get("queueId");
        return reply(res, 200, { generatedAt: new Date(v.now()).toISOString(), queues: v.queues(queueId ? (q) => q === queueId : undefined) }, head);
      }
      case "/metrics":
        v.metrics().then(
          (m) => {
            res.writeHead(200, { "content-type": m.contentType, "cache-control": "no-store" });
            res.end(head ? undefined : m.body, () => v.metricsSent(m.body));
          },
          (e: Error) => {
            this.log.error({ err: e.message }, "/metrics failed");
            reply(res, 500, { error: "internal error" });
          },
        );
        return;
      default:
        return reply(res, 404, { error: `no resource at ${path}`, resources: RESOURCES });
    }
  }
}
