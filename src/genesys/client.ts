/** Authenticated Genesys REST calls: bearer token, one forced refresh on 401, JSON in and out. */
import { HttpError, type HttpTransport } from "../transport/http.js";
import type { GenesysEnvironment } from "./environment.js";
import type { TokenProvider } from "./token.js";

export class GenesysClient {
  apiErrors = 0;

  constructor(
    readonly env: GenesysEnvironment,
    private readonly tokens: TokenProvider,
    private readonly transport: HttpTransport,
  ) {}

  /** Calls the API; `allow` lists statuses returned to the caller instead of thrown (e.g. 404). */
  async call<T>(method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get();
      try {
        const res = await this.transport.send(
          {
            method,
            url: `${this.env.apiBase}${path}`,
            headers: {
              authorization: `Bearer ${token.accessToken}`,
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          },
          (s) => s === 401 || allow.includes(s),
        );
        if (res.status === 401) {
          this.tokens.invalidate(token.accessToken);
          if (attempt === 0) continue;
          throw new HttpError({ method, url: path }, 401, res.text, `${method} ${path}: 401 even with a fresh token`);
        }
        let parsed: T;
        try {
          parsed = (res.text ? JSON.parse(res.text) : undefined) as T;
        } catch {
          throw new HttpError({ method, url: path }, res.status, res.text, `${method} ${path}: answer is not JSON: ${res.text.slice(0, 200)}`);
        }
        return { status: res.status, body: parsed };
      } catch (e) {
        if (e instanceof HttpError) this.apiErrors++;
        throw e;
      }
    }
  }
}
