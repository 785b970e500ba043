/**
 * The monitor's HTTP server. Every request passes the same front door (src/http/auth.ts: path
 * prefix, token) and then one route module: the wallboard's (src/wallboard/routes.ts) or the API's
 * (./api-routes.ts). Hardened for a hostile network: a cap on open connections (past it a clear
 * 503, then close) and on wallboard pages, header and idle timeouts, the usual security headers,
 * and optionally a list of allowed Host names (against DNS rebinding).
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../util/log.js";
import { readAlerts } from "../wallboard/alerts.js";
import { Wallboard, type WallboardOptions } from "../wallboard/routes.js";
import { ApiRoutes, openRoute } from "./api-routes.js";
import { FrontDoor } from "./auth.js";
import type { ServerConfig } from "./config.js";
import type { MonitorView } from "./view.js";

/** Scripts, styles and connections from this origin only; never framed. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

const FULL = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 5\r\n\r\n" + JSON.stringify({ error: "too many open connections (server.maxConnections)" });

export interface HttpStats {
  connections: number;
  refusedConnections: number;
  refusedHosts: number;
}

/** The wallboard's windows (from stats.windowsMinutes), and its pacing (tests shorten it). */
export type BoardSettings = Pick<WallboardOptions, "windowsMinutes" | "colours" | "pushMs" | "sampleMs" | "idleSampleMs">;

export async function startHttpServer(view: MonitorView, cfg: ServerConfig, board: BoardSettings, log: Logger): Promise<Server & { stats: HttpStats }> {
  const { host, port, text: listen } = cfg.listen;
  const door = new FrontDoor(cfg.basePath, cfg.token);
  if (!door.tokenRequired && !/^(127\.|localhost$|::1$)/.test(host)) log.warn({ listen }, "listening beyond loopback without server.token: the page and the API are open to anyone who can reach it");
  const wallboard = new Wallboard(
    { snapshot: () => view.queues((q) => view.monitored(q)), health: () => view.health(), alerts: () => readAlerts(view.alerts()), now: () => view.now() },
    { ...board, maxPages: cfg.maxEventStreams },
    log,
  );
  const api = new ApiRoutes(view, log);
  const allowedHosts = new Set(cfg.allowedHosts.map((h) => h.toLowerCase()));
  const stats: HttpStats = { connections: 0, refusedConnections: 0, refusedHosts: 0 };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    try {
      if (allowedHosts.size > 0) {
        const h = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "");
        if (!allowedHosts.has(h)) {
          stats.refusedHosts++;
          res.writeHead(403, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "this Host is not served here (server.allowedHosts)" }));
          return;
        }
      }
      const a = door.admit(req, res);
      if (a.kind === "answered") return;
      if (!a.authorized && !openRoute(a.path)) return door.refuse(res);
      if (wallboard.handle(req, res, a.path)) return;
      api.handle(req, res, a.path, a.url, a.authorized);
    } catch (e) {
      log.error({ err: (e as Error).message }, "request failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "internal error" }));
    }
  });
  server.headersTimeout = cfg.headersTimeoutSeconds * 1000;
  server.requestTimeout = Math.max(cfg.headersTimeoutSeconds * 1000, 30_000);
  server.keepAliveTimeout = cfg.idleTimeoutSeconds * 1000;
  // A connection that sends nothing for this long is closed (wallboard pages opt out).
  server.timeout = cfg.idleTimeoutSeconds * 1000;
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    if (open.size >= cfg.maxConnections) {
      stats.refusedConnections++;
      socket.end(FULL);
      socket.destroySoon?.();
      return;
    }
    open.add(socket);
    stats.connections = open.size;
    socket.once("close", () => {
      open.delete(socket);
      stats.connections = open.size;
    });
  });
  server.on("close", () => wallboard.close());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`server.listen: cannot listen on ${listen}: ${e.message}`)));
    server.listen(port, host, () => resolve());
  });
  return Object.assign(server, { stats });
}
