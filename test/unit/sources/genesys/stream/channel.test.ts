/**
 * The notification channel against a scriptable local server: bad frames are logged (short),
 * counted and skipped without ending the process, and every channel (re)creation path backs off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { NotificationChannel, type ChannelListener } from "../../../../../src/sources/genesys/stream/channel.js";
import type { Frame } from "../../../../../src/sources/genesys/stream/topics.js";
import { GenesysClient } from "../../../../../src/sources/genesys/client.js";
import { genesysEnvironment } from "../../../../../src/sources/genesys/environment.js";
import { TokenProvider } from "../../../../../src/sources/genesys/token.js";
import { observationsFrom } from "../../../../../src/normalize/observation.js";
import { HttpTransport } from "../../../../../src/delivery/transport.js";
import { systemClock } from "../../../../../src/util/clock.js";
import { FakeGenesys } from "../../../../helpers/fake-genesys.js";
import { waitUntil } from "../../../../helpers/emulator.js";

function capturingLogger() {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
  return { log, lines };
}

function channelAgainst(fake: FakeGenesys, listener: Partial<ChannelListener>, opts: Partial<ConstructorParameters<typeof NotificationChannel>[5]> = {}, log = capturingLogger().log) {
  const env = genesysEnvironment({ baseUrl: fake.url });
  const transport = new HttpTransport({ maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000, timeoutMs: 2000 });
  const client = new GenesysClient(env, new TokenProvider(env, "id", "secret", transport), transport);
  return new NotificationChannel(
    "test",
    ["v2.routing.queues.q1.conversations"],
    client,
    systemClock,
    log,
    { heartbeatSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1, rolloverMarginMs: 60_000, ...opts },
    { frame: () => {}, live: () => {}, down: () => {}, ...listener },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("malformed frames and throwing handlers are logged briefly, counted and skipped; the stream goes on", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  const { log, lines } = capturingLogger();
  const got: Frame[] = [];
  const ch = channelAgainst(
    fake,
    {
      frame: (f) => {
        if (f.topicName.endsWith(".observations")) observationsFrom("q1", f.eventBody); // threw on {"data":[null]} before
        if ((f.eventBody as { boom?: boolean })?.boom) throw new TypeError("handler bug");
        got.push(f);
      },
    },
    {},
    log,
  );
  t.after(() => ch.stop());
  ch.start();
  await waitUntil(() => ch.state === "live" && fake.sockets.length === 1, 5000, "live");
  const huge = "x".repeat(100_000);
  const bad = [
    "not json",
    `{"topicName":"v2.routing.queues.q1.conversations","eventBody":${huge}`, // truncated
    "null",
    "5",
    "[]",
    '"str"',
    '{"topicName":5}',
    '{"topicName":null,"eventBody":{}}',
    JSON.stringify({ topicName: "v2.analytics.queues.q1.observations", eventBody: { data: [null] } }),
    JSON.stringify({ topicName: "v2.analytics.queues.q1.observations", eventBody: { data: [{ interval: "a/a", metrics: {} }] } }),
    JSON.stringify({ topicName: "v2.routing.queues.q1.conversations", eventBody: { boom: true, pad: huge } }),
  ];
  for (const b of bad) fake.sendRaw(b);
  fake.sendRaw(JSON.stringify({ topicName: "v2.routing.queues.q1.conversations", eventBody: { id: "good" } }));
  await waitUntil(() => got.some((f) => (f.eventBody as { id?: string })?.id === "good"), 5000, "the good frame after the bad ones");
  assert.equal(ch.state, "live", "the socket stays up");
  // Not JSON x2, not an object x4, no topic x2, the handler threw x1 (the two odd observation
  // bodies are skipped by the now-total parser and pass through the handler without error).
  assert.equal(ch.malformedFrames, 9, `malformedFrames ${ch.malformedFrames}`);
  const warnings = lines.filter((l) => /frame/.test(l) && /"level":(40|50)/.test(l));
  assert.ok(warnings.length >= 9, `${warnings.length} warnings`);
  for (const l of lines) assert.ok(l.length < 800, `a log line of ${l.length} chars: ${l.slice(0, 300)}`);
  assert.ok(warnings.some((l) => l.includes("handler bug") && l.includes("v2.routing.queues.q1.conversations")), "a handler failure names the topic and the error");
  // A flood of garbage is counted in full but logged at most 20 times a minute.
  for (let i = 0; i < 100; i++) fake.sendRaw(`garbage ${i}`);
  await waitUntil(() => ch.malformedFrames === 109, 5000, "the flood counted");
  const logged = lines.filter((l) => /frame/.test(l) && /"level":(40|50)/.test(l)).length;
  assert.equal(logged, 20, `${logged} lines logged for 109 bad frames`);
});

async function countCreates(fake: FakeGenesys, windowMs: number, opts: Parameters<typeof channelAgainst>[2] = {}): Promise<number> {
  const ch = channelAgainst(fake, {}, opts);
  ch.start();
  await sleep(windowMs);
  ch.stop();
  const n = fake.creates;
  await sleep(50);
  return n;
}

test("a channel that vanishes at once (404 on subscribe) is re-created with backoff, not in a tight loop", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  fake.onSubscribe = () => ({ status: 404, body: { message: "channel not found" } });
  const n = await countCreates(fake, 2000);
  // Full-jitter backoff from 100 ms capped at 1 s: about 6-8 creations in 2 s (was hundreds).
  assert.ok(n >= 2 && n <= 20, `${n} channel creations in 2 s`);
});

for (const status of [404, 410]) {
  test(`a WebSocket upgrade refused with ${status} re-creates the channel with backoff`, async (t) => {
    const fake = await new FakeGenesys().start();
    t.after(() => fake.stop());
    fake.onUpgrade = () => status;
    const n = await countCreates(fake, 2000);
    assert.ok(n >= 2 && n <= 20, `${n} channel creations in 2 s`);
    assert.equal(fake.upgrades, n, "one upgrade per channel");
  });
}

test("a channel create answered with 404 or a body without id backs off too", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  fake.onCreate = (n) => (n % 2 ? { status: 404, body: { message: "no" } } : { status: 200, body: { nope: true } });
  const n = await countCreates(fake, 2000);
  assert.ok(n >= 2 && n <= 20, `${n} channel creations in 2 s`);
});

test("a failing rollover is retried with backoff, not on every watchdog tick", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  // Channels live 30 s, the margin is 60 s: a rollover is due as soon as the first one is live.
  fake.channelTtlMs = 30_000;
  fake.onCreate = (n) => (n === 1 ? undefined : { status: 410, body: { message: "gone" } });
  const ch = channelAgainst(fake, {}, { heartbeatSeconds: 0.4 });
  t.after(() => ch.stop());
  ch.start();
  await waitUntil(() => ch.state === "live", 5000, "live");
  const keepAlive = setInterval(() => fake.sendRaw(JSON.stringify({ topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } })), 50);
  t.after(() => clearInterval(keepAlive));
  const before = fake.creates;
  await sleep(3000);
  const rollovers = fake.creates - before;
  // The watchdog ticks every 100 ms (30 tries in 3 s before); backoff from 100 ms to 1 s: ~8.
  assert.ok(rollovers >= 2 && rollovers <= 15, `${rollovers} rollover attempts in 3 s`);
  assert.equal(ch.state, "live", "the current socket stays live meanwhile");
});

test("channels handed out already inside the rollover margin do not make the rollover loop", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  fake.channelTtlMs = 10_000; // every channel, old and new, is inside the 60 s margin
  const ch = channelAgainst(fake, {}, { heartbeatSeconds: 0.4 });
  t.after(() => ch.stop());
  ch.start();
  await waitUntil(() => ch.state === "live", 5000, "live");
  const keepAlive = setInterval(() => fake.sendRaw(JSON.stringify({ topicName: "channel.metadata", eventBody: { message: "WebSocket Heartbeat" } })), 50);
  t.after(() => clearInterval(keepAlive));
  const before = fake.creates;
  await sleep(3000);
  const rollovers = fake.creates - before;
  assert.ok(rollovers >= 1 && rollovers <= 15, `${rollovers} rollovers in 3 s`);
});

test("a server that accepts the socket and drops it at once gets backoff, not a tight reconnect loop", async (t) => {
  const fake = await new FakeGenesys().start();
  t.after(() => fake.stop());
  fake.closeOnOpen = true;
  let downs = 0;
  const ch = channelAgainst(fake, { down: () => void downs++ });
  ch.start();
  await sleep(2000);
  ch.stop();
  assert.ok(fake.upgrades >= 2 && fake.upgrades <= 20, `${fake.upgrades} sockets opened in 2 s`);
  assert.equal(fake.creates, 1, "the channel itself is kept");
  assert.ok(downs >= 1);
});
