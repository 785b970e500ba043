import { test } from "node:test";
import assert from "node:assert/strict";
import { api, bearer, RecordingSocket, startTestEmulator, token, waitUntil } from "../helpers/emulator.js";

test("oauth: client credentials, invalid_client, unsupported grant, and bearer checks", async (t) => {
  const emu = await startTestEmulator({ tokenTtlSeconds: 60 });
  t.after(() => emu.stop());
  const ok = await token(emu);
  assert.equal(ok.status, 200);
  const body = (await ok.json()) as any;
  assert.equal(body.token_type, "bearer");
  assert.equal(body.expires_in, 60);
  assert.ok(body.access_token.length > 20);

  const bad = await token(emu, emu.options.clientId, "wrong");
  assert.equal(bad.status, 401);
  assert.deepEqual(await bad.json(), { error: "invalid_client", description: "authentication failed", error_description: "authentication failed" });

  const grant = await fetch(`${emu.url}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from("demo-client-id:demo-client-secret").toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=password",
  });
  assert.equal(grant.status, 400);

  assert.equal((await api(emu, "nope", "GET", "/api/v2/routing/queues")).status, 401);
  const listed = await api(emu, body.access_token, "GET", "/api/v2/routing/queues");
  assert.equal(listed.status, 200);
});

test("routing queues: paging, name wildcards, division filter, mediaSettings service level", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  const all = await api(emu, tok, "GET", "/api/v2/routing/queues?pageSize=2&pageNumber=1");
  assert.equal(all.body.total, 3);
  assert.equal(all.body.pageCount, 2);
  assert.equal(all.body.entities.length, 2);
  assert.ok(all.body.nextUri);
  const page2 = await api(emu, tok, "GET", "/api/v2/routing/queues?pageSize=2&pageNumber=2");
  assert.equal(page2.body.entities.length, 1);
  assert.equal(page2.body.nextUri, undefined);
  const s = await api(emu, tok, "GET", "/api/v2/routing/queues?name=S*");
  assert.deepEqual(s.body.entities.map((q: any) => q.name).sort(), ["Sales", "Support"]);
  const exact = await api(emu, tok, "GET", "/api/v2/routing/queues?name=billing");
  assert.equal(exact.body.entities.length, 1);
  const billing = exact.body.entities[0];
  const byDivision = await api(emu, tok, "GET", `/api/v2/routing/queues?divisionId=${billing.division.id}`);
  assert.deepEqual(byDivision.body.entities.map((q: any) => q.name), ["Billing"]);
  const one = await api(emu, tok, "GET", `/api/v2/routing/queues/${billing.id}`);
  assert.deepEqual(one.body.mediaSettings.call.serviceLevel, { percentage: 0.9, durationMs: 30000 });
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues/00000000-0000-4000-8000-000000000000")).status, 404);
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues?pageSize=0")).status, 400);
});

test("channels: add/replace/delete subscriptions, topic validation, 1,000-topic cap, 20-channel eviction", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  const q = emu.sim.queues[0].id;
  const ch = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body;
  assert.match(ch.id, /^streaming-/);
  assert.equal(ch.connectUri, `ws://127.0.0.1:${new URL(emu.url).port}/channels/${ch.id}`);
  assert.ok(Date.parse(ch.expires) > emu.clock.now() + 23 * 3600_000);
  const subs = `/api/v2/notifications/channels/${ch.id}/subscriptions`;
  await api(emu, tok, "POST", subs, [{ id: `v2.routing.queues.${q}.conversations` }]);
  await api(emu, tok, "POST", subs, [{ id: `v2.analytics.queues.${q}.observations` }]);
  assert.equal((await api(emu, tok, "GET", subs)).body.entities.length, 2);
  await api(emu, tok, "PUT", subs, [{ id: `v2.routing.queues.${q}.conversations.calls` }]);
  assert.deepEqual((await api(emu, tok, "GET", subs)).body.entities.map((e: any) => e.id), [`v2.routing.queues.${q}.conversations.calls`]);

  const unknown = "v2.routing.queues.00000000-0000-4000-8000-000000000000.conversations";
  const rejected = await api(emu, tok, "POST", subs, [{ id: unknown }]);
  assert.equal(rejected.status, 400);
  const tolerated = await api(emu, tok, "POST", `${subs}?ignoreErrors=true`, [{ id: unknown }, { id: `v2.routing.queues.${q}.conversations` }]);
  assert.equal(tolerated.status, 200);
  assert.deepEqual(tolerated.body.entities.map((e: any) => e.state), ["Rejected", "Permitted"]);

  const many = Array.from({ length: 1001 }, (_, i) => ({ id: `v2.detail.events.conversation.${String(i).padStart(8, "0")}-0000-4000-8000-000000000000.acd.end` }));
  const tooMany = await api(emu, tok, "PUT", subs, many);
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.body.message, /1000 topics/);
  assert.equal((await api(emu, tok, "PUT", subs, many.slice(0, 1000))).status, 200);

  assert.equal((await api(emu, tok, "DELETE", subs)).status, 200);
  assert.equal((await api(emu, tok, "GET", subs)).body.entities.length, 0);

  const created = [ch.id];
  for (let i = 0; i < 20; i++) created.push((await api(emu, tok, "POST", "/api/v2/notifications/channels")).body.id);
  const listed = (await api(emu, tok, "GET", "/api/v2/notifications/channels")).body.entities.map((c: any) => c.id);
  assert.equal(listed.length, 20);
  assert.ok(!listed.includes(ch.id), "the 21st channel evicts the oldest");
  assert.equal((await api(emu, tok, "GET", `/api/v2/notifications/channels/${ch.id}`)).status, 404);
});

test("websocket: snapshots of conversations, heartbeat, ping/pong, and one socket per channel", async (t) => {
  const emu = await startTestEmulator({ speed: 600, heartbeatSeconds: 0.3 });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  const q = emu.sim.queues[0].id;
  const ch = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body;
  await api(emu, tok, "PUT", `/api/v2/notifications/channels/${ch.id}/subscriptions`, [
    { id: `v2.routing.queues.${q}.conversations` },
    { id: `v2.analytics.queues.${q}.observations` },
  ]);
  const a = new RecordingSocket(ch.connectUri);
  await a.opened;
  const snap = await a.waitFor(() => a.frame(`v2.routing.queues.${q}.conversations`), 8000, "a conversation snapshot");
  assert.equal(snap.version, "2");
  assert.ok(snap.metadata.CorrelationId);
  const acd = snap.eventBody.participants.find((p: any) => p.purpose === "acd");
  assert.equal(acd.queueId, q);
  assert.ok(Date.parse(acd.connectedTime) > 0);
  // Instant observations per (queue, media) carry oAlerting + oWaiting; member figures come in a group without mediaType.
  const obs = await a.waitFor(
    () => a.frames.find((f) => f.topicName === `v2.analytics.queues.${q}.observations` && f.eventBody.data[0].metrics.some((m: any) => m.metric === "oWaiting")),
    8000,
    "an observation with oWaiting",
  );
  assert.ok(obs.eventBody.group.mediaType);
  assert.ok(obs.eventBody.data[0].metrics.some((m: any) => m.metric === "oAlerting"));
  await a.waitFor(() => a.frames.find((f) => f.topicName === "channel.metadata" && f.eventBody.message === "WebSocket Heartbeat"), 3000, "heartbeat");
  a.ws.send(JSON.stringify({ message: "ping" }));
  await a.waitFor(() => a.frames.find((f) => f.eventBody?.message === "pong"), 3000, "pong");

  const b = new RecordingSocket(ch.connectUri);
  await b.opened;
  await a.waitFor(() => a.closed, 3000, "first socket to close");
  const before = b.frames.length;
  await b.waitFor(() => b.frames.length > before, 5000, "frames on the second socket");

  const missing = new RecordingSocket(ch.connectUri.replace(ch.id, "streaming-0-nope"));
  await assert.rejects(missing.opened, /404/);
  b.ws.close();
});

test("rate limit: 429 with Retry-After once a token exceeds its requests per minute", async (t) => {
  const emu = await startTestEmulator({ requestsPerMinute: 5 });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  for (let i = 0; i < 5; i++) assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues")).status, 200);
  const limited = await api(emu, tok, "GET", "/api/v2/routing/queues");
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal(limited.body.code, "too.many.requests.retry.after");
  // A fresh token has its own budget.
  assert.equal((await api(emu, await bearer(emu), "GET", "/api/v2/routing/queues")).status, 200);
});

test("details query: ingestion delay, queue filter, paging limits, outcome metrics match ground truth", async (t) => {
  const emu = await startTestEmulator({ speed: 3000, ingestionDelaySeconds: 0.2, ingestionLagTailShare: 0, durationMinutes: 60, start: Date.parse("2026-03-01T08:00:00Z") });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  await waitUntil(() => emu.sim.settled, 30_000, "simulation to settle");
  await new Promise((r) => setTimeout(r, 400)); // past the ingestion delay (at most 1.5x the typical)
  const sales = emu.sim.queues[0].id;
  const interval = `${new Date(emu.clock.start - 60_000).toISOString()}/${new Date(emu.clock.now()).toISOString()}`;
  const tooBig = await api(emu, tok, "POST", "/api/v2/analytics/conversations/details/query", { interval, paging: { pageSize: 101, pageNumber: 1 } });
  assert.equal(tooBig.status, 400);
  assert.equal((await api(emu, tok, "POST", "/api/v2/analytics/conversations/details/query", { paging: { pageSize: 10 } })).status, 400);
  const convs: any[] = [];
  for (let page = 1; page < 100; page++) {
    const r = await api(emu, tok, "POST", "/api/v2/analytics/conversations/details/query", {
      interval,
      order: "asc",
      paging: { pageSize: 100, pageNumber: page },
      segmentFilters: [{ type: "or", predicates: [{ type: "dimension", dimension: "queueId", operator: "matches", value: sales }] }],
    });
    assert.equal(r.status, 200);
    if (!r.body.conversations) break;
    convs.push(...r.body.conversations);
  }
  const truth = emu.sim.events.filter((e) => e.queueId === sales);
  const sessions = (purpose: string) => convs.flatMap((c) => c.participants.filter((p: any) => p.purpose === purpose)).flatMap((p: any) => p.sessions);
  const onSales = (s: any) => s.segments.some((g: any) => g.queueId === sales);
  const count = (metric: string) => sessions("acd").filter(onSales).flatMap((s: any) => s.metrics).filter((m: any) => m.name === metric).length;
  assert.ok(truth.length > 100, `enough traffic (${truth.length} events)`);
  assert.equal(count("nOffered"), truth.filter((e) => e.kind === "offered").length);
  assert.equal(count("tAbandon"), truth.filter((e) => e.kind === "abandoned").length);
  assert.equal(count("tFlowOut"), truth.filter((e) => e.kind === "flowout").length);
  // tAnswered sits on the answering agent's session (one participant may hold sessions on several queues).
  const answered = sessions("agent").filter(onSales).flatMap((s: any) => s.metrics.filter((m: any) => m.name === "tAnswered").map((m: any) => m.value)).sort((a: number, b: number) => a - b);
  assert.deepEqual(answered, truth.filter((e) => e.kind === "answered").map((e) => e.waitMs).sort((a, b) => a! - b!));

  // Nothing newer than the ingestion delay is visible.
  const emu2 = await startTestEmulator({ speed: 600, ingestionDelaySeconds: 1000 });
  t.after(() => emu2.stop());
  await waitUntil(() => emu2.sim.events.length > 0, 10_000, "traffic");
  const r = await api(emu2, await bearer(emu2), "POST", "/api/v2/analytics/conversations/details/query", {
    interval: `${new Date(emu2.clock.start).toISOString()}/${new Date(emu2.clock.now() + 1000).toISOString()}`,
  });
  assert.equal(r.body.totalHits, 0);
});

test("observations query: waiting, interacting and alerting per queue and media with waiting details", async (t) => {
  const emu = await startTestEmulator({ speed: 600 });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  const q = emu.sim.queues[1].id;
  await waitUntil(() => emu.sim.events.length > 20, 10_000, "traffic");
  const r = await api(emu, tok, "POST", "/api/v2/analytics/queues/observations/query", {
    filter: { type: "or", predicates: [{ dimension: "queueId", value: q }] },
    metrics: ["oWaiting", "oInteracting", "oAlerting"],
    detailMetrics: ["oWaiting"],
  });
  assert.equal(r.status, 200);
  assert.ok(r.body.results.length >= 1);
  for (const res of r.body.results) {
    assert.equal(res.group.queueId, q);
    const waiting = res.data.find((d: any) => d.metric === "oWaiting");
    assert.equal(waiting.observations.length, waiting.stats.count);
  }
  assert.equal((await api(emu, tok, "POST", "/api/v2/analytics/queues/observations/query", { filter: { type: "or", predicates: [] }, metrics: ["oBogus"] })).status, 400);
});

test("pagerduty receiver: 202 with dedup_key, 400 with errors, 429 when flooded, and the accepted list", async (t) => {
  const emu = await startTestEmulator({ pagerDutyPerMinute: 3 });
  t.after(() => emu.stop());
  const post = (body: unknown) => fetch(`${emu.url}/v2/enqueue`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const key = "a".repeat(32);
  const ok = await post({ routing_key: key, event_action: "trigger", dedup_key: "q1-wait", payload: { summary: "Sales waits", source: "queue-monitor", severity: "critical" } });
  assert.equal(ok.status, 202);
  assert.deepEqual(await ok.json(), { status: "success", message: "Event processed", dedup_key: "q1-wait" });
  const generated = (await (await post({ routing_key: key, event_action: "trigger", payload: { summary: "x", source: "y", severity: "info" } })).json()) as any;
  assert.ok(generated.dedup_key.length > 0);
  const bad = await post({ routing_key: key, event_action: "trigger", payload: { summary: "x", source: "y", severity: "loud" } });
  assert.equal(bad.status, 400);
  assert.ok(((await bad.json()) as any).errors.some((e: string) => e.includes("severity")));
  assert.equal((await post({ routing_key: key, event_action: "resolve" })).status, 400);
  assert.equal((await post({ routing_key: key, event_action: "resolve", dedup_key: "q1-wait" })).status, 202);
  assert.equal((await post({ routing_key: key, event_action: "resolve", dedup_key: "q1-wait" })).status, 429);
  const listed = (await (await fetch(`${emu.url}/emulator/pagerduty/events`)).json()) as any;
  assert.deepEqual(listed.events.map((e: any) => e.event_action), ["trigger", "trigger", "resolve"]);
});

test("clock and ground truth endpoints; --duration lets the simulation settle", async (t) => {
  const start = Date.parse("2026-03-01T08:00:00Z");
  const emu = await startTestEmulator({ speed: 6000, start, durationMinutes: 30 });
  t.after(() => emu.stop());
  const clock = (await (await fetch(`${emu.url}/emulator/clock`)).json()) as any;
  assert.equal(clock.speed, 6000);
  assert.ok(Date.parse(clock.now) >= start);
  await waitUntil(() => emu.sim.settled, 20_000, "settle");
  const truth = (await (await fetch(`${emu.url}/emulator/ground-truth`)).json()) as any;
  assert.equal(truth.settled, true);
  let offered = 0;
  let ended = 0;
  for (const g of truth.queues) {
    assert.equal(g.waitsMs.answered.length, g.counts.answered);
    assert.equal(g.waitsMs.abandoned.length, g.counts.abandoned);
    offered += g.counts.offered;
    ended += g.counts.answered + g.counts.abandoned + g.counts.flowout;
  }
  assert.ok(offered > 50);
  assert.equal(ended, offered, "every offer ends answered, abandoned or flowed out once settled");
  // No caller arrives after --duration (transfers of calls in progress may still offer later).
  for (const c of emu.sim.conversations.values()) assert.ok(c.start < start + 30 * 60_000);
});
