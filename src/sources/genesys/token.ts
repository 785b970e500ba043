/**
 * OAuth client-credentials token: cached, refreshed before it expires, fetched by one request
 * at a time however many callers need it (single flight), and dropped on a 401 so the next
 * caller fetches a fresh one.
 */
import { HttpError, readJson, type HttpTransport } from "../../delivery/transport.js";
import { excerpt, registerSecret } from "../../util/redact.js";
import type { GenesysEnvironment } from "./environment.js";

export interface Token {
  accessToken: string;
  tokenType: string;
  /** Real (wall-clock) epoch ms at which we stop using it. */
  refreshAt: number;
}

export class TokenProvider {
  private token: Token | null = null;
  private inflight: Promise<Token> | null = null;
  fetched = 0;

  constructor(
    private readonly env: GenesysEnvironment,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly transport: HttpTransport,
    /** Refresh this share of the lifetime early (and at least 60 s early for long tokens). */
    private readonly earlyShare = 0.1,
  ) {
    if (!clientId || !clientSecret) throw new Error("genesys client id and secret are required (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET)");
    // From here on no log line or error message can print them (util/redact.ts).
    registerSecret(clientSecret);
    registerSecret(this.basic);
  }

  private get basic(): string {
    return Buffer.from(`${this.clientId}:${this.clientSecret}`).toString("base64");
  }

  async get(): Promise<Token> {
    if (this.token && Date.now() < this.token.refreshAt) return this.token;
    this.inflight ??= this.fetch().finally(() => (this.inflight = null));
    return this.inflight;
  }

  /** Forget the token (after a 401); the next `get` fetches a new one. */
  invalidate(rejected?: string): void {
    if (!rejected || this.token?.accessToken === rejected) this.token = null;
  }

  private async fetch(): Promise<Token> {
    const url = `${this.env.loginBase}/oauth/token`;
    const res = await this.transport.send(
      {
        method: "POST",
        url,
        // The credentials travel in the Basic header only; the grant body holds no secret.
        headers: { authorization: `Basic ${this.basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials",
      },
      () => true,
    );
    const body = readJson<{ access_token?: unknown; token_type?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | null>(res, { method: "POST", url }, `oauth/token answered ${res.status}`);
    if (res.status !== 200 || typeof body?.access_token !== "string" || body.access_token === "") {
      const error = typeof body?.error === "string" ? body.error : "";
      // 400 or 401 with invalid_client: the real service's status is unconfirmed; both mean "bad
      // credentials", which no retry fixes.
      const kind = error === "invalid_client" || error === "unauthorized_client" || res.status === 401 || res.status === 403 ? "auth" : res.status === 200 ? "protocol" : undefined;
      const why = typeof body?.error_description === "string" ? body.error_description : excerpt(res.text);
      throw new HttpError({ method: "POST", url, status: res.status, body: res.text, kind, message: `oauth/token refused the client credentials (${res.status} ${excerpt(error, 60)}: ${excerpt(why, 200)})` });
    }
    registerSecret(body.access_token, true);
    const expiresIn = typeof body.expires_in === "number" && Number.isFinite(body.expires_in) && body.expires_in > 0 ? body.expires_in : 86_400;
    const lifetimeMs = expiresIn * 1000;
    const early = Math.min(Math.max(lifetimeMs * this.earlyShare, Math.min(60_000, lifetimeMs / 2)), lifetimeMs / 2);
    this.token = { accessToken: body.access_token, tokenType: typeof body.token_type === "string" ? body.token_type : "bearer", refreshAt: Date.now() + lifetimeMs - early };
    this.fetched++;
    return this.token;
  }
}
