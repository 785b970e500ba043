/**
 * What arrives on the WebSocket: observation messages grouped as the real service groups them
 * (per queue x media with only the metrics present, queue-level member groups, 30-minute
 * aggregates equal to the ground truth, at most one message per second per group), and the
 * garbage-frames fault (malformed frames mixed in, every real frame still delivered).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Emulator } from "../../src/emulator/server.js";
import { api, bearer, RecordingSocket, startTestEmulator, waitUntil } from "../helpers/emulator.js";

const BUCKET = 1_800_000;

async function subscribed(emu: Emulator, kinds: ("conversations" | "observations")[]) {
  const tok = await bearer(emu);
  const ch = (await api(emu, tok, "POST", "/api/v2/notifications/channels")).body;
  const topics = emu.sim.queues.flatMap((q) => kinds.map((k) => ({ id: k === "conversations" ? `v2.routing.queues.${q.id}.conversations` : `v2.analytics.queues.${q.id}.observations` })));
  await api(emu, tok, "PUT", `/api/v2/notifications/channels/${ch.id}/subscriptions`, topics);
  const sock = new RecordingSocket(ch.connectUri);
  await sock.opened;
  return sock;
}

/** Resolves once no frame of `prefix` has arrived for `quietMs` (bounded by `maxMs`). */
async function quiet(sock: RecordingSocket, prefix: string, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const last = [...sock.raw.keys()].reverse().find((i) => String(sock.frames[i].topicName ?? "").startsWith(prefix));
    const lastAt = last === undefined ? 0 : sock.raw[last].at;
    if (Date.now() - lastAt >= quietMs) return;
    if (Date.now() > deadline) throw new Error(`${prefix} frames never went quiet`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Stat = { count: number; sum: number; min: number; max: number };
const stat = (v: number[]): Stat => ({ count: v.length, sum: v.reduce((a, b) => a + b, 0), min: Math.min(...v), max: Math.max(...v) });

test("observations: per (queue, media) groups with only the metrics present, queue-level groups, <= 1 message/s per group, 30-min aggregates equal the ground truth", async (t) => {
  const emu = await startTestEmulator({ speed: 2400, start: Date.parse("2026-03-01T08:20:00Z"), durationMinutes: 75 });
  t.after(() => emu.stop());
  const sock = await subscribed(emu, ["observations"]);
  const subscribedAt = emu.clock.now();
  await waitUntil(() => emu.sim.settled, 30_000, "settle");
  await quiet(sock, "v2.analytics.", 2500, 30_000);
  sock.ws.close();

  const obs = sock.frames.map((f, i) => ({ f, at: sock.raw[i].at })).filter(({ f }) => String(f.topicName).startsWith("v2.analytics.queues."));
  assert.ok(obs.length >= 40, `${obs.length} observation messages`);
  const lastAt = new Map<string, number>();
  const aggregates = new Map<string, Map<string, unknown>>();
  const shapes = new Set<string>();
  for (const { f, at } of obs) {
    const body = f.eventBody;
    assert.equal(f.topicName, `v2.analytics.queues.${body.group.queueId}.observations`);
    assert.equal(body.data.length, 1, "one interval per message");
    const key = `${body.group.queueId}|${body.group.mediaType ?? ""}`;
    const prev = lastAt.get(key);
    assert.ok(prev === undefined || at - prev >= 950, `group ${key}: messages ${at - prev!} ms apart`);
    lastAt.set(key, at);
    const [from, to] = body.data[0].interval.split("/").map(Date.parse);
    const names = body.data[0].metrics.map((m: any) => m.metric);
    if (body.group.mediaType === undefined) {
      assert.deepEqual(Object.keys(body.group), ["queueId"]);
      assert.equal(from, to);
      // Only the agent metrics that changed, some of them per message.
      assert.ok(names.length > 0);
      for (const n of names) assert.ok(["oUserRoutingStatuses", "oOnQueueUsers", "oOffQueueUsers", "oActiveUsers", "oMemberUsers"].includes(n), n);
      assert.ok(body.data[0].metrics.filter((m: any) => m.metric === "oUserRoutingStatuses").every((m: any) => typeof m.qualifier === "string"));
      shapes.add("members");
    } else if (from === to) {
      for (const n of names) assert.ok(["oAlerting", "oWaiting", "oInteracting"].includes(n), n);
      assert.equal(names.includes("oWaiting"), names.includes("oAlerting"), "oAlerting and oWaiting travel together");
      shapes.add(names.slice().sort().join("+"));
    } else {
      assert.equal(to - from, BUCKET);
      assert.equal(from % BUCKET, 0);
      // Cumulative: the last message of a bucket carries its final figures.
      aggregates.set(`${key}|${from}`, new Map(body.data[0].metrics.map((m: any) => [m.metric, m.stats])));
      shapes.add("aggregate");
    }
  }
  for (const shape of ["members", "oAlerting+oWaiting", "oAlerting+oInteracting+oWaiting", "oInteracting", "aggregate"]) assert.ok(shapes.has(shape), `a ${shape} message (${[...shapes].join(", ")})`);

  // Ground truth per queue x media x bucket, each metric in the bucket of its own event time.
  const truth = new Map<string, { offered: number; answered: number[]; abandoned: number[]; flowout: number[]; ended: number[]; latest: number }>();
  for (const e of emu.sim.events) {
    const k = `${e.queueId}|${e.mediaType}|${Math.floor(e.time / BUCKET) * BUCKET}`;
    let g = truth.get(k);
    if (!g) truth.set(k, (g = { offered: 0, answered: [], abandoned: [], flowout: [], ended: [], latest: 0 }));
    g.latest = Math.max(g.latest, e.time);
    if (e.kind === "offered") g.offered++;
    else {
      g.ended.push(e.waitMs!);
      g[e.kind].push(e.waitMs!);
    }
  }
  let compared = 0;
  for (const [k, g] of truth) {
    if (g.latest < subscribedAt) continue; // finished before anyone listened
    const got = aggregates.get(k);
    assert.ok(got, `aggregates for ${k}`);
    const want = new Map<string, unknown>();
    if (g.offered > 0) want.set("nOffered", { count: g.offered });
    if (g.answered.length) want.set("tAnswered", stat(g.answered));
    if (g.abandoned.length) want.set("tAbandon", stat(g.abandoned));
    if (g.flowout.length) want.set("tFlowOut", stat(g.flowout));
    if (g.ended.length) {
      want.set("tAcd", stat(g.ended));
      want.set("tWait", stat(g.ended));
    }
    for (const [name, v] of want) assert.deepEqual(got.get(name), v, `${k} ${name}`);
    for (const name of got.keys()) assert.ok(want.has(name) || ["nOverSla", "oServiceLevel"].includes(name), `${k}: unexpected ${name}`);
    compared++;
  }
  assert.ok(compared >= 8, `${compared} queue x media x 30-minute buckets compared`);
});

/** What a frame's text is, as a client would find out. */
function classify(text: string): string {
  let f: any;
  try {
    f = JSON.parse(text);
  } catch {
    return "not-json";
  }
  if (typeof f?.topicName !== "string") return "wrong-types";
  if (f.eventBody === null) return "null-body";
  if (f.topicName === "channel.metadata") return "real";
  if (!/^v2\.(routing|analytics)\.queues\./.test(f.topicName)) return "unknown-topic";
  const b = f.eventBody;
  if (f.topicName.endsWith(".observations")) {
    const d = b?.data?.[0];
    if (!d) return "bad-observation";
    if (!Array.isArray(d.metrics)) return "metrics-not-array";
    // Counts are whole and sane; oServiceLevel carries a ratio instead of a count.
    const countOf = (m: any) => (m?.metric === "oServiceLevel" ? m?.stats?.numerator : m?.stats?.count);
    if (d.metrics.some((m: any) => !Number.isSafeInteger(countOf(m)) || countOf(m) < 0)) return "absurd-numbers";
    return "real";
  }
  if (!Array.isArray(b?.participants) || typeof b.id !== "string") return "wrong-types";
  const times = b.participants.flatMap((p: any) => [p.connectedTime, p.endTime]).filter((x: unknown) => x !== undefined);
  if (times.some((x: unknown) => typeof x !== "string")) return "wrong-types";
  const year = Math.min(...times.map((x: string) => new Date(x).getUTCFullYear()));
  const maxYear = Math.max(...times.map((x: string) => (Number.isNaN(Date.parse(x)) ? 1e6 : new Date(x).getUTCFullYear())));
  if (year < 2000 || maxYear > 2100) return "far-time";
  return "real";
}

test("fault garbage-frames: N malformed frames of varied kinds on every socket, mixed between the real ones, all real frames delivered", async (t) => {
  const emu = await startTestEmulator({ speed: 600, heartbeatSeconds: 0.2, start: Date.parse("2026-03-01T10:00:00Z") });
  t.after(() => emu.stop());
  const a = await subscribed(emu, ["conversations", "observations"]);
  const b = await subscribed(emu, ["conversations"]);
  await a.waitFor(() => a.frame("v2.routing.queues."), 8000, "a first conversation frame");
  const bad = await fetch(`${emu.url}/emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "garbage-frames", count: -1 }) });
  assert.equal(bad.status, 400);
  const r = await fetch(`${emu.url}/emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "garbage-frames", count: 60 }) });
  assert.deepEqual(await r.json(), { type: "garbage-frames", affected: 2 });
  const markA = a.raw.length;
  await waitUntil(() => emu.notifications.stats.garbageSent >= 120, 20_000, "120 garbage frames sent");
  // A little more real traffic after the garbage, then a clean close from the client side.
  await new Promise((res) => setTimeout(res, 300));
  for (const s of [a, b]) s.ws.close();
  await a.waitFor(() => a.closed, 3000, "close a");
  await b.waitFor(() => b.closed, 3000, "close b");
  const { framesSent, garbageSent } = emu.notifications.stats;
  assert.equal(garbageSent, 120, "exactly N per socket");
  assert.equal(a.raw.length + b.raw.length, framesSent + garbageSent, "every frame sent arrived, real ones included");
  const kindsA = a.raw.slice(markA).map((x) => classify(x.text));
  const garbageA = kindsA.filter((k) => k !== "real");
  assert.ok(garbageA.length >= 50 && garbageA.length <= 60, `${garbageA.length} garbage frames recognised on socket a`);
  const variety = new Set(garbageA);
  for (const k of ["not-json", "wrong-types", "null-body", "unknown-topic", "far-time"]) assert.ok(variety.has(k), `garbage of kind ${k} (${[...variety].join(", ")})`);
  // Mixed in: real frames sit between garbage frames, not all before or after.
  const firstBad = kindsA.findIndex((k) => k !== "real");
  const lastBad = kindsA.length - 1 - [...kindsA].reverse().findIndex((k) => k !== "real");
  assert.ok(kindsA.slice(firstBad, lastBad).some((k) => k === "real"), "real frames between the garbage");
  // Real conversation frames kept coming after the fault.
  assert.ok(a.raw.slice(markA).some((x) => classify(x.text) === "real" && x.text.includes('"v2.routing.queues.')));
});
