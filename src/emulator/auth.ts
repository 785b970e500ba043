/**
 * OAuth client credentials and per-token rate limiting, as Genesys Cloud does them
 * (genesys-api.md §1 and "Rate limits / 429").
 */
import { randomBytes } from "node:crypto";
import { HttpError, json, type Reply, type Request } from "./http.js";

export interface AuthOptions {
  clientId: string;
  clientSecret: string;
  /** Token lifetime in (real) seconds. */
  tokenTtlSeconds: number;
  /** Requests per minute per token before 429. */
  requestsPerMinute: number;
  /** HTTP status for invalid_client: unconfirmed whether the real service says 400 or 401. */
  invalidClientStatus: 400 | 401;
}

interface Token {
  clientId: string;
  expiresAt: number;
  window: number[];
}

export class Auth {
  private readonly tokens = new Map<string, Token>();
  /** Called when tokens are revoked, so sockets authorised by them can be closed. */
  onRevoke: (clientId: string) => void = () => {};

  constructor(readonly options: AuthOptions) {}

  /** POST /oauth/token */
  issue(req: Request): Reply {
    const header = req.headers.authorization ?? "";
    const [scheme, encoded] = header.split(" ");
    let id = "";
    let secret = "";
    if (scheme?.toLowerCase() === "basic" && encoded) {
      const decoded = Buffer.from(encoded, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      id = decoded.slice(0, i);
      secret = decoded.slice(i + 1);
    } else if (req.body && typeof req.body === "object") {
      const b = req.body as Record<string, string>;
      id = b.client_id ?? "";
      secret = b.client_secret ?? "";
    }
    const grant = (req.body as Record<string, string> | undefined)?.grant_type;
    if (grant !== "client_credentials") {
      return json(400, { error: "unsupported_grant_type", description: "grant type is not supported", error_description: "grant type is not supported" });
    }
    if (id !== this.options.clientId || secret !== this.options.clientSecret) {
      return json(this.options.invalidClientStatus, {
        error: "invalid_client",
        description: "authentication failed",
        error_description: "authentication failed",
      });
    }
    const token = randomBytes(32).toString("base64url");
    this.tokens.set(token, { clientId: id, expiresAt: Date.now() + this.options.tokenTtlSeconds * 1000, window: [] });
    return json(200, { access_token: token, token_type: "bearer", expires_in: this.options.tokenTtlSeconds });
  }

  /** Checks the bearer token and its rate limit; returns the client id. */
  authorize(req: Request): string {
    const header = req.headers.authorization ?? "";
    const m = /^bearer\s+(\S+)$/i.exec(header);
    const token = m ? this.tokens.get(m[1]) : undefined;
    if (!token || token.expiresAt <= Date.now()) {
      throw new HttpError(401, "bad.credentials", "Invalid login credentials.");
    }
    const now = Date.now();
    while (token.window.length > 0 && token.window[0] <= now - 60_000) token.window.shift();
    if (token.window.length >= this.options.requestsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((token.window[0] + 60_000 - now) / 1000));
      throw rateLimited(retryAfter);
    }
    token.window.push(now);
    return token.clientId;
  }

  /** True while `token` is valid (the WebSocket upgrade has no header, so this is for sockets' owners). */
  clientOf(token: string): string | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > Date.now() ? t.clientId : undefined;
  }

  revokeAll(): void {
    const clients = new Set([...this.tokens.values()].map((t) => t.clientId));
    this.tokens.clear();
    for (const c of clients) this.onRevoke(c);
  }
}

export function rateLimited(retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    "too.many.requests.retry.after",
    `Rate limit exceeded the maximum. Retry the request in [${retryAfterSeconds}] seconds`,
    { "retry-after": String(retryAfterSeconds) },
  );
}
