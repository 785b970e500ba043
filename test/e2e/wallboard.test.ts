/**
 * The wallboard wired into a real monitor (emulator on loopback): server.basePath and
 * server.token apply to the monitor's own API too, QUEUE_MONITOR_TOKEN fills the token, the
 * tiles match /api/queues, and stop() is not held up by an open wallboard page (SSE).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { configSchema } from "../../src/config/schema.js";
import { loadConfig } from "../../src/config/load.js";
import { Monitor } from "../../src/app/monitor.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

const TOKEN = "a-wallboard-token-0123456789";

test("server.basePath and server.token: validated, and read from QUEUE_MONITOR_TOKEN", () => {
  const env = { GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "s", GENESYS_BASE_URL: "http://127.0.0.1:1", QUEUE_MONITOR_TOKEN: TOKEN };
  const c = loadConfig(undefined, env);
  assert.equal(c.server.token, TOKEN);
  assert.equal(c.server.basePath, "");
  const base = { genesys: { baseUrl: "http://x" } };
  assert.equal(configSchema.parse({ ...base, server: { basePath: "/qm/" } }).server.basePath, "/qm");
  assert.equal(configSchema.parse({ ...base, server: { basePath: "/a/b" } }).server.basePath, "/a/b");
  for (const bad of ["qm", "/q m", "/a//b", "/../x?"]) assert.equal(configSchema.safeParse({ ...base, server: { basePath: bad } }).success, false, bad);
  assert.equal(configSchema.safeParse({ ...base, server: { token: "short" } }).success, false, "short token");
});

test("the monitor serves the wallboard under its prefix, behind its token, and stops with a page open", { timeout: 60_000 }, async (t) => {
  const emu = await startTestEmulator({ heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3 });
  t.after(() => emu.stop());
  const dir = mkdtempSync(join(tmpdir(), "qm-wallboard-"));
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3 },
    backfill: { ingestionDelaySeconds: 0.5, reconcileMinutes: 0 },
    server: { listen: "127.0.0.1:0", basePath: "/qm", token: TOKEN },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 100 },
  });
  const monitor = new Monitor(config, emu.clock, silentLogger);
  await monitor.start();
  let stopped = false;
  t.after(async () => {
    if (!stopped) await monitor.stop();
  });
  const url = `${monitor.listenUrl}/qm`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await fetch(`${url}/api/queues`)).status, 401);
  assert.equal((await fetch(`${url}/metrics`)).status, 401);
  assert.equal((await fetch(`${url}/`)).status, 401);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);

  const queues = await waitUntil(async () => {
    const b = (await (await fetch(`${url}/api/queues`, { headers: auth })).json()) as { queues: any[] };
    return b.queues.length >= 3 && b.queues;
  }, 20_000, "figures for the queues");
  const board = (await (await fetch(`${url}/api/wallboard`, { headers: auth })).json()) as { tiles: any[] };
  for (const q of queues) {
    const tile = board.tiles.find((x) => x.queueId === q.queueId && x.mediaType === q.mediaType);
    assert.ok(tile, `a tile for ${q.queueName} ${q.mediaType}`);
    assert.equal(tile.queueName, q.queueName);
    assert.ok(tile.offered >= q.intervals.current.offered || tile.interval.start !== q.intervals.current.start, "figures no older than the earlier API reading");
    assert.deepEqual(tile.serviceLevelTarget, q.serviceLevelTarget);
    assert.equal(tile.alert, "none", "no alerting on this branch: no alert state");
  }

  // An open page (event stream) must not keep stop() waiting.
  const ctl = new AbortController();
  const stream = await fetch(`${url}/api/wallboard/events`, { headers: auth, signal: ctl.signal });
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /event: hello/);
  const started = Date.now();
  await monitor.stop();
  stopped = true;
  assert.ok(Date.now() - started < 5_000, `stop took ${Date.now() - started} ms`);
  ctl.abort();
});
