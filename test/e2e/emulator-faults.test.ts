import { test } from "node:test";
import assert from "node:assert/strict";
import type { Emulator } from "../../src/emulator/server.js";
import { api, bearer, RecordingSocket, startTestEmulator } from "../helpers/emulator.js";

async function fault(emu: Emulator, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${emu.url}/emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** An emulator with one subscribed channel and an open socket on it. */
async function connected(over: Parameters<typeof startTestEmulator>[0] = {}) {
  const emu = await startTestEmulator({ speed: 600, heartbeatSeconds: 0.2, ...over });
  const tok = await bearer(emu);
  const ch = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body;
  const topics = emu.sim.queues.map((q) => ({ id: `v2.routing.queues.${q.id}.conversations` }));
  await api(emu, tok, "PUT", `/api/v2/notifications/channels/${ch.id}/subscriptions`, topics);
  const sock = new RecordingSocket(ch.connectUri);
  await sock.opened;
  return { emu, tok, ch, sock };
}

test("fault drop-sockets: the socket dies without a close frame (1006)", async (t) => {
  const { emu, sock } = await connected();
  t.after(() => emu.stop());
  assert.equal((await fault(emu, { type: "drop-sockets" })).body.affected, 1);
  const closed = await sock.waitFor(() => sock.closed, 3000, "close");
  assert.equal(closed.code, 1006);
});

test("fault socket-closing: v2.system.socket_closing, then the server closes the socket after the grace", async (t) => {
  const { emu, sock } = await connected();
  t.after(() => emu.stop());
  await fault(emu, { type: "socket-closing" });
  await sock.waitFor(() => sock.frame("v2.system.socket_closing"), 3000, "socket_closing");
  assert.equal(sock.closed, undefined, "still open during the grace period");
  const closed = await sock.waitFor(() => sock.closed, 5000, "close");
  assert.equal(closed.code, 1001);
});

test("fault stall-heartbeats: the socket goes silent (no heartbeat, no pong, no events), then recovers", async (t) => {
  const { emu, sock } = await connected();
  t.after(() => emu.stop());
  await sock.waitFor(() => sock.frame("channel.metadata"), 3000, "first heartbeat");
  await fault(emu, { type: "stall-heartbeats", seconds: 1 });
  const mark = sock.frames.length;
  sock.ws.send(JSON.stringify({ message: "ping" }));
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(sock.frames.length, mark, "nothing arrives while stalled");
  assert.ok(emu.notifications.stats.framesDropped > 0);
  await sock.waitFor(() => sock.frames.length > mark, 3000, "frames after the stall");
  assert.equal(sock.closed, undefined);
});

test("fault rate-limit and server-errors: the next N API calls get 429 (Retry-After) or 503", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  await fault(emu, { type: "rate-limit", count: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await api(emu, tok, "GET", "/api/v2/routing/queues");
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "2");
  }
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues")).status, 200);
  await fault(emu, { type: "server-errors", count: 1 });
  const e = await api(emu, tok, "GET", "/api/v2/routing/queues");
  assert.equal(e.status, 503);
  assert.equal(e.body.code, "service.unavailable");
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues")).status, 200);
});

test("fault revoke-tokens: API calls get 401, sockets get token_revoked and close, a new token works", async (t) => {
  const { emu, tok, sock } = await connected();
  t.after(() => emu.stop());
  await fault(emu, { type: "revoke-tokens" });
  await sock.waitFor(() => sock.closed, 3000, "close");
  assert.ok(sock.frames.some((f) => f.eventBody?.systemTopicType === "token_revoked"));
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues")).status, 401);
  assert.equal((await api(emu, await bearer(emu), "GET", "/api/v2/routing/queues")).status, 200);
});

test("fault expire-channels: sockets close, the channel is gone (404), reconnecting is refused", async (t) => {
  const { emu, tok, ch, sock } = await connected();
  t.after(() => emu.stop());
  await fault(emu, { type: "expire-channels" });
  await sock.waitFor(() => sock.closed, 3000, "close");
  assert.equal((await api(emu, tok, "GET", `/api/v2/notifications/channels/${ch.id}/subscriptions`)).status, 404);
  const again = new RecordingSocket(ch.connectUri);
  await assert.rejects(again.opened, /404/);
});

test("channels expire on their own after their (virtual) lifetime", async (t) => {
  // 0.0005 virtual hours = 1.8 virtual s = 3 real ms at speed 600
  const { emu, sock } = await connected({ channelTtlHours: 0.05 });
  t.after(() => emu.stop());
  const closed = await sock.waitFor(() => sock.closed, 5000, "expiry close");
  assert.equal(closed.code, 1000);
});

test("unknown faults are refused with the list of known ones", async (t) => {
  const emu = await startTestEmulator();
  t.after(() => emu.stop());
  const r = await fault(emu, { type: "meteor" });
  assert.equal(r.status, 400);
  assert.match(r.body.message, /drop-sockets/);
  assert.equal((await fault(emu, { type: "stall-heartbeats", seconds: -1 })).status, 400);
});

test("fault drop-events: the next N conversation notifications are silently never sent", async (t) => {
  const { emu, sock } = await connected();
  t.after(() => emu.stop());
  await sock.waitFor(() => sock.frame("v2.routing.queues."), 8000, "a first conversation frame");
  await fault(emu, { type: "drop-events", count: 1_000_000 });
  await new Promise((r) => setTimeout(r, 300));
  const mark = sock.frames.length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(sock.frames.slice(mark).filter((f) => f.topicName.startsWith("v2.routing.queues.")).length, 0);
  assert.ok(sock.frames.slice(mark).some((f) => f.topicName === "channel.metadata"), "heartbeats go on: the socket looks healthy");
  assert.ok(emu.notifications.stats.notificationsOmitted > 0);
  assert.equal(sock.closed, undefined);
});
