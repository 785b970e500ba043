/**
 * The front door every route goes through: the path prefix a reverse proxy forwards under
 * (server.basePath) and the optional bearer token (server.token). A browser cannot send a header
 * on navigation or EventSource, so the page accepts the token once as `?token=` and moves it into
 * an HttpOnly cookie.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const COOKIE = "queue_monitor_token";

const digest = (s: string) => createHash("sha256").update(s).digest();

export type Admission =
  /** Route `path` (prefix removed); `authorized`: the caller proved the token (or none is set). */
  | { kind: "route"; path: string; url: URL; authorized: boolean }
  /** Answered already (a redirect). */
  | { kind: "answered" };

export class FrontDoor {
  private readonly tokenDigest: Buffer | null;

  constructor(
    readonly basePath: string,
    token: string | undefined,
  ) {
    this.tokenDigest = token ? digest(token) : null;
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== null;
  }

  admit(req: IncomingMessage, res: ServerResponse): Admission {
    const url = new URL(req.url ?? "/", "http://monitor");
    const base = this.basePath;
    let path = url.pathname;
    if (base) {
      if (path === base) return this.redirect(res, `${base}/${url.search}`);
      // Unprefixed paths are served too: a proxy that strips the prefix, and local probes, work alike.
      if (path.startsWith(`${base}/`)) path = path.slice(base.length);
    }
    if (this.tokenDigest) {
      const given = url.searchParams.get("token");
      if ((path === "/" || path === "/index.html") && given !== null && this.matches(given)) {
        url.searchParams.delete("token");
        res.setHeader("set-cookie", `${COOKIE}=${encodeURIComponent(given)}; Path=${base || "/"}; HttpOnly; SameSite=Strict`);
        return this.redirect(res, `${base}${path}${url.search}`);
      }
    }
    return { kind: "route", path, url, authorized: this.authorized(req) };
  }

  /** 401 with the way to authenticate. */
  refuse(res: ServerResponse): void {
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="queue-monitor"', "cache-control": "no-store" });
    res.end(JSON.stringify({ error: "a bearer token is required (Authorization: Bearer <token>, or open the page once with ?token=<token>)" }));
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.tokenDigest) return true;
    const auth = req.headers.authorization;
    if (typeof auth === "string") {
      const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
      if (m && this.matches(m[1])) return true;
    }
    const cookie = req.headers.cookie;
    if (typeof cookie === "string") {
      for (const part of cookie.split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k !== COOKIE) continue;
        try {
          if (this.matches(decodeURIComponent(v.join("=")))) return true;
        } catch {
          // a malformed cookie is simply not a match
        }
      }
    }
    return false;
  }

  private matches(given: string): boolean {
    return this.tokenDigest !== null && timingSafeEqual(digest(given), this.tokenDigest);
  }

  private redirect(res: ServerResponse, location: string): Admission {
    res.writeHead(302, { location, "cache-control": "no-store" });
    res.end();
    return { kind: "answered" };
  }
}
