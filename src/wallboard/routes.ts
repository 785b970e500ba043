/**
 * The wallboard, one of the HTTP server's route modules: the page and its assets, its figures as
 * JSON (/api/wallboard), and the live feed (/api/wallboard/events, Server-Sent Events). One
 * snapshot per tick serves every open page (no polling storm), sent only when it changed; the last
 * hour of the chart's points is kept here so a page opened late still draws its charts. The path
 * prefix and the token are the server's business (src/http/auth.ts), not this module's.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { Logger } from "../util/log.js";
import type { WallboardAlert } from "./alerts.js";
import { tileColoursSchema, type TileColours } from "../http/config.js";
import { boardState, boardWindows, tileKey, type BoardWindows, type WallboardState } from "./tiles.js";

export interface WallboardSource {
  /** The monitored queues' figures. */
  snapshot(): SeriesSnapshot[];
  health(): { connected: boolean; caughtUp: boolean; reasons: string[] };
  alerts(): WallboardAlert[];
  /** The monitor's clock (virtual in the demo). */
  now(): number;
}

export interface WallboardOptions {
  windowsMinutes: number[];
  /** How tiles are coloured (server.wallboard); defaults when absent. */
  colours?: TileColours;
  /** Open pages at most; past it a new one gets 503 (each holds a connection). */
  maxPages: number;
  /** Real ms between pushes to open pages. */
  pushMs?: number;
  /** Clock ms between chart points, and how much history the charts show. */
  sampleMs?: number;
  historyMs?: number;
  /** With no page open, history is still sampled, but at most this often (real ms). */
  idleSampleMs?: number;
}

/** [time ms, p90 wait s (chart window), waiting]. */
export type Point = [number, number | null, number];

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

export class Wallboard {
  private readonly files = assetFiles();
  private readonly cache = new Map<string, Buffer>();
  private readonly clients = new Set<ServerResponse>();
  private readonly history = new Map<string, Point[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly windows: BoardWindows;
  private readonly colours: TileColours;
  private readonly sampleMs: number;
  private readonly historyMs: number;
  private lastSampleClock = -Infinity;
  private lastSampleReal = -Infinity;
  private lastSent = "";
  private lastSentAt = 0;
  private closed = false;
  /** Pages refused because maxPages were open (since start). */
  refusedPages = 0;

  constructor(
    private readonly source: WallboardSource,
    private readonly options: WallboardOptions,
    private readonly log: Logger,
  ) {
    this.windows = boardWindows(options.windowsMinutes);
    this.colours = options.colours ?? tileColoursSchema.parse({});
    this.sampleMs = options.sampleMs ?? 30_000;
    this.historyMs = options.historyMs ?? 3_600_000;
    this.timer = setInterval(() => this.tick(), options.pushMs ?? 1000);
    this.timer.unref();
  }

  get openPages(): number {
    return this.clients.size;
  }

  /** Answers the wallboard's own routes; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (path === "/" || path === "/index.html") return this.asset(req, res, "index.html");
    if (path.startsWith("/assets/")) return this.asset(req, res, path.slice("/assets/".length));
    if (path === "/api/wallboard") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ ...this.state(), history: Object.fromEntries(this.history) }));
      return true;
    }
    if (path === "/api/wallboard/events") return this.subscribe(req, res);
    return false;
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
    return boardState(snapshot, this.source.alerts(), this.source.health(), this.source.now(), this.windows, this.colours);
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
      this.log.warn({ err: (e as Error).message }, "wallboard update failed");
    }
  }

  private sample(snapshot: SeriesSnapshot[], now: number): Record<string, Point> {
    const points: Record<string, Point> = {};
    const keep = now - this.historyMs;
    const live = new Set<string>();
    for (const s of snapshot) {
      const key = tileKey(s.queueId, s.mediaType);
      live.add(key);
      const p: Point = [now, s.windows[this.windows.chart]?.answeredWaitSeconds.p90 ?? null, s.now.waiting];
      const h = this.history.get(key) ?? [];
      h.push(p);
      while (h.length > 0 && h[0][0] < keep) h.shift();
      this.history.set(key, h);
      points[key] = p;
    }
    for (const key of this.history.keys()) if (!live.has(key)) this.history.delete(key);
    return points;
  }

  private subscribe(req: IncomingMessage, res: ServerResponse): true {
    if (this.clients.size >= this.options.maxPages) {
      this.refusedPages++;
      res.writeHead(503, { "content-type": "application/json", "retry-after": "30", "cache-control": "no-store" });
      res.end(JSON.stringify({ error: `too many open wallboard pages (at most ${this.options.maxPages}: server.maxEventStreams)` }));
      return true;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    if (req.method === "HEAD") {
      res.end();
      return true;
    }
    // A page is quiet between updates: it must outlive the server's idle timeout.
    req.socket.setTimeout(0);
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ ...this.state(), history: Object.fromEntries(this.history) })}\n\n`);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on("close", drop);
    res.on("error", drop);
    return true;
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

  private asset(req: IncomingMessage, res: ServerResponse, name: string): true {
    const file = this.files.get(name);
    if (!file) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `no asset ${name}` }));
      return true;
    }
    let body = this.cache.get(name);
    if (!body) {
      body = readFileSync(file);
      this.cache.set(name, body);
    }
    const ext = name.slice(name.lastIndexOf("."));
    res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream", "content-length": body.length, "cache-control": name === "index.html" ? "no-cache" : "public, max-age=3600" });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  }
}
