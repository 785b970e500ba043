/**
 * The monitor's HTTP face: /healthz (alive, with self-health), /readyz (connected, caught up and
 * nothing blocked; 503 names the reasons),
 * /api/queues (every queue x media's figures), /api/health.
 */
import { createServer, type Server } from "node:http";
import type { Monitor } from "../app/monitor.js";
import { readAlerts } from "../wallboard/alerts.js";
import { Wallboard } from "../wallboard/server.js";

export async function startHttpServer(monitor: Monitor, listen: string): Promise<Server> {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  // wallboard hook (issue 11): the page at / (live over SSE), path prefix and bearer token for every route.
  const { basePath, token } = monitor.config.server;
  if (!token && !/^(127\.|localhost$|\[?::1\]?$)/.test(host)) monitor.log.warn({ listen }, "listening beyond loopback without server.token: the page and the API are open to anyone who can reach it");
  const wallboard = new Wallboard(
    { snapshot: () => monitor.engine.snapshot(), health: () => monitor.health(), alerts: () => readAlerts(monitor), now: () => monitor.clock.now() },
    { basePath, token },
    monitor.log,
  );
  const server = createServer((req, res) => {
    let path: string | null;
    try {
      path = wallboard.route(req, res); // wallboard hook (issue 11)
    } catch (e) {
      monitor.log.error({ err: (e as Error).message }, "wallboard request failed");
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal error" }));
      return;
    }
    if (path === null) return;
    const url = new URL(req.url ?? "/", "http://monitor");
    url.pathname = path;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return reply(405, { error: `${req.method} not allowed` });
      switch (url.pathname) {
        case "/healthz":
          return reply(200, { status: "ok", ...monitor.health() });
        case "/readyz": {
          const h = monitor.health();
          return reply(h.ready ? 200 : 503, { ready: h.ready, connected: h.connected, caughtUp: h.caughtUp, reasons: h.reasons, problems: h.problems });
        }
        case "/api/health":
          return reply(200, monitor.health());
        case "/metrics": // export hook (issue 9): Prometheus text format
          monitor.exporter.metrics().then(
            (m) => {
              res.writeHead(200, { "content-type": m.contentType, "cache-control": "no-store" });
              res.end(req.method === "HEAD" ? undefined : m.body, () => monitor.exporter.metricsSent(m.body));
            },
            (e: Error) => {
              monitor.log.error({ err: e.message }, "/metrics failed");
              reply(500, { error: "internal error" });
            },
          );
          return;
        case "/api/alerts": // alerting hook (issue 10)
          return reply(200, { generatedAt: new Date(monitor.clock.now()).toISOString(), alerts: monitor.alertStates() });
        case "/api/queues": {
          const queueId = url.searchParams.get("queueId");
          return reply(200, { generatedAt: new Date(monitor.clock.now()).toISOString(), queues: monitor.engine.snapshot(queueId ? (q) => q === queueId : undefined) });
        }
        default:
          return reply(404, { error: `no resource at ${url.pathname}`, resources: ["/", "/healthz", "/readyz", "/api/queues", "/api/health", "/api/alerts", "/metrics", "/api/wallboard"] });
      }
    } catch (e) {
      monitor.log.error({ err: (e as Error).message, path: url.pathname }, "request failed");
      reply(500, { error: "internal error" });
    }
  });
  server.on("close", () => wallboard.close()); // wallboard hook (issue 11)
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on ${listen}: ${e.message}`)));
    server.listen(port, host, () => resolve());
  });
  return server;
}
