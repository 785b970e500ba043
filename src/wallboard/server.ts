/**
 * The wallboard (issue 11): a page at `/` with one tile per queue x media type, kept live over
 * Server-Sent Events from the engine's snapshot. One snapshot per tick serves every open page (no
 * polling storm); the last hour of p90 wait and waiting is kept here so a page opened late still
 * draws its charts. Also the HTTP front door: the path prefix (server.basePath) and the optional
 * bearer token (server.token) apply to every route, the monitor's API included.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { Logger } from "../util/log.js";
import { tileAlert, type TileAlertState, type WallboardAlert } from "./alerts.js";

export interface WallboardSource {
  snapshot(): SeriesSnapshot[];
  health(): { connected: boolean; caughtUp: boolean; reasons: string[] };
  alerts(): WallboardAlert[];
  /** The monitor's clock (virtual in the demo). */
  now(): number;
}

export interface WallboardOptions {
  basePath: string;
  token?: string;
  /** Real ms between pushes to open pages. */
  pushMs?: number;
  /** Clock ms between chart points, and how much history the charts show. */
  sampleMs?: number;
  historyMs?: number;
  /** With no page open, history is still sampled, but at most this often (real ms). */
  idleSampleMs?: number;
}

export interface Tile {
  key: string;
  queueId: string;
  queueName: string;
  mediaType: string;
  waiting: number;
  longestWaitingSeconds: number | null;
  serviceLevel: number | null;
  serviceLevelTarget: { percentage: number; thresholdSeconds: number };
  p50: number | null;
  p90: number | null;
  p95: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  interval: { start: string; end: string };
  alert: TileAlertState;
  alertRules: string[];
}

export interface Banner {
  kind: "disconnected" | "catching-up";
  text: string;
}

/** [time ms, p90 wait s (5-minute window), waiting]. */
export type Point = [number, number | null, number];

export interface WallboardState {
  generatedAt: string;
  window: string;
  banner: Banner | null;
  tiles: Tile[];
}

const TILE_WINDOW = "15m";
const CHART_WINDOW = "5m";
/** Paths that stay open with a token set: liveness and readiness probes carry no secret. */
const OPEN_PATHS = new Set(["/healthz", "/readyz"]);
const COOKIE = "queue_monitor_token";
const HEARTBEAT_MS = 15_000;

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

/** The page's own files (web/wallboard in the package) and uPlot's, from its npm package. */
function assetFiles(): Map<string, string> {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/wallboard -> package root; src/wallboard (when run from sources) -> package root.
  const web = [join(here, "../../../web/wallboard"), join(here, "../../web/wallboard")].find((d) => existsSync(join(d, "index.html")));
  if (!web) throw new Error(`wallboard assets not found near ${here}`);
  const uplot = dirname(createRequire(import.meta.url).resolve("uplot"));
  return new Map([
    ["index.html", join(web, "index.html")],
    ["app.js", join(web, "app.js")],
    ["style.css", join(web, "style.css")],
    ["uPlot.iife.min.js", join(uplot, "uPlot.iife.min.js")],
    ["uPlot.min.css", join(uplot, "uPlot.min.css")],
  ]);
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export class Wallboard {
  private readonly files = assetFiles();
  private readonly cache = new Map<string, Buffer>();
  private readonly clients = new Set<ServerResponse>();
  private readonly history = new Map<string, Point[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly tokenDigest: Buffer | null;
  private readonly pushMs: number;
  private readonly sampleMs: number;
  private readonly historyMs: number;
  private lastSampleClock = -Infinity;
  private lastSampleReal = -Infinity;
  private lastSent = "";
  private lastSentAt = 0;
  private closed = false;

  constructor(
    private readonly source: WallboardSource,
    private readonly options: WallboardOptions,
    private readonly log?: Logger,
  ) {
    this.tokenDigest = options.token ? digest(options.token) : null;
    this.pushMs = options.pushMs ?? 1000;
    this.sampleMs = options.sampleMs ?? 30_000;
    this.historyMs = options.historyMs ?? 3_600_000;
    this.timer = setInterval(() => this.tick(), this.pushMs);
    this.timer.unref();
  }

  get openPages(): number {
    return this.clients.size;
  }

  /**
   * Applies the path prefix and the token, and answers the wallboard's own routes. Returns the
   * path (prefix removed) for the caller to route, or null when the request has been answered.
   */
  route(req: IncomingMessage, res: ServerResponse): string | null {
    const url = new URL(req.url ?? "/", "http://monitor");
    const base = this.options.basePath;
    let path = url.pathname;
    if (base) {
      if (path === base) return this.redirect(res, `${base}/${url.search}`);
      // Unprefixed paths are served too: a proxy that strips the prefix, and local probes, work alike.
      if (path.startsWith(`${base}/`)) path = path.slice(base.length);
    }
    if (this.tokenDigest && !OPEN_PATHS.has(path)) {
      const given = url.searchParams.get("token");
      if ((path === "/" || path === "/index.html") && given !== null && this.tokenMatches(given)) {
        // A browser cannot send a header on navigation or EventSource: the token moves into a cookie once.
        url.searchParams.delete("token");
        res.setHeader("set-cookie", `${COOKIE}=${encodeURIComponent(given)}; Path=${base || "/"}; HttpOnly; SameSite=Strict`);
        return this.redirect(res, `${base}${path}${url.search}`);
      }
      if (!this.authorized(req)) {
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="queue-monitor"', "cache-control": "no-store" });
        res.end(JSON.stringify({ error: "a bearer token is required (Authorization: Bearer <token>, or open the page once with ?token=<token>)" }));
        return null;
      }
    }
    if (req.method !== "GET" && req.method !== "HEAD") return path;
    if (path === "/" || path === "/index.html") return this.asset(req, res, "index.html");
    if (path.startsWith("/assets/")) return this.asset(req, res, path.slice("/assets/".length));
    if (path === "/api/wallboard") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ ...this.state(), history: Object.fromEntries(this.history) }));
      return null;
    }
    if (path === "/api/wallboard/events") return this.subscribe(req, res);
    return path;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  /** What the page shows now (tiles sorted by queue name, then media type). */
  state(snapshot: SeriesSnapshot[] = this.source.snapshot()): WallboardState {
    const alerts = this.source.alerts();
    const h = this.source.health();
    const tiles = snapshot
      .map((s) => toTile(s, alerts))
      .sort((a, b) => a.queueName.localeCompare(b.queueName) || a.mediaType.localeCompare(b.mediaType));
    let banner: Banner | null = null;
    if (!h.connected) banner = { kind: "disconnected", text: `Not connected to Genesys Cloud: figures may be stale (${h.reasons.join("; ") || "connecting"})` };
    else if (!h.caughtUp) banner = { kind: "catching-up", text: "Catching up: recovering missed events from Genesys Cloud" };
    return { generatedAt: new Date(this.source.now()).toISOString(), window: TILE_WINDOW, banner, tiles };
  }

  private tick(): void {
    if (this.closed) return;
    try {
      const now = this.source.now();
      const realNow = Date.now();
      const sampleDue = now - this.lastSampleClock >= this.sampleMs;
      if (this.clients.size === 0 && !(sampleDue && realNow - this.lastSampleReal >= (this.options.idleSampleMs ?? 5_000))) return;
      const snapshot = this.source.snapshot();
      let points: Record<string, Point> | undefined;
      if (sampleDue) {
        points = this.sample(snapshot, now);
        this.lastSampleClock = now;
        this.lastSampleReal = realNow;
      }
      if (this.clients.size === 0) return;
      const state = this.state(snapshot);
      const body = JSON.stringify({ ...state, generatedAt: "" });
      // Unchanged figures are not sent again (only a heartbeat keeps proxies from timing out).
      if (body !== this.lastSent || points) {
        this.lastSent = body;
        this.lastSentAt = realNow;
        this.broadcast(`event: update\ndata: ${JSON.stringify({ ...state, points: points ?? {} })}\n\n`);
      } else if (realNow - this.lastSentAt >= HEARTBEAT_MS) {
        this.lastSentAt = realNow;
        this.broadcast(": heartbeat\n\n");
      }
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "wallboard update failed");
    }
  }

  private sample(snapshot: SeriesSnapshot[], now: number): Record<string, Point> {
    const points: Record<string, Point> = {};
    const keep = now - this.historyMs;
    const live = new Set<string>();
    for (const s of snapshot) {
      const key = tileKey(s.queueId, s.mediaType);
      live.add(key);
      const p: Point = [now, s.windows[CHART_WINDOW]?.answeredWaitSeconds.p90 ?? null, s.now.waiting];
      const h = this.history.get(key) ?? [];
      h.push(p);
      while (h.length > 0 && h[0][0] < keep) h.shift();
      this.history.set(key, h);
      points[key] = p;
    }
    for (const key of this.history.keys()) if (!live.has(key)) this.history.delete(key);
    return points;
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): null {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    if (req.method === "HEAD") {
      res.end();
      return null;
    }
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ ...this.state(), history: Object.fromEntries(this.history) })}\n\n`);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on("close", drop);
    res.on("error", drop);
    return null;
  }

  private broadcast(message: string): void {
    for (const c of this.clients) {
      // A page that cannot keep up (socket buffer full) is dropped; EventSource reconnects by itself.
      if (c.writableLength > 1_000_000) {
        c.destroy();
        this.clients.delete(c);
        continue;
      }
      c.write(message);
    }
  }

  private asset(req: IncomingMessage, res: ServerResponse, name: string): null {
    const file = this.files.get(name);
    if (!file) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `no asset ${name}` }));
      return null;
    }
    let body = this.cache.get(name);
    if (!body) {
      body = readFileSync(file);
      this.cache.set(name, body);
    }
    const ext = name.slice(name.lastIndexOf("."));
    res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream", "content-length": body.length, "cache-control": name === "index.html" ? "no-cache" : "public, max-age=3600" });
    res.end(req.method === "HEAD" ? undefined : body);
    return null;
  }

  private redirect(res: ServerResponse, location: string): null {
    res.writeHead(302, { location, "cache-control": "no-store" });
    res.end();
    return null;
  }

  private tokenMatches(given: string): boolean {
    return this.tokenDigest !== null && timingSafeEqual(digest(given), this.tokenDigest);
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (typeof auth === "string") {
      const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
      if (m && this.tokenMatches(m[1])) return true;
    }
    const cookie = req.headers.cookie;
    if (typeof cookie === "string") {
      for (const part of cookie.split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k !== COOKIE) continue;
        try {
          if (this.tokenMatches(decodeURIComponent(v.join("=")))) return true;
        } catch {
          // a malformed cookie is simply not a match
        }
      }
    }
    return false;
  }
}

export const tileKey = (queueId: string, mediaType: string) => `${queueId}|${mediaType}`;

function toTile(s: SeriesSnapshot, alerts: WallboardAlert[]): Tile {
  const w = s.windows[TILE_WINDOW] ?? Object.values(s.windows)[0];
  const cur = s.intervals.current;
  const a = tileAlert(alerts, s.queueId, s.mediaType);
  return {
    key: tileKey(s.queueId, s.mediaType),
    queueId: s.queueId,
    queueName: s.queueName,
    mediaType: s.mediaType,
    waiting: s.now.waiting,
    longestWaitingSeconds: s.now.longestWaitingSeconds,
    serviceLevel: cur.serviceLevel,
    serviceLevelTarget: s.serviceLevelTarget,
    p50: w?.answeredWaitSeconds.p50 ?? null,
    p90: w?.answeredWaitSeconds.p90 ?? null,
    p95: w?.answeredWaitSeconds.p95 ?? null,
    offered: cur.offered,
    answered: cur.answered,
    abandoned: cur.abandoned,
    interval: { start: cur.start, end: cur.end },
    alert: a.state,
    alertRules: a.rules,
  };
}
