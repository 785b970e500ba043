/** Authenticated Genesys REST calls: bearer token, one forced refresh on 401, JSON in and out. */
import { HttpError, readJson, type HttpTransport } from "../../delivery/transport.js";
import type { GenesysEnvironment } from "./environment.js";
import type { TokenProvider } from "./token.js";

export class GenesysClient {
  apiErrors = 0;
  /** The last error a retry cannot fix (bad credentials, missing permission), for health reports. */

  constructor(
    readonly env: GenesysEnvironment,
    private readonly tokens: TokenProvider,
    private readonly transport: HttpTransport,
  ) {}

  /**
   * Calls the API; `allow` lists statuses returned to the caller instead of thrown (e.g. 404).
   * Throws HttpError (status and kind as fields; `permanent` when a retry cannot help).
   */
  async call<T>(method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; body: T }> {
    const url = `${this.env.apiBase}${path}`;
    try {
      for (let attempt = 0; ; attempt++) {
        const token = await this.tokens.get();
        const res = await this.transport.send(
          {
            method,
            url,
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
          throw new HttpError({ method, url, status: 401, body: res.text, message: `${method} ${path}: 401 even with a fresh token` });
        }
        // A page over the transport's body bound is an HttpError "too-large", not a process crash.
        return { status: res.status, body: readJson<T>(res, { method, url }, `${method} ${path}`) as T };
      }
    } catch (e) {
      if (e instanceof HttpError) {
        this.apiErrors++;
      }
      throw e;
    }
  }
}
