/**
 * No secret in any error or log line: the client secret, its Basic form and bearer tokens.
 * Unit checks on errors, then the monitor and the emulator as real processes with known
 * secrets, every line they print searched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { pino } from "pino";
import { GenesysClient } from "../../src/sources/genesys/client.js";
import { genesysEnvironment } from "../../src/sources/genesys/environment.js";
import { TokenProvider } from "../../src/sources/genesys/token.js";
import { HttpError, HttpTransport } from "../../src/delivery/transport.js";
import { createLogger, redact } from "../../src/util/log.js";
import { registerSecret } from "../../src/util/redact.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { CLI, freePort, MonitorProcess } from "../helpers/monitor-process.js";

const SECRET = "S3cr3t-Known-Value-9f8e7d";
const fast = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000, timeoutMs: 2000 };

/** Everything an error could show: message, stack, own fields, inspect and JSON forms. */
function everything(e: unknown): string {
  return [String(e), (e as Error).stack, inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e), JSON.stringify(Object.entries(e as object))].join("\n");
}

test("a refused token call keeps no credentials in its error", async (t) => {
  const emu = await startTestEmulator({ clientSecret: SECRET });
  t.after(() => emu.stop());
  const env = genesysEnvironment({ baseUrl: emu.url });
  const wrong = "Wr0ng-Secret-Value-123456";
  const tokens = new TokenProvider(env, emu.options.clientId, wrong, new HttpTransport(fast));
  const e = await tokens.get().catch((x: unknown) => x);
  assert.ok(e instanceof HttpError);
  assert.equal(e.kind, "auth");
  assert.equal(e.permanent, true, "invalid_client is permanent");
  const text = everything(e);
  assert.ok(text.includes("invalid_client"), "the reason is kept");
  for (const s of [wrong, Buffer.from(`${emu.options.clientId}:${wrong}`).toString("base64")]) assert.ok(!text.includes(s), `error shows ${s}`);
});

test("a server that echoes credentials back cannot put them in our errors", async (t) => {
  // Answers every request with its own Authorization header in the body (a misbehaving proxy).
  const server = createServer((req, res) => {
    const token = /oauth/.test(req.url ?? "") ? { access_token: "Tok3n-Value-abcdef0123456789", expires_in: 3600 } : undefined;
    res.writeHead(token ? 200 : 500, { "content-type": "application/json" });
    res.end(JSON.stringify(token ?? { message: `bad request with ${req.headers.authorization}`, headers: req.headers }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const env = genesysEnvironment({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  const transport = new HttpTransport(fast);
  const client = new GenesysClient(env, new TokenProvider(env, "my-id", SECRET, transport), transport);
  const e = await client.call("GET", "/api/v2/routing/queues").catch((x: unknown) => x);
  assert.ok(e instanceof HttpError);
  assert.equal(e.status, 500);
  const text = everything(e);
  assert.ok(!text.includes("Tok3n-Value-abcdef0123456789"), `bearer token in the error: ${text.slice(0, 500)}`);
  assert.ok(text.includes("bad request with"), "the body excerpt is kept, redacted");
});

test("log lines are scrubbed: headers, token fields and registered secrets", () => {
  const lines: string[] = [];
  const log = createLogger("t", "info", { write: (s: string) => void lines.push(s) });
  log.info({ headers: { authorization: "Bearer abc.def" }, clientSecret: SECRET, body: { access_token: "zzz-token-zzz" } }, "x");
  log.warn({ err: `request with Basic ${Buffer.from(`id:${SECRET}`).toString("base64")} failed` }, "y");
  log.error(`Authorization: Bearer qqq-token-qqq`);
  const all = lines.join("\n");
  for (const s of ["abc.def", SECRET, "zzz-token-zzz", "qqq-token-qqq", Buffer.from(`id:${SECRET}`).toString("base64")]) assert.ok(!all.includes(s), `${s} in ${all}`);
  assert.equal(redact("x Bearer abc y"), "x Bearer [redacted] y");
  void pino;
});

/**
 * A pass-through HTTP proxy that records every bearer token the monitor sends, and misbehaves:
 * the first token request and the first details queries are refused with a body that echoes
 * the request's Authorization header back (so a client that logs error bodies would leak it).
 */
async function recordingProxy(target: string): Promise<{ url: string; tokens: Set<string>; echoed: () => number; close: () => void }> {
  const tokens = new Set<string>();
  let tokenCalls = 0;
  let detailsCalls = 0;
  let echoed = 0;
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    const m = /^bearer\s+(\S+)/i.exec(auth);
    if (m) tokens.add(m[1]);
    const isToken = (req.url ?? "").startsWith("/oauth/token");
    const isDetails = (req.url ?? "").startsWith("/api/v2/analytics/conversations/details/query");
    if ((isToken && ++tokenCalls === 1) || (isDetails && ++detailsCalls <= 2)) {
      echoed++;
      req.resume();
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `request refused: Authorization: ${auth}`, error_description: `refused ${auth}`, code: "bad.request" }));
      return;
    }
    const up = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r: IncomingMessage) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        const tok = /"access_token":"([^"]+)"/.exec(body);
        if (tok) tokens.add(tok[1]);
        res.writeHead(r.statusCode ?? 502, r.headers);
        res.end(body);
      });
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokens, echoed: () => echoed, close: () => server.close() };
}

test("monitor and emulator processes never print the client secret or a bearer token", { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qm-secrets-"));
  const emuPort = await freePort();
  const emuLog = join(dir, "emulator.log");
  const emuOut: string[] = [];
  const emu = spawn(process.execPath, [CLI, "emulate", "--port", String(emuPort), "--speed", "60", "--heartbeat", "0.5", "--ingestion-delay", "0.5", "--token-ttl", "5", "--duration", "30"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GENESYS_CLIENT_ID: "known-client-id", GENESYS_CLIENT_SECRET: SECRET, LOG_LEVEL: "debug" },
  });
  emu.stdout.on("data", (d: Buffer) => emuOut.push(d.toString()));
  emu.stderr.on("data", (d: Buffer) => emuOut.push(d.toString()));
  t.after(() => emu.kill("SIGKILL"));
  const emuUrl = `http://127.0.0.1:${emuPort}`;
  await waitUntil(async () => (await fetch(`${emuUrl}/emulator/clock`).catch(() => undefined))?.ok, 15_000, "emulator up");
  const proxy = await recordingProxy(emuUrl);
  t.after(() => proxy.close());

  const port = await freePort();
  const configFile = join(dir, "monitor.yaml");
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: proxy.url },
    stream: { heartbeatSeconds: 0.5, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1 },
    backfill: { ingestionDelaySeconds: 0.5 },
    state: { file: join(dir, "state.sqlite") },
    clock: "emulator",
  });
  const monitor = new MonitorProcess(configFile, port, join(dir, "monitor.log"));
  process.env.GENESYS_CLIENT_ID = "known-client-id";
  process.env.GENESYS_CLIENT_SECRET = SECRET;
  process.env.LOG_LEVEL = "debug";
  t.after(() => {
    delete process.env.GENESYS_CLIENT_ID;
    delete process.env.GENESYS_CLIENT_SECRET;
  });
  monitor.start();
  t.after(() => monitor.stop());
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 20_000, "monitor ready");
  // Faults that make the monitor log errors: revoked tokens (401s), 503s, dropped sockets.
  const fault = (body: unknown) => fetch(`${emuUrl}/emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await fault({ type: "revoke-tokens" });
  await fault({ type: "server-errors", count: 8 });
  await fault({ type: "drop-sockets" });
  await new Promise((r) => setTimeout(r, 6000)); // the 5 s tokens expire and are renewed
  await waitUntil(async () => (await monitor.get("/readyz"))?.ready, 20_000, "monitor ready again");
  await monitor.stop();

  // A second monitor with a wrong secret: refused credentials must not print it either.
  const wrong = "Wr0ng-Secret-Value-654321";
  process.env.GENESYS_CLIENT_SECRET = wrong;
  const bad = new MonitorProcess(configFile, await freePort(), join(dir, "monitor-bad.log"));
  bad.start();
  t.after(() => bad.stop());
  const badLog = () => {
    try {
      return readFileSync(join(dir, "monitor-bad.log"), "utf8");
    } catch {
      return "";
    }
  };
  await waitUntil(() => badLog().includes("invalid_client"), 15_000, "the refusal logged");
  await bad.stop();

  assert.ok(proxy.tokens.size >= 2, `bearer tokens seen: ${proxy.tokens.size}`);
  assert.ok(proxy.echoed() >= 3, "the proxy echoed credentials in error bodies");
  const logs = { monitor: readFileSync(join(dir, "monitor.log"), "utf8"), "monitor-bad": readFileSync(join(dir, "monitor-bad.log"), "utf8"), emulator: emuOut.join("") };
  assert.ok(logs.monitor.split("\n").length > 10, "the monitor logged");
  assert.ok(logs.monitor.includes("[redacted]"), "the echoed credentials reached the log path and were scrubbed");
  const secrets = [SECRET, wrong, Buffer.from(`known-client-id:${SECRET}`).toString("base64"), Buffer.from(`known-client-id:${wrong}`).toString("base64"), ...proxy.tokens];
  for (const [name, text] of Object.entries(logs)) {
    for (const line of text.split("\n")) {
      for (const s of secrets) assert.ok(!line.includes(s), `${name} printed a secret: ${line.slice(0, 300)}`);
    }
  }
  void emuLog;
});

test("the client secret stays scrubbed however many access tokens come after it", () => {
  registerSecret("long-lived-client-secret-xyz");
  for (let i = 0; i < 200; i++) registerSecret(`access-token-number-${i}-abcdef`, true);
  assert.equal(redact("secret long-lived-client-secret-xyz here"), "secret [redacted] here");
  assert.equal(redact("token access-token-number-199-abcdef"), "token [redacted]");
});
