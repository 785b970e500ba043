/**
 * OAuth client-credentials token: cached, refreshed before it expires, fetched by one request
 * at a time however many callers need it (single flight), and dropped on a 401 so the next
 * caller fetches a fresh one.
 */
import { HttpError, type HttpTransport } from "../transport/http.js";
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
    const res = await this.transport.send(
      {
        method: "POST",
        url: `${this.env.loginBase}/oauth/token`,
        headers: {
          authorization: `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      },
      () => true,
    );
    let body: { access_token?: string; token_type?: string; expires_in?: number; error?: string; error_description?: string };
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new HttpError({ method: "POST", url: "/oauth/token" }, res.status, res.text, `oauth/token answered ${res.status} with a non-JSON body`);
    }
    if (res.status !== 200 || !body.access_token) {
      // 400 or 401 with invalid_client: the real service's status is unconfirmed, both mean "bad credentials".
      throw new HttpError({ method: "POST", url: "/oauth/token" }, res.status, res.text, `oauth/token refused the client credentials (${res.status} ${body.error ?? ""}: ${body.error_description ?? res.text.slice(0, 200)})`);
    }
    const lifetimeMs = (body.expires_in ?? 86_400) * 1000;
    const early = Math.min(Math.max(lifetimeMs * this.earlyShare, Math.min(60_000, lifetimeMs / 2)), lifetimeMs / 2);
    this.token = { accessToken: body.access_token, tokenType: body.token_type ?? "bearer", refreshAt: Date.now() + lifetimeMs - early };
    this.fetched++;
    return this.token;
  }
}
