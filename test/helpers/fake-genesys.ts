/**
 * A scriptable stand-in for the Genesys endpoints a channel uses (token, channel create,
 * subscriptions, WebSocket upgrade), on loopback, so tests can make each answer misbehave.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class FakeGenesys {
  readonly server: Server;
  readonly wss = new WebSocketServer({ noServer: true });
  /** Every request seen, as "METHOD path". */
  readonly requests: string[] = [];
  readonly sockets: WebSocket[] = [];
  creates = 0;
  upgrades = 0;
  /** Per-route overrides; return undefined for the default answer. */
  onCreate: (n: number) => FakeAnswer | undefined = () => undefined;
  onSubscribe: (channelId: string) => FakeAnswer | undefined = () => undefined;
  /** Status to refuse the WebSocket upgrade with (e.g. 404, 410), or undefined to accept. */
  onUpgrade: (channelId: string) => number | undefined = () => undefined;
  /** Close every socket right after accepting it. */
  closeOnOpen = false;
  /** Expiry of created channels, ms from now. */
  channelTtlMs = 86_400_000;
  private channelSeq = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrades++;
      const id = /^\/channels\/([^/?]+)/.exec(req.url ?? "")?.[1] ?? "";
      const refuse = this.onUpgrade(id);
      if (refuse !== undefined) {
        socket.end(`HTTP/1.1 ${refuse} Refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.push(ws);
        ws.on("error", () => {});
        if (this.closeOnOpen) ws.close(1011, "going away at once");
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sends raw text on every open socket. */
  sendRaw(text: string): void {
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req) void _; // drain the body
    const path = (req.url ?? "").split("?")[0];
    this.requests.push(`${req.method} ${path}`);
    const answer = (a: FakeAnswer) => {
      res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
      res.end(a.body === undefined ? "" : JSON.stringify(a.body));
    };
    if (req.method === "POST" && path === "/oauth/token") return answer({ status: 200, body: { access_token: "fake-token", token_type: "bearer", expires_in: 86400 } });
    if (req.method === "POST" && path === "/api/v2/notifications/channels") {
      const n = ++this.creates;
      const over = this.onCreate(n);
      if (over) return answer(over);
      const id = `streaming-${++this.channelSeq}`;
      return answer({ status: 200, body: { id, connectUri: `${this.url.replace("http", "ws")}/channels/${id}`, expires: new Date(Date.now() + this.channelTtlMs).toISOString() } });
    }
    const sub = /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/.exec(path);
    if (sub && req.method === "PUT") {
      const over = this.onSubscribe(decodeURIComponent(sub[1]));
      if (over) return answer(over);
      return answer({ status: 200, body: { entities: [] } });
    }
    answer({ status: 404, body: { message: "not found" } });
  }
}
