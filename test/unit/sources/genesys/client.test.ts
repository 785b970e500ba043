import { test } from "node:test";
import assert from "node:assert/strict";
import { GenesysClient } from "../../../../src/sources/genesys/client.js";
import { genesysEnvironment } from "../../../../src/sources/genesys/environment.js";
import { discoverQueues } from "../../../../src/sources/genesys/queues.js";
import { compileSelector, type SelectorSpec } from "../../../../src/select/queue-selector.js";
import { TokenProvider } from "../../../../src/sources/genesys/token.js";
import { HttpTransport } from "../../../../src/delivery/transport.js";
import { backoffMs, classify, retryAfterMs } from "../../../../src/delivery/retry.js";
import { startTestEmulator } from "../../../helpers/emulator.js";

test("answers are classified once: ok, retry-after, backoff, give up", () => {
  assert.equal(classify(200, null), "ok");
  assert.equal(classify(202, null), "ok");
  assert.equal(classify(429, "3"), "retry-after");
  assert.equal(classify(503, "3"), "retry-after");
  assert.equal(classify(429, null), "backoff");
  assert.equal(classify(502, null), "backoff");
  assert.equal(classify(400, null), "give-up");
  assert.equal(classify(404, "5"), "give-up");
  assert.equal(retryAfterMs("2"), 2000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(retryAfterMs("soon"), null);
  for (let a = 0; a < 20; a++) {
    const d = backoffMs(a, 100, 5000);
    assert.ok(d >= 0 && d <= Math.min(5000, 100 * 2 ** a));
  }
});

test("environment from org domain or base URL, with clear errors", () => {
  assert.deepEqual(genesysEnvironment({ orgDomain: "mypurecloud.ie" }), { loginBase: "https://login.mypurecloud.ie", apiBase: "https://api.mypurecloud.ie" });
  assert.deepEqual(genesysEnvironment({ orgDomain: "https://api.usw2.pure.cloud/" }), { loginBase: "https://login.usw2.pure.cloud", apiBase: "https://api.usw2.pure.cloud" });
  assert.deepEqual(genesysEnvironment({ baseUrl: "http://127.0.0.1:9700/" }), { loginBase: "http://127.0.0.1:9700", apiBase: "http://127.0.0.1:9700" });
  assert.throws(() => genesysEnvironment({ orgDomain: "not a domain" }), /genesys.orgDomain/);
  assert.throws(() => genesysEnvironment({}), /genesys.orgDomain/);
});

test("token: cached, single flight, refreshed before expiry, and a 401 forces one refresh", async (t) => {
  const emu = await startTestEmulator({ tokenTtlSeconds: 2 });
  t.after(() => emu.stop());
  const env = genesysEnvironment({ baseUrl: emu.url });
  const transport = new HttpTransport();
  const tokens = new TokenProvider(env, emu.options.clientId, emu.options.clientSecret, transport);
  const many = await Promise.all(Array.from({ length: 10 }, () => tokens.get()));
  assert.equal(new Set(many.map((x) => x.accessToken)).size, 1);
  assert.equal(tokens.fetched, 1, "ten concurrent callers, one request");
  assert.ok(many[0].refreshAt - Date.now() < 2000, "refreshed before the 2 s lifetime ends");
  await new Promise((r) => setTimeout(r, 1900));
  const renewed = await tokens.get();
  assert.notEqual(renewed.accessToken, many[0].accessToken);

  const client = new GenesysClient(env, tokens, transport);
  emu.fault({ type: "revoke-tokens" });
  const r = await client.call<{ total: number }>("GET", "/api/v2/routing/queues");
  assert.equal(r.body.total, 3, "the call succeeded after one forced refresh");

  const bad = new TokenProvider(env, emu.options.clientId, "wrong", transport);
  await assert.rejects(bad.get(), /refused the client credentials \(401 invalid_client/);
  assert.throws(() => new TokenProvider(env, "", "", transport), /GENESYS_CLIENT_ID/);
});

test("429 with Retry-After and 503s are retried by the shared transport", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const env = genesysEnvironment({ baseUrl: emu.url });
  const transport = new HttpTransport({ maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000, timeoutMs: 5000 });
  const client = new GenesysClient(env, new TokenProvider(env, emu.options.clientId, emu.options.clientSecret, transport), transport);
  await client.call("GET", "/api/v2/routing/queues");
  emu.fault({ type: "rate-limit", count: 1 });
  const began = Date.now();
  await client.call("GET", "/api/v2/routing/queues");
  assert.ok(Date.now() - began >= 1900, "waited what Retry-After asked");
  emu.fault({ type: "server-errors", count: 2 });
  await client.call("GET", "/api/v2/routing/queues");
  assert.equal(transport.stats.byStatus["429"], 1);
  assert.equal(transport.stats.byStatus["503"], 2);
  const missing = await client.call("GET", "/api/v2/routing/queues/00000000-0000-4000-8000-000000000000", undefined, [404]);
  assert.equal(missing.status, 404);
  await assert.rejects(client.call("GET", "/api/v2/routing/queues?pageSize=0"), /answered 400/);
});

test("queue selection by id, name, pattern and division", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const env = genesysEnvironment({ baseUrl: emu.url });
  const transport = new HttpTransport();
  const client = new GenesysClient(env, new TokenProvider(env, emu.options.clientId, emu.options.clientSecret, transport), transport);
  const none: SelectorSpec = { ids: [], names: [], patterns: [], regex: [], divisions: [] };
  const names = async (sel: Partial<typeof none>) => (await discoverQueues(client, compileSelector({ ...none, ...sel }))).map((q) => q.name).sort();
  assert.deepEqual(await names({}), ["Billing", "Sales", "Support"]);
  assert.deepEqual(await names({ names: ["sales"] }), ["Sales"]);
  assert.deepEqual(await names({ patterns: ["*ll*"] }), ["Billing"]);
  assert.deepEqual(await names({ patterns: ["Su?port"] }), ["Support"]);
  assert.deepEqual(await names({ divisions: ["finance"] }), ["Billing"]);
  assert.deepEqual(await names({ ids: [emu.sim.queues[0].id] }), [emu.sim.queues[0].name]);
  assert.deepEqual(await names({ regex: ["^S"] }), ["Sales", "Support"]);
  const billing = (await discoverQueues(client, compileSelector({ ...none, names: ["Billing"] })))[0];
  assert.deepEqual(billing.serviceLevels.voice, { percentage: 0.9, durationMs: 30_000 });
});

test("queue listings are untrusted: unreadable entities are skipped, paging stops, nothing throws", async (t) => {
  const pages: unknown[] = [
    { entities: [null, 5, "x", { id: "q-1", name: "Good", division: { id: 7, name: ["x"] }, mediaSettings: { call: { serviceLevel: { percentage: 0.8, durationMs: 20000 } }, constructor: { serviceLevel: { percentage: 0.5, durationMs: 1 } }, chat: { serviceLevel: { percentage: 5, durationMs: -1 } } } }, { id: "bad id.with.dots", name: "Dots" }, { id: "q-2", name: 5 }], pageCount: 3 },
    { entities: { not: "an array" }, pageCount: "many" },
    { entities: [{ id: "q-3", name: "Never read" }] },
  ];
  let calls = 0;
  const server = (await import("node:http")).createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    if (req.url?.startsWith("/oauth")) return res.end(JSON.stringify({ access_token: "t0ken-abcdef", expires_in: 3600 }));
    res.end(JSON.stringify(pages[calls++] ?? null));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const env = genesysEnvironment({ baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
  const transport = new HttpTransport();
  const client = new GenesysClient(env, new TokenProvider(env, "id", "secret-value", transport), transport);
  const found = await discoverQueues(client, compileSelector({ ids: [], names: [], patterns: [], regex: [], divisions: [] }));
  assert.deepEqual(found, [{ id: "q-1", name: "Good", divisionId: undefined, divisionName: undefined, serviceLevels: { voice: { percentage: 0.8, durationMs: 20000 } } }]);
  assert.equal(calls, 2, "a pageCount that is not a number ends the paging");
});

test("backfill: unreadable conversations in a details page are skipped; the good ones are counted", async (t) => {
  const { Simulator } = await import("../../../../src/emulator/simulator/simulator.js");
  const { loadScenario } = await import("../../../../src/emulator/simulator/load-scenario.js");
  const { conversationDetails } = await import("../../../../src/emulator/render.js");
  const { backfill } = await import("../../../../src/sources/genesys/backfill/query.js");
  const sim = new Simulator(loadScenario("steady"), { seed: 3, start: Date.parse("2026-02-02T09:00:00Z"), durationMinutes: 20 });
  sim.advanceTo(sim.options.start + 3_600_000);
  const good = [...sim.conversations.values()].slice(0, 5).map((c) => JSON.parse(JSON.stringify(conversationDetails(c, c.versions[c.versions.length - 1].participants, c.end))));
  const page = { conversations: [null, 5, "x", { participants: null }, { participants: [null, { sessions: 7 }] }, ...good] };
  const server = (await import("node:http")).createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(req.url?.startsWith("/oauth") ? { access_token: "t0ken-abcdef", expires_in: 3600 } : page));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const env = genesysEnvironment({ baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
  const transport = new HttpTransport();
  const client = new GenesysClient(env, new TokenProvider(env, "id", "secret-value", transport), transport);
  const got: unknown[] = [];
  const queueIds = sim.queues.map((q) => q.id);
  const r = await backfill(client, { queueIds, from: sim.options.start, to: sim.options.start + 60_000, maxConversationMs: 0, chunkMs: 3_600_000 }, (ev) => got.push(...ev), { concurrency: 4 });
  const expected = sim.events.filter((e) => good.some((c: any) => c.conversationId === e.conversationId)).length;
  assert.ok(expected > 0);
  assert.equal(got.length, expected, "every event of the readable conversations");
  assert.ok(r.malformed <= 5, `malformed ${r.malformed}`);
  assert.equal(r.conversations, page.conversations.length);
});

test("a details page over the transport's bound is an HttpError too-large of that call, never the process's", async (t) => {
  const { hugeServer, MB } = await import("../../../helpers/huge-body.js");
  const { HttpError } = await import("../../../../src/delivery/transport.js");
  const s = await hugeServer((_n, path) => (path.startsWith("/oauth") ? { status: 200, bytes: 0 } : { status: 200, bytes: 200 * MB, prefix: '{"conversations":[' }));
  t.after(() => s.close());
  // The token call of this stand-in answers an empty body: give the client a token by hand.
  const env = genesysEnvironment({ baseUrl: s.url });
  const transport = new HttpTransport();
  const tokens = { get: async () => ({ accessToken: "t0ken-abcdef", tokenType: "bearer", refreshAt: Infinity }), invalidate: () => {} } as unknown as TokenProvider;
  const client = new GenesysClient(env, tokens, transport);
  const before = process.memoryUsage().rss;
  const err = await client.call("POST", "/api/v2/analytics/conversations/details/query", { paging: { pageSize: 100, pageNumber: 1 } }).catch((e: unknown) => e);
  assert.ok(err instanceof HttpError, String(err));
  assert.equal(err.kind, "too-large");
  assert.match(err.message, /POST .*details\/query answered 200 with a body over/);
  assert.equal(client.apiErrors, 1);
  assert.equal(transport.stats.tooLarge, 1);
  assert.ok(process.memoryUsage().rss - before < 150 * MB, `rss grew ${((process.memoryUsage().rss - before) / MB).toFixed(0)} MB`);
});
