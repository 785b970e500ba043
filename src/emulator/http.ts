/**
 * The emulator's HTTP plumbing: a small method+pattern router, bounded JSON bodies, and errors in
 * Genesys' `ErrorBody` shape ({message, code, status, contextId, details, errors}).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  params: string[];
  headers: IncomingMessage["headers"];
  body: unknown;
  rawBody: string;
}

export type Handler = (req: Request) => Reply | Promise<Reply>;

/** Genesys caps request bodies at 512,000 bytes (`request.bytes.max`). */
const MAX_BODY = 512_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(status: number, code: string, message: string): Record<string, unknown> {
  return { message, code, status, contextId: randomUUID(), details: [], errors: [] };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export class Router {
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  on(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  /** Finds the handler; 404 for an unknown path, 405 for a known path with another method. */
  match(method: string, path: string): { handler: Handler; params: string[] } {
    let pathKnown = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (r.method === method || (method === "HEAD" && r.method === "GET")) {
        return { handler: r.handler, params: m.slice(1).map(decodeURIComponent) };
      }
    }
    if (pathKnown) throw new HttpError(405, "method.not.allowed", `${method} is not allowed on ${path}`);
    throw new HttpError(404, "not.found", `no resource at ${path}`);
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "request.entity.too.large", `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function send(res: ServerResponse, reply: Reply, head = false): void {
  const headers: Record<string, string> = { "inin-correlation-id": randomUUID(), ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  headers["content-type"] ??= "application/json";
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : text);
}

/** Parses a JSON body or throws a 400 naming the problem. */
export function parseJson(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType?.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new HttpError(400, "bad.request", `request body is not valid JSON: ${(e as Error).message}`);
  }
}
