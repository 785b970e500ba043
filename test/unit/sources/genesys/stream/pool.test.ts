/**
 * The channel pool never opens more channels than one OAuth client may hold (a 21st would make
 * Genesys drop one of ours): queues beyond that are reported, and placed as soon as room appears.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { GenesysClient } from "../../../../../src/sources/genesys/client.js";
import { genesysEnvironment } from "../../../../../src/sources/genesys/environment.js";
import { TokenProvider } from "../../../../../src/sources/genesys/token.js";
import { ChannelPool, MAX_CHANNELS } from "../../../../../src/sources/genesys/stream/pool.js";
import { HttpTransport } from "../../../../../src/delivery/transport.js";
import { systemClock } from "../../../../../src/util/clock.js";
import { startTestEmulator, waitUntil } from "../../../../helpers/emulator.js";

test("at most 19 channels: queues beyond are reported as unstreamed, then placed when others leave", async (t) => {
  const emu = await startTestEmulator();
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => void lines.push(s) });
  const env = genesysEnvironment({ baseUrl: emu.url });
  const transport = new HttpTransport({ maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000, timeoutMs: 2000 });
  const client = new GenesysClient(env, new TokenProvider(env, emu.options.clientId, emu.options.clientSecret, transport), transport);
  // Two topics per channel: one queue per channel, so 21 queues would need 21 channels.
  const stream = { heartbeatSeconds: 30, topicsPerChannel: 2, latencyAllowanceSeconds: 10, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1, rolloverMarginMinutes: 30, maxClockSkewSeconds: 300 };
  const pool = new ChannelPool(stream, client, systemClock, log);
  pool.listen({ frame: () => {}, live: () => {}, down: () => {} });
  t.after(async () => {
    pool.stop();
    await emu.stop();
  });
  const queues = Array.from({ length: 21 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  await pool.assign(queues, []);
  assert.equal(pool.size, MAX_CHANNELS);
  assert.equal(pool.unstreamed, 2);
  assert.ok(lines.some((l) => l.includes("2 selected queues exceed what one OAuth client can stream")), "said why, and what to do");
  await waitUntil(() => pool.connected, 15_000, "every channel live");
  assert.ok(pool.views(Date.now()).every((v) => v.topics === 2));
  // Two placed queues leave the selection: the two waiting ones take their room, no new channel.
  await pool.assign([], [queues[0], queues[1]]);
  assert.equal(pool.unstreamed, 0);
  assert.equal(pool.size, MAX_CHANNELS);
  await waitUntil(() => pool.connected && pool.views(Date.now()).every((v) => v.topics === 2), 15_000, "the waiting queues subscribed");
});
